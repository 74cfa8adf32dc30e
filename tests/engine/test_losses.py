"""Losses: values against closed forms, gradients against central finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from engine.losses import LOSSES, log_softmax, one_hot, softmax

EPS = 1e-6


def numeric_grad(f, Z: np.ndarray) -> np.ndarray:
    """Central differences of the scalar f at every entry of Z."""
    G = np.zeros_like(Z)
    for i in np.ndindex(Z.shape):
        Zp, Zm = Z.copy(), Z.copy()
        Zp[i] += EPS
        Zm[i] -= EPS
        G[i] = (f(Zp) - f(Zm)) / (2 * EPS)
    return G


def binary_case(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(0, 3, size=(9, 1)), rng.integers(0, 2, size=9).astype(float)


@pytest.mark.parametrize("name", ["bce", "mse", "mse_linear"])
def test_binary_and_linear_gradients(name: str) -> None:
    loss = LOSSES[name]
    Z, y = binary_case()
    numeric = numeric_grad(lambda Zx: loss.value(Zx, y), Z)
    np.testing.assert_allclose(loss.grad(Z, y), numeric, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("labels", [True, False])
def test_softmax_gradient(labels: bool) -> None:
    loss = LOSSES["softmax_ce"]
    rng = np.random.default_rng(1)
    Z = rng.normal(0, 2, size=(6, 4))
    k = rng.integers(0, 4, size=6)
    Y = k if labels else one_hot(k, 4)
    numeric = numeric_grad(lambda Zx: loss.value(Zx, Y), Z)
    np.testing.assert_allclose(loss.grad(Z, Y), numeric, rtol=1e-5, atol=1e-9)


def test_bce_matches_the_notes_formula() -> None:
    Z, y = binary_case(2)
    a = 1 / (1 + np.exp(-Z[:, 0]))
    expected = -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))
    assert LOSSES["bce"].value(Z, y) == pytest.approx(expected, rel=1e-12)


def test_bce_stays_finite_when_confidently_wrong() -> None:
    Z = np.array([[800.0], [-800.0]])
    y = np.array([0.0, 1.0])
    assert LOSSES["bce"].value(Z, y) == pytest.approx(800.0)  # softplus(800) ≈ 800
    np.testing.assert_allclose(LOSSES["bce"].grad(Z, y), [[0.5], [-0.5]])


def test_mse_is_half_squared_error_of_the_sigmoid() -> None:
    Z = np.array([[0.0], [np.log(3.0)]])  # σ = 0.5 and 0.75
    y = np.array([1.0, 0.0])
    assert LOSSES["mse"].value(Z, y) == pytest.approx((0.5 * 0.25 + 0.5 * 0.5625) / 2)


def test_softmax_is_stable_and_normalized() -> None:
    Z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    P = softmax(Z)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(P[1], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum())
    assert np.all(np.isfinite(log_softmax(Z)))
    assert log_softmax(Z)[0, 2] == pytest.approx(-2000.0)


def test_softmax_ce_of_uniform_logits_is_log_k() -> None:
    assert LOSSES["softmax_ce"].value(np.zeros((5, 10)), np.arange(5)) == pytest.approx(np.log(10))


def test_outputs_declared() -> None:
    assert {n: loss.output for n, loss in LOSSES.items()} == {
        "bce": "sigmoid", "mse": "sigmoid", "softmax_ce": "softmax", "mse_linear": "linear",
    }  # fmt: skip
