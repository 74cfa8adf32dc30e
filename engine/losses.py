"""Losses on a network's output logits, each value beside its gradient.

Every loss takes the output layer's pre-activations ``Z`` (m, k) — the
logits — and the targets, and returns the MEAN over the m samples. Its
gradient is ``∂L/∂Z`` (m, k), the 1/m already applied, ready for
``MLP.backward``. Working on logits rather than on probabilities lets the
output nonlinearity and the loss be differentiated together, which is both
cheaper and stable: for cross-entropy the σ'(z) and softmax Jacobian cancel
exactly into ``ŷ − y``.

``output`` names the output activation a loss assumes (``MLP(output=...)``):

- ``"bce"``: binary cross-entropy on a sigmoid output,
  ``L = −(1/m) Σ [y·log ŷ + (1 − y)·log(1 − ŷ)]`` with ``ŷ = σ(z)``.
- ``"mse"``: squared error on a sigmoid output, ``L = (1/m) Σ ½(ŷ − y)²``
  (TensorFlow Playground's ½ so that the gradient is ``(ŷ − y)·σ'(z)``).
- ``"softmax_ce"``: multi-class cross-entropy on a softmax output,
  ``L = −(1/m) Σ_i log ŷ_{i, y_i}``.
- ``"mse_linear"``: squared error on a linear output (regression).

Binary targets ``y`` may have shape (m,) or (m, 1); softmax targets are either
integer labels (m,) or one-hot rows (m, k).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.activations import sigmoid, softplus


@dataclass(frozen=True)
class Loss:
    """A loss ``value(Z, Y) -> mean loss`` with ``grad(Z, Y) -> ∂L/∂Z`` (m, k)."""

    name: str
    output: str  # the output activation this loss is defined on
    value: Callable[[np.ndarray, np.ndarray], float]
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray]


def _col(Y: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return Y.reshape(Z.shape)  # (m,) labels → (m, 1) like the logits


def bce_value(Z: np.ndarray, Y: np.ndarray) -> float:
    """Binary cross-entropy straight from the logits, with no log of 0.

    ``−[y log σ(z) + (1 − y) log(1 − σ(z))] = softplus(z) − y·z`` and
    ``softplus(z) = max(z, 0) + log1p(e^(−|z|))`` never overflows, so a
    confidently wrong output costs a large finite loss instead of ``inf``
    (clipping ŷ would cap it and flatten the gradient instead).
    """
    y = _col(Y, Z)
    per = softplus(Z) - y * Z  # (m, 1)
    return float(per.mean())


def bce_grad(Z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``∂L/∂z = (σ(z) − y)/m``: the error itself, as the notes stress."""
    return (sigmoid(Z) - _col(Y, Z)) / Z.shape[0]  # type: ignore[no-any-return]


def mse_value(Z: np.ndarray, Y: np.ndarray) -> float:
    """``(1/m) Σ ½(σ(z) − y)²``."""
    d = sigmoid(Z) - _col(Y, Z)
    return float(0.5 * np.mean(d * d))


def mse_grad(Z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``∂L/∂z = (σ(z) − y)·σ(z)(1 − σ(z))/m``: slow when the sigmoid saturates."""
    a = sigmoid(Z)
    return (a - _col(Y, Z)) * a * (1.0 - a) / Z.shape[0]  # type: ignore[no-any-return]


def log_softmax(Z: np.ndarray) -> np.ndarray:
    """``log softmax(z)_j = z_j − max z − log Σ_k e^(z_k − max z)`` row by row, (m, k)."""
    S = Z - Z.max(axis=1, keepdims=True)
    return S - np.log(np.exp(S).sum(axis=1, keepdims=True))  # type: ignore[no-any-return]


def softmax(Z: np.ndarray) -> np.ndarray:
    """Row-wise softmax (m, k), shifted by the row maximum so ``exp`` cannot overflow."""
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def _labels_picked(A: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Per row, the entry of the true class: A[i, y_i] for labels, Σ_j A_ij·Y_ij for one-hot."""
    if Y.ndim == 1:
        return A[np.arange(len(Y)), Y]  # type: ignore[no-any-return]
    return (A * Y).sum(axis=1)  # type: ignore[no-any-return]


def softmax_ce_value(Z: np.ndarray, Y: np.ndarray) -> float:
    """``−(1/m) Σ_i log softmax(z_i)_{y_i}`` through the stable log-softmax."""
    return float(-_labels_picked(log_softmax(Z), Y).mean())


def softmax_ce_grad(Z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``∂L/∂Z = (softmax(Z) − onehot(Y))/m``."""
    G = softmax(Z)
    if Y.ndim == 1:
        G[np.arange(len(Y)), Y] -= 1.0
    else:
        G -= Y
    G /= Z.shape[0]
    return G


def mse_linear_value(Z: np.ndarray, Y: np.ndarray) -> float:
    """``(1/m) Σ ½‖z − y‖²`` for a linear output."""
    d = Z - Y.reshape(Z.shape)
    return float(0.5 * (d * d).sum() / Z.shape[0])


def mse_linear_grad(Z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``∂L/∂Z = (Z − Y)/m``."""
    return (Z - Y.reshape(Z.shape)) / Z.shape[0]  # type: ignore[no-any-return]


LOSSES: dict[str, Loss] = {
    "bce": Loss("bce", "sigmoid", bce_value, bce_grad),
    "mse": Loss("mse", "sigmoid", mse_value, mse_grad),
    "softmax_ce": Loss("softmax_ce", "softmax", softmax_ce_value, softmax_ce_grad),
    "mse_linear": Loss("mse_linear", "linear", mse_linear_value, mse_linear_grad),
}


def one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    """Integer labels (m,) → one-hot rows (m, k) of 0.0/1.0."""
    out = np.zeros((len(labels), k))
    out[np.arange(len(labels)), labels] = 1.0
    return out
