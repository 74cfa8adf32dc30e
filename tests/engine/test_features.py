"""Input features against their closed forms."""

from __future__ import annotations

import numpy as np

from engine.features import FEATURES, expand


def test_every_feature() -> None:
    X = np.array([[1.0, 2.0], [-3.0, 0.5]])
    F = expand(X, ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1", "sin_x2"])
    expected = [
        [1.0, 2.0, 1.0, 4.0, 2.0, np.sin(1.0), np.sin(2.0)],
        [-3.0, 0.5, 9.0, 0.25, -1.5, np.sin(-3.0), np.sin(0.5)],
    ]
    np.testing.assert_allclose(F, expected)


def test_order_follows_names_and_dtype_is_kept() -> None:
    X = np.array([[2.0, 3.0]], dtype=np.float32)
    F = expand(X, ["x2^2", "x1"])
    assert F.dtype == np.float32 and F.shape == (1, 2)
    np.testing.assert_array_equal(F, [[9.0, 2.0]])


def test_registry_keys() -> None:
    assert list(FEATURES) == ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1", "sin_x2"]
