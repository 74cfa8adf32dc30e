"""The shipped digits file: what UCI documents for the optdigits test set."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from engine import optdigits

DATA = Path(__file__).parents[2] / "engine" / "data" / "optdigits.csv.gz"
# Class counts of optdigits.tes as the UCI repository documents them.
UCI_TEST_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_shapes_and_dtypes() -> None:
    X, y = optdigits.load()
    assert X.shape == (1797, 64) and X.dtype == np.uint8
    assert y.shape == (1797,) and y.dtype == np.int64


def test_seventeen_grey_levels() -> None:
    X, _ = optdigits.load()
    assert X.min() == 0 and X.max() == 16
    assert set(np.unique(X).tolist()) == set(range(17))


def test_class_counts_match_uci() -> None:
    _, y = optdigits.load()
    counts = np.bincount(y, minlength=10)
    assert counts.tolist() == UCI_TEST_COUNTS
    assert np.all(np.abs(counts - 180) <= 6)


def test_rows_match_the_file_read_independently() -> None:
    """First and last lines, parsed by plain string splitting, not by the loader."""
    lines = gzip.decompress(DATA.read_bytes()).decode("ascii").split()
    X, y = optdigits.load()
    for row, line in ((0, lines[0]), (1796, lines[-1])):
        values = [int(v) for v in line.split(",")]
        assert X[row].tolist() == values[:64]
        assert y[row] == values[64]


def test_a_known_image_is_a_zero() -> None:
    """The file's first sample is a 0: a ring, dark in the middle, ink around it."""
    X, y = optdigits.load()
    image = X[0].reshape(8, 8).astype(int)
    assert y[0] == 0
    assert image[3:5, 3:5].sum() == 0
    assert image[3:6, 1].min() > 0 and image[3:6, 6].min() > 0


def test_cached_deterministic_and_read_only() -> None:
    X1, y1 = optdigits.load()
    X2, y2 = optdigits.load()
    assert X1 is X2 and y1 is y2
    with pytest.raises(ValueError):
        X1[0, 0] = 1
    optdigits.load.cache_clear()
    X3, y3 = optdigits.load()
    assert X3 is not X1
    np.testing.assert_array_equal(X3, X1)
    np.testing.assert_array_equal(y3, y1)
