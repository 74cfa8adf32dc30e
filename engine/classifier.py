"""The pieces of a 2-D classification run that are not the network itself.

The circles lab trains an ``MLP`` on points in the plane; this module holds
the rest: the train/test split, the shuffled mini-batches of an epoch, the
grid a decision boundary is drawn on, and the evaluation of loss and
accuracy. Labels are 0/1; the network has one sigmoid output, so P(class 1)
is ``σ(z)`` and the predicted class is ``z > 0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.features import expand
from engine.losses import Loss
from engine.nn import MLP


def split(
    X: np.ndarray, y: np.ndarray, test_ratio: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle, then hold out ``round(n·test_ratio)`` points (at least 1, at most n − 1).

    Returns ``(X_train, y_train, X_test, y_test)``.
    """
    n = len(X)
    n_test = min(max(round(n * test_ratio), 1), n - 1)
    perm = rng.permutation(n)
    test, train = perm[:n_test], perm[n_test:]
    return X[train], y[train], X[test], y[test]


class Batches:
    """Mini-batches that go through the training set in a fresh random order each epoch.

    The rows are copied in shuffled order once per epoch, so every batch is
    a contiguous slice (a view, no copy); an epoch's last batch may be short.
    """

    def __init__(self, F: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        self.F, self.Y, self.rng = F, Y, rng  # (m, d), (m, 1)
        self._shuffle()

    def _shuffle(self) -> None:
        perm = self.rng.permutation(len(self.F))
        self.Fs, self.Ys = self.F[perm], self.Y[perm]
        self.cursor = 0

    def next(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """The next ``size`` rows ``(F (b, d), Y (b, 1))`` of the epoch, b ≤ size."""
        start = self.cursor
        stop = min(start + size, len(self.Fs))
        Fb, Yb = self.Fs[start:stop], self.Ys[start:stop]
        self.cursor = stop
        if stop == len(self.Fs):
            self._shuffle()
        return Fb, Yb


@dataclass(frozen=True)
class Grid:
    """A ``res × res`` grid of cell centres over ``extent = (xmin, xmax, ymin, ymax)``.

    ``points`` (res², 2) run along x first: point ``i·res + j`` is the centre
    of row i (y, from ymin up) and column j (x, from xmin right), so values
    reshaped to (res, res) have row 0 at ymin. Float32: drawing needs no more.
    """

    extent: tuple[float, float, float, float]
    res: int

    @property
    def points(self) -> np.ndarray:
        xmin, xmax, ymin, ymax = self.extent
        xs = xmin + (np.arange(self.res) + 0.5) * (xmax - xmin) / self.res  # (res,)
        ys = ymin + (np.arange(self.res) + 0.5) * (ymax - ymin) / self.res
        gx, gy = np.meshgrid(xs, ys)  # (res, res), row i at ys[i]
        return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)

    def features(self, names: Sequence[str]) -> np.ndarray:
        """The grid's input features (res², len(names)), float32."""
        return expand(self.points, names)


def to_uint8(values: np.ndarray, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """Map [lo, hi] linearly onto 0…255 (rounded, clipped); NaN becomes the middle, 128."""
    span = hi - lo if hi > lo else 1.0
    scaled = np.nan_to_num((values - lo) * (255.0 / span), nan=127.5)
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


def evaluate(net: MLP, F: np.ndarray, Y: np.ndarray, loss: Loss) -> tuple[float, float]:
    """Mean data loss and accuracy of ``net`` on features ``F`` (m, d), labels ``Y`` (m, 1).

    No dropout, no penalty: the loss the learner compares between train and test.
    """
    Z = net.forward(F)  # (m, 1) logits
    accuracy = float(np.mean((Z > 0) == (Y > 0.5)))
    with np.errstate(all="ignore"):  # a diverged net reports a non-finite loss
        value = loss.value(Z, Y)
    return value, accuracy
