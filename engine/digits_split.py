"""Splitting the 1,797 digits into a fixed test set and a training set of any size.

The test set is always the same ``TEST_SIZE`` digits for a given seed,
whatever the training-set size, so test curves from runs with different
``train_size`` are comparable. The training set is the next ``train_size``
digits of the same seeded order: smaller training sets are prefixes of
larger ones. The order interleaves the classes, so every prefix — the test
set, a training set of 50 — holds each digit in about its share (≈ 1/10).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TEST_SIZE = 397  # 1797 − 1400: the largest training set leaves exactly this many
MAX_TRAIN = 1400
GALLERY_PER_CLASS = 4  # test digits per class shown with their predicted labels


@dataclass(frozen=True)
class Split:
    """Row indices into the full data set: ``train`` (train_size,), ``test`` (TEST_SIZE,)."""

    train: np.ndarray
    test: np.ndarray


def interleaved_order(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A permutation of ``range(len(y))`` whose every prefix is close to class-balanced.

    Each class's samples get the keys ``(r + u)/n_c`` — ``r`` a random rank
    0..n_c−1 within the class, ``u`` uniform in [0, 1) — so sorting by key
    spreads each class evenly along the order while staying random within it.
    """
    key = np.empty(len(y))  # (n,)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        key[idx] = (rng.permutation(len(idx)) + rng.random(len(idx))) / len(idx)
    return np.argsort(key, kind="stable")


def split(y: np.ndarray, train_size: int, seed: int) -> Split:
    """The test set (first ``TEST_SIZE`` of the seeded order) and the next ``train_size``."""
    if not 1 <= train_size <= len(y) - TEST_SIZE:
        raise ValueError(f"expected train_size in [1, {len(y) - TEST_SIZE}], got {train_size}")
    order = interleaved_order(y, np.random.default_rng(seed))
    return Split(train=order[TEST_SIZE : TEST_SIZE + train_size], test=order[:TEST_SIZE])


def gallery(y_test: np.ndarray, per_class: int = GALLERY_PER_CLASS) -> list[int]:
    """Test-set positions of the first ``per_class`` digits of each class, class by class.

    With 10 classes and 4 per class that is 40 indices: a 10 × 4 grid on the page.
    """
    picked: list[int] = []
    for c in np.unique(y_test):
        picked += [int(i) for i in np.flatnonzero(y_test == c)[:per_class]]
    return picked
