"""The digits split: fixed test set, nested training sets, balanced classes, a gallery."""

from __future__ import annotations

import numpy as np
import pytest

from engine import optdigits
from engine.digits_split import MAX_TRAIN, TEST_SIZE, gallery, interleaved_order, split


def labels() -> np.ndarray:
    return optdigits.load()[1]


def test_sizes_add_up_to_the_data_set() -> None:
    assert TEST_SIZE + MAX_TRAIN == optdigits.N_SAMPLES


def test_reproducible_from_the_seed() -> None:
    a, b, c = split(labels(), 300, 7), split(labels(), 300, 7), split(labels(), 300, 8)
    np.testing.assert_array_equal(a.train, b.train)
    np.testing.assert_array_equal(a.test, b.test)
    assert not np.array_equal(a.test, c.test)


def test_disjoint_and_covering_at_full_size() -> None:
    s = split(labels(), MAX_TRAIN, 3)
    assert len(set(s.train.tolist()) | set(s.test.tolist())) == optdigits.N_SAMPLES
    assert not set(s.train.tolist()) & set(s.test.tolist())


def test_test_set_fixed_and_training_sets_nested() -> None:
    small, large = split(labels(), 50, 5), split(labels(), 1000, 5)
    np.testing.assert_array_equal(small.test, large.test)
    np.testing.assert_array_equal(small.train, large.train[:50])


@pytest.mark.parametrize("size", [50, 100, 400])
def test_every_part_holds_each_class_in_its_share(size: int) -> None:
    """Each class has one key per interval of width 1/n_c, so any slice of the order
    holds every class's share to within a few samples (not ±n/10 as by chance)."""
    y = labels()
    share = np.bincount(y, minlength=10) / len(y)
    for seed in range(5):
        s = split(y, size, seed)
        for part in (s.train, s.test):
            counts = np.bincount(y[part], minlength=10)
            assert np.all(np.abs(counts - share * len(part)) <= 3), (seed, counts)


def test_interleaved_order_is_a_permutation() -> None:
    y = np.array([0, 0, 0, 1, 1, 2])
    order = interleaved_order(y, np.random.default_rng(0))
    assert sorted(order.tolist()) == list(range(6))


def test_bad_train_size_rejected() -> None:
    with pytest.raises(ValueError):
        split(labels(), MAX_TRAIN + 1, 0)


def test_gallery_picks_four_of_each_class_in_order() -> None:
    y_test = np.array([3, 1, 1, 3, 0, 1, 1, 1, 0, 3, 3, 3])
    assert gallery(y_test, per_class=2) == [4, 8, 1, 2, 0, 3]
    y = labels()
    g = gallery(y[split(y, 100, 0).test])
    assert len(g) == 40
    assert y[split(y, 100, 0).test][g].tolist() == [c for c in range(10) for _ in range(4)]
