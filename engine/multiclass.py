"""More than two classes in the plane: a softmax output, its metrics and its picture.

With k > 2 classes the circles network ends in k logits and a softmax,
``P(class c) = e^(z_c) / Σ_j e^(z_j)``, trained on the cross-entropy
``−log P(true class)``; its gradient on the logits is ``P − onehot(y)``
(``engine.losses.softmax_ce``). Two classes keep the single sigmoid output.

The boundary is drawn as two images: the predicted (top) class of each grid
cell, and the confidence, the top probability rescaled from 1/k (a guess) to
1 (certain), so the page can colour by class and lighten where the net hesitates.
"""

from __future__ import annotations

import numpy as np

from engine.losses import log_softmax
from engine.nn import MLP, Scratch


def evaluate(
    net: MLP, F: np.ndarray, y: np.ndarray, k: int, scratch: Scratch | None = None
) -> tuple[float, float, list[float | None]]:
    """Mean cross-entropy, accuracy, and per-class accuracy of ``net`` on ``F`` (m, d).

    ``y`` holds integer labels (m,); the accuracy of a class with no point here is None.
    """
    Z = net.forward(F) if scratch is None else net.logits(F, scratch)  # (m, k)
    with np.errstate(all="ignore"):  # a diverged net reports a non-finite loss
        loss = float(-log_softmax(Z)[np.arange(len(y)), y].mean())
    right = Z.argmax(axis=1) == y
    per_class: list[float | None] = []
    for c in range(k):
        mine = y == c
        per_class.append(float(right[mine].mean()) if mine.any() else None)
    return loss, float(right.mean()), per_class


def top_and_confidence(z: np.ndarray, k: int) -> np.ndarray:
    """Logits (n, k) → uint8 (2, n): the top class, and its probability mapped from
    [1/k, 1] onto 0…255. A row with NaN is class 0 at the middle confidence, 128."""
    with np.errstate(all="ignore"):
        top = np.nan_to_num(z, nan=-np.inf).argmax(axis=1)
        shifted = z - z.max(axis=1, keepdims=True)
        p_top = 1.0 / np.exp(shifted).sum(axis=1)  # e^0 / Σ e^(z_j − max z)
        level = (p_top - 1.0 / k) * (255.0 / (1.0 - 1.0 / k))
    level = np.nan_to_num(level, nan=127.5)
    return np.stack([top.astype(np.uint8), np.clip(level + 0.5, 0, 255).astype(np.uint8)])
