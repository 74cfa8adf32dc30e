"""The 2-D classification sets: shapes, the geometry each one promises, seeds."""

from __future__ import annotations

import numpy as np
import pytest

from engine.datasets import CLASSIFICATION, circles, gauss, moons, spiral, xor


@pytest.mark.parametrize("name", sorted(CLASSIFICATION))
@pytest.mark.parametrize("n", [11, 400])
def test_shapes_labels_and_extent(name: str, n: int) -> None:
    X, y = CLASSIFICATION[name](n, np.random.default_rng(0), 0.0)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and set(np.unique(y).tolist()) == {0, 1}
    assert np.abs(X).max() <= 6.0  # inside the plotted [−6, 6]² without noise


@pytest.mark.parametrize("name", sorted(CLASSIFICATION))
def test_reproducible_from_the_seed(name: str) -> None:
    gen = CLASSIFICATION[name]
    X1, y1 = gen(200, np.random.default_rng(5), 0.2)
    X2, y2 = gen(200, np.random.default_rng(5), 0.2)
    X3, _ = gen(200, np.random.default_rng(6), 0.2)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)


def test_registry_keys() -> None:
    assert set(CLASSIFICATION) == {"circles", "xor", "gauss", "spiral", "moons"}


def test_circles_inner_disk_is_class_one() -> None:
    X, y = circles(1000, np.random.default_rng(1), 0.0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.all(r[y == 1] <= 2.5)
    assert np.all((r[y == 0] >= 3.5) & (r[y == 0] <= 5.0))
    assert (y == 1).sum() == 500


def test_circles_noise_blurs_labels_near_the_gap() -> None:
    # Noise 0.1 moves the labelling point by at most 5·0.1·√2 ≈ 0.71: only inner
    # points within 0.71 of the radius-2.5 edge can change class (the ring starts at 3.5).
    X, y = circles(2000, np.random.default_rng(1), 0.1)
    r = np.hypot(X[:, 0], X[:, 1])
    flipped = (r < 2.5) != (y == 1)
    assert flipped.sum() > 10
    assert np.all((r[flipped] > 2.5 - 0.5 * np.sqrt(2)) & (r[flipped] < 2.5))


def test_xor_quadrants_and_gap() -> None:
    X, y = xor(500, np.random.default_rng(2), 0.0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] >= 0).astype(int))
    assert np.abs(X).min() >= 0.3


@pytest.mark.parametrize(("noise", "var"), [(0.0, 0.5), (0.5, 4.0)])
def test_gauss_blobs(noise: float, var: float) -> None:
    X, y = gauss(20_000, np.random.default_rng(3), noise)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [2, 2], atol=0.06)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [-2, -2], atol=0.06)
    np.testing.assert_allclose(X[y == 1].var(axis=0), [var, var], rtol=0.05)


def test_spiral_arms_are_a_half_turn_apart() -> None:
    X, y = spiral(100, np.random.default_rng(4), 0.0)
    np.testing.assert_allclose(X[y == 0], -X[y == 1], atol=1e-12)
    r = np.hypot(X[y == 1, 0], X[y == 1, 1])
    np.testing.assert_allclose(r, 5.0 * np.arange(50) / 50)


def test_moons_lie_on_two_circles() -> None:
    X, y = moons(300, np.random.default_rng(5), 0.0)
    upper, lower = X[y == 0], X[y == 1]  # centres (0, 0) and (1, 0.5), scaled ×3, shifted
    np.testing.assert_allclose(np.hypot(*(upper - [-1.5, -0.75]).T), 3.0)
    np.testing.assert_allclose(np.hypot(*(lower - [1.5, 0.75]).T), 3.0)
    assert np.all(upper[:, 1] >= -0.75 - 1e-12) and np.all(lower[:, 1] <= 0.75 + 1e-12)
