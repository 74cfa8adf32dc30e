"""The beans' model ``ŷ = w·x + b`` and its mean-squared-error cost.

Per-sample loss ``e = (ŷ − y)²`` and cost ``C = (1/n) Σ e``, with the
per-sample gradients exactly as the notes write them:
``∂e/∂w = 2x²w + 2xb − 2xy`` and ``∂e/∂b = 2b + 2xw − 2y``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


def sample_grads(x: np.ndarray, y: np.ndarray, w: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample ``(∂e/∂w, ∂e/∂b)``, each of shape (m,), in the notes' form."""
    dw = 2 * x**2 * w + 2 * x * b - 2 * x * y
    db = 2 * b + 2 * x * w - 2 * y
    return dw, db


def batch_grad(x: np.ndarray, y: np.ndarray, w: float, b: float) -> tuple[float, float]:
    """Gradient of the mean cost over the samples given: the mean of ``sample_grads``."""
    dw, db = sample_grads(x, y, w, b)
    return float(dw.mean()), float(db.mean())


@dataclass(frozen=True)
class Moments:
    """The data's sufficient statistics: the cost is a quadratic in (w, b).

    ``C(w, b) = w²·xx + 2wb·x + b² − 2w·xy − 2b·y + yy`` with means over the
    samples. Evaluating a grid costs O(grid), not O(grid · n).
    """

    x: float
    y: float
    xx: float
    xy: float
    yy: float

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray) -> Moments:
        return cls(
            x=float(x.mean()),
            y=float(y.mean()),
            xx=float((x * x).mean()),
            xy=float((x * y).mean()),
            yy=float((y * y).mean()),
        )

    def cost(self, w: np.ndarray | float, b: np.ndarray | float) -> np.ndarray | float:
        """C(w, b), broadcasting over arrays of w and b."""
        return (
            w * w * self.xx + 2 * w * b * self.x + b * b
            - 2 * w * self.xy - 2 * b * self.y + self.yy
        )  # fmt: skip

    def grad(self, w: float, b: float) -> tuple[float, float]:
        """Full-batch (∂C/∂w, ∂C/∂b), the mean of the per-sample gradients."""
        return (
            2 * (w * self.xx + b * self.x - self.xy),
            2 * (b + w * self.x - self.y),
        )

    def optimum(self, with_bias: bool) -> tuple[float, float]:
        """Least-squares (w*, b*) from the normal equations; b* = 0 for ``ŷ = w·x``."""
        if not with_bias:
            return (self.xy / self.xx if self.xx > 0 else 0.0), 0.0
        var = self.xx - self.x * self.x
        w = (self.xy - self.x * self.y) / var if var > 0 else 0.0
        return w, self.y - w * self.x


@dataclass(frozen=True)
class Window:
    """The (w, b) rectangle a cost surface is drawn over."""

    w_lo: float
    w_hi: float
    b_lo: float
    b_hi: float

    def contains(self, w: float, b: float) -> bool:
        return self.w_lo <= w <= self.w_hi and self.b_lo <= b <= self.b_hi

    def widened(self, w: float, b: float, limit: float = 1e3) -> Window:
        """The smallest window with margin that holds (w, b) too, clipped to ±limit.

        A path that leaves the window gets a bigger one, a quarter wider than it
        needs, so that the surface is not redrawn on every step.
        """
        w_lo, w_hi = min(self.w_lo, w), max(self.w_hi, w)
        b_lo, b_hi = min(self.b_lo, b), max(self.b_hi, b)
        mw, mb = 0.25 * (w_hi - w_lo), 0.25 * (b_hi - b_lo)
        return Window(
            w_lo=max(-limit, w_lo - (mw if w < self.w_lo else 0)),
            w_hi=min(limit, w_hi + (mw if w > self.w_hi else 0)),
            b_lo=max(-limit, b_lo - (mb if b < self.b_lo else 0)),
            b_hi=min(limit, b_hi + (mb if b > self.b_hi else 0)),
        )

    def holding(self, points: Iterable[tuple[float, float]]) -> Window:
        """This window, widened as needed to hold every finite (w, b) of ``points``."""
        window = self
        for w, b in points:
            if math.isfinite(w) and math.isfinite(b) and not window.contains(w, b):
                window = window.widened(w, b)
        return window

    def grid(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """``size`` evenly spaced values of w and of b across the window."""
        return np.linspace(self.w_lo, self.w_hi, size), np.linspace(self.b_lo, self.b_hi, size)


# The notes plot the bowl over w ∈ [−1, 2), b ∈ [−2, 2).
NOTES_WINDOW = Window(-1.0, 2.0, -2.0, 2.0)
