"""What the digits lab measures: losses, accuracies and the confusion matrix.

Every frame evaluates the current network on every training and test digit,
so this runs in float32: it halves the cost of the frame (the losses differ
from float64 by about 1e−8), while training itself stays in float64.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.losses import LOSSES
from engine.nn import MLP


@dataclass(frozen=True)
class Evaluation:
    """Mean cross-entropy ``−(1/m) Σ log Y[i, y_i]`` and accuracy on each set."""

    train_loss: float
    test_loss: float
    train_accuracy: float
    test_accuracy: float
    test_pred: np.ndarray  # (n_test,) predicted labels


def logits32(net: MLP, X: np.ndarray) -> np.ndarray:
    """Output logits (m, k) in float32 for float32 inputs ``X`` (m, d), without dropout."""
    A = net.layer_outputs(X)[-2]  # (m, d_{L−1}): the last hidden layer, or X itself
    Z = A @ net.W[-1].astype(np.float32)  # (m, k)
    Z += net.b[-1].astype(np.float32)
    return Z


def evaluate(
    net: Any,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    logits: Callable[[Any, np.ndarray], np.ndarray] | None = None,
) -> Evaluation:
    """Cross-entropy (no penalty term) and accuracy of ``net`` on (X float32, y) pairs.

    ``logits(net, X)`` computes the float32 logits (default: ``logits32``, the MLP's).
    """
    logits = logits or logits32
    Z_train = logits(net, train[0])  # (n, k)
    Z_test = logits(net, test[0])  # (n_test, k)
    test_pred = Z_test.argmax(axis=1)
    return Evaluation(
        train_loss=LOSSES["softmax_ce"].value(Z_train, train[1]),
        test_loss=LOSSES["softmax_ce"].value(Z_test, test[1]),
        train_accuracy=float(np.mean(Z_train.argmax(axis=1) == train[1])),
        test_accuracy=float(np.mean(test_pred == test[1])),
        test_pred=test_pred,
    )


def confusion(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """Counts (k, k): entry [t, p] is how many samples of class t were predicted as p."""
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)
