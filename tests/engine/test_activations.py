"""Activations: every derivative against central finite differences of its value."""

from __future__ import annotations

import numpy as np
import pytest

from engine.activations import ACTIVATIONS, LEAKY_SLOPE, apply_in_place, curve, sigmoid

EPS = 1e-6


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_matches_finite_differences(name: str) -> None:
    act = ACTIVATIONS[name]
    rng = np.random.default_rng(3)
    z = rng.uniform(-4, 4, size=200)
    z = z[np.abs(z) > 1e-3]  # keep clear of the kinks of relu and leaky relu
    numeric = (act.f(z + EPS) - act.f(z - EPS)) / (2 * EPS)
    np.testing.assert_allclose(act.df(z, act.f(z)), numeric, rtol=1e-6, atol=1e-8)


def bits(a: np.ndarray) -> np.ndarray:
    """The raw bits: −0 and 0 differ, and a NaN equals itself."""
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_in_place_is_bit_for_bit_the_value(name: str, dtype: type) -> None:
    z: np.ndarray = np.random.default_rng(4).normal(0, 30, size=(64, 9)).astype(dtype)
    z[0, :6] = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-40]
    expected = ACTIVATIONS[name].f(z)
    apply_in_place(name, z, np.zeros_like(z))
    assert z.dtype == dtype
    np.testing.assert_array_equal(bits(z), bits(expected))


def test_registry_names_match_keys() -> None:
    assert set(ACTIVATIONS) == {"relu", "tanh", "sigmoid", "linear", "leaky_relu"}
    assert all(act.name == key for key, act in ACTIVATIONS.items())


def test_closed_forms() -> None:
    z = np.array([-2.0, -0.5, 0.5, 2.0])
    np.testing.assert_allclose(ACTIVATIONS["relu"].f(z), [0, 0, 0.5, 2])
    np.testing.assert_allclose(ACTIVATIONS["leaky_relu"].f(z), [-2 * LEAKY_SLOPE, -0.005, 0.5, 2])
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"].f(z), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(ACTIVATIONS["tanh"].f(z), np.tanh(z))
    np.testing.assert_array_equal(ACTIVATIONS["linear"].f(z), z)


def test_sigmoid_is_stable_at_extremes() -> None:
    with np.errstate(over="raise"):
        s = sigmoid(np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0]))
    assert np.all(np.isfinite(s))
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    np.testing.assert_allclose(s[1], np.exp(-40.0), rtol=1e-12)  # no cancellation to 0


def test_float32_stays_float32() -> None:
    z = np.linspace(-3, 3, 7, dtype=np.float32)
    for act in ACTIVATIONS.values():
        a = act.f(z)
        assert a.dtype == np.float32, act.name
        assert act.df(z, a).dtype == np.float32, act.name


def test_curve_for_plotting() -> None:
    c = curve("tanh", -2, 2, 5)
    np.testing.assert_allclose(c["z"], [-2, -1, 0, 1, 2])
    np.testing.assert_allclose(c["df"], 1 - np.tanh(c["z"]) ** 2)
