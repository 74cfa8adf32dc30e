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
from engine.multiclass import top_and_confidence
from engine.nn import MLP, Scratch

# When the boundary is recomputed (see ``Boundary``), by the drift ‖θ − θ₀‖/‖θ₀‖ of the
# parameters since it last was. Up to STILL it is kept: measured over 100 s of play of five
# lessons, a kept image then differs from a fresh one by under 2 levels of 255 on average,
# and by at most 16 (the default net) to 45 levels at a pixel on the boundary line itself.
# Past JUMP it is recomputed at once; in between, every EVERY-th frame: 15 a second at
# 30 frames/s, as often as the page redraws its plane.
STILL = 5e-4
JUMP = 0.1
EVERY = 2


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


def evaluate(
    net: MLP, F: np.ndarray, Y: np.ndarray, loss: Loss, scratch: Scratch | None = None
) -> tuple[float, float]:
    """Mean data loss and accuracy of ``net`` on features ``F`` (m, d), labels ``Y`` (m, 1).

    No dropout, no penalty: the loss the learner compares between train and test.
    With ``scratch`` the logits are the same numbers, computed in reused buffers.
    """
    Z = net.forward(F) if scratch is None else net.logits(F, scratch)  # (m, 1) logits
    accuracy = float(np.mean((Z > 0) == (Y > 0.5)))
    with np.errstate(all="ignore"):  # a diverged net reports a non-finite loss
        value = loss.value(Z, Y)
    return value, accuracy


class Boundary:
    """P(class 1) on a grid as a uint8 image, recomputed only as often as it visibly changes.

    Each image costs every grid cell through the whole network, most of a frame,
    while from one frame to the next it often barely moves. ``for_frame`` compares
    the parameters θ with θ₀, those of the last image: a drift up to ``STILL`` keeps
    the image, past ``JUMP`` it is recomputed, in between every ``EVERY``-th frame.
    ``forget`` (new params, data, points, a reset) makes the next frame recompute.

    An image rides on the frame it was computed for and on the next one, so a
    follower whose mailbox keeps every other frame still gets each image, and on
    every keyframe (those with the weights, which no mailbox drops and a latecomer
    is given). Other frames leave it out; the page keeps drawing the last one.
    """

    def __init__(self) -> None:
        self.scratch = Scratch()
        self._grid: tuple[Grid, tuple[str, ...], np.ndarray] | None = None
        self._theta = np.empty(0)  # θ₀
        self._drift = np.empty(0)  # θ − θ₀
        self.forget()

    def forget(self) -> None:
        """No image yet: the next frame computes one, whatever the parameters did."""
        self.image: np.ndarray | None = None  # (res, res) uint8 (or (2, res, res)), row 0 at ymin
        self.step = 0  # the step the image shows
        self._frame = 0  # the frame it was computed for
        self._norm2 = 0.0  # ‖θ₀‖²

    def features(self, grid: Grid, names: Sequence[str]) -> np.ndarray:
        """The grid's features (res², d), kept until the grid or the names change."""
        key = (grid, tuple(names))
        if self._grid is None or self._grid[:2] != key:
            self._grid = (*key, grid.features(names))
        return self._grid[2]

    def compute(
        self, net: MLP, grid: Grid, names: Sequence[str], step: int, frame: int
    ) -> np.ndarray:
        """A fresh ``image`` for ``step`` and frame number ``frame``; it is also returned.

        Bit for bit ``to_uint8(net.predict(features).reshape(res, res))`` with one output;
        with k outputs, ``multiclass.top_and_confidence`` as (2, res, res).
        """
        with np.errstate(all="ignore"):  # a diverged net draws NaN as the middle, 128
            Z = net.logits(self.features(grid, names), self.scratch)  # (res², k)
            image: np.ndarray
            if Z.shape[1] == 1:
                image = probability_uint8(Z[:, 0]).reshape(grid.res, grid.res)
            else:  # k classes: (2, res, res), the top class and its confidence
                image = top_and_confidence(Z, Z.shape[1]).reshape(2, grid.res, grid.res)
        if self._theta.shape != net.theta.shape:
            self._theta, self._drift = np.empty_like(net.theta), np.empty_like(net.theta)
        self._theta[...] = net.theta
        self._norm2 = float(np.dot(self._theta, self._theta))
        self.image, self.step, self._frame = image, step, frame
        return image

    def for_frame(
        self, net: MLP, grid: Grid, names: Sequence[str], step: int, frame: int, keyframe: bool
    ) -> np.ndarray | None:
        """The image to send with frame number ``frame``, or None to leave it out."""
        if self.image is None or self._due(net.theta, frame):
            return self.compute(net, grid, names, step, frame)
        return self.image if keyframe or frame == self._frame + 1 else None

    def _due(self, theta: np.ndarray, frame: int) -> bool:
        if theta.shape != self._theta.shape:
            return True
        np.subtract(theta, self._theta, out=self._drift)
        drift2 = float(np.dot(self._drift, self._drift))
        if not drift2 <= JUMP**2 * self._norm2:  # NaN too: a diverged net is drawn as it is
            return True
        return drift2 > STILL**2 * self._norm2 and frame - self._frame >= EVERY


def probability_uint8(z: np.ndarray) -> np.ndarray:
    """``to_uint8(sigmoid(z))`` bit for bit, for logits ``z`` in a scratch buffer it overwrites.

    The same operations as the two functions, in place where they made copies
    (``nan_to_num``, ``clip``); σ is in [0, 1] or NaN, so only a NaN needs replacing.
    """
    up = z >= 0
    e = np.abs(z, out=z)
    np.negative(e, out=e)
    np.exp(e, out=e)  # e^(−|z|)
    p = np.where(up, 1.0, e)
    np.add(e, 1.0, out=e)
    np.divide(p, e, out=p)  # σ(z): 1/(1 + e) for z ≥ 0, e/(1 + e) below
    p *= 255.0
    p[np.isnan(p)] = 127.5  # as nan_to_num: a NaN is drawn as the middle
    p += 0.5
    np.clip(p, 0, 255, out=p)
    return p.astype(np.uint8)
