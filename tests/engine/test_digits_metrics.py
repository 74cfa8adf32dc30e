"""Digits metrics against hand computations in float64."""

from __future__ import annotations

import numpy as np
import pytest

from engine.digits_metrics import confusion, evaluate, logits32
from engine.nn import MLP


def net_and_data(seed: int = 0) -> tuple[MLP, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    net = MLP([6, 5, 4], "relu", "softmax", rng)
    X = rng.random((30, 6))  # (30, 6)
    y = rng.integers(0, 4, 30)
    return net, X, y


def hand_logits(net: MLP, X: np.ndarray) -> np.ndarray:
    H = np.maximum(X @ net.W[0] + net.b[0], 0.0)  # (m, 5)
    return H @ net.W[1] + net.b[1]


def test_logits32_match_float64_by_hand() -> None:
    net, X, _ = net_and_data()
    net.b[1][...] = [0.1, -0.2, 0.3, 0.0]  # nonzero output biases must be added
    Z = logits32(net, X.astype(np.float32))
    assert Z.dtype == np.float32 and Z.shape == (30, 4)
    np.testing.assert_allclose(Z, hand_logits(net, X), rtol=1e-5, atol=1e-6)


def test_logits32_without_hidden_layers() -> None:
    rng = np.random.default_rng(1)
    net = MLP([3, 2], "relu", "softmax", rng)
    X = rng.random((4, 3))
    np.testing.assert_allclose(logits32(net, X.astype(np.float32)), X @ net.W[0] + net.b[0],
                               rtol=1e-6)  # fmt: skip


def test_evaluate_by_hand() -> None:
    net, X, y = net_and_data(2)
    ev = evaluate(net, (X[:20].astype(np.float32), y[:20]), (X[20:].astype(np.float32), y[20:]))
    for (lo, hi), loss, acc in (((0, 20), ev.train_loss, ev.train_accuracy),
                                ((20, 30), ev.test_loss, ev.test_accuracy)):  # fmt: skip
        Z = hand_logits(net, X[lo:hi])
        P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
        assert loss == pytest.approx(-np.mean(np.log(P[np.arange(hi - lo), y[lo:hi]])), rel=1e-5)
        assert acc == np.mean(Z.argmax(axis=1) == y[lo:hi])
    assert ev.test_pred.tolist() == hand_logits(net, X[20:]).argmax(axis=1).tolist()


def test_confusion_rows_true_columns_predicted() -> None:
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    expected = [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert confusion(y_true, y_pred, 3).tolist() == expected
