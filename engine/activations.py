"""Activation functions, each value beside its derivative.

The registry ``ACTIVATIONS`` is keyed by the same names the URLs and messages
use: ``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"linear"``, ``"leaky_relu"``.
Every function works elementwise on arrays of any shape.

The derivative takes both the pre-activation ``z`` and the value ``a = g(z)``:
sigmoid and tanh have derivatives cheapest in terms of ``a`` (``a·(1 − a)``,
``1 − a²``), the piecewise-linear ones in terms of ``z``. Backpropagation has
both at hand, so neither is recomputed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.01  # slope of leaky ReLU for z < 0


@dataclass(frozen=True)
class Activation:
    """One activation ``g``: ``f(z) = g(z)`` and ``df(z, a) = g'(z)`` given ``a = g(z)``."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray, np.ndarray], np.ndarray]


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)), stable for any z.

    ``e^(−z)`` overflows for very negative z; with ``e = e^(−|z|) ∈ (0, 1]``,
    σ(z) = 1/(1 + e) for z ≥ 0 and e/(1 + e) for z < 0, so nothing overflows.
    """
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def softplus(z: np.ndarray | float) -> np.ndarray:
    """ln(1 + e^z) = max(z, 0) + ln(1 + e^(−|z|)), finite for any z; −ln σ(z) = softplus(−z)."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _sigmoid_df(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return a * (1.0 - a)  # σ'(z) = σ(z)·(1 − σ(z))


def _tanh_df(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return 1.0 - a * a  # type: ignore[no-any-return]  # tanh'(z) = 1 − tanh²(z)


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)  # type: ignore[no-any-return]


def _relu_df(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return (z > 0).astype(z.dtype)  # 0 at z = 0, the usual subgradient choice


def _leaky(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def _leaky_df(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype, copy=False)


def _linear(z: np.ndarray) -> np.ndarray:
    return z


def _linear_df(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.ones_like(z)


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation("relu", _relu, _relu_df),
    "tanh": Activation("tanh", np.tanh, _tanh_df),
    "sigmoid": Activation("sigmoid", sigmoid, _sigmoid_df),
    "linear": Activation("linear", _linear, _linear_df),
    "leaky_relu": Activation("leaky_relu", _leaky, _leaky_df),
}


# Activations a scratch buffer can take in place, value for value what ``f`` returns.
# ReLU takes an array of zeros shaped like z: NumPy's loop over two arrays runs about 4×
# faster than its loop against the scalar 0, with the same result (NaN stays NaN, −0 → 0).
_IN_PLACE: dict[str, Callable[[np.ndarray, np.ndarray], object]] = {
    "relu": lambda z, zeros: np.maximum(z, zeros, out=z),
    "tanh": lambda z, zeros: np.tanh(z, out=z),
    "linear": lambda z, zeros: z,
    "leaky_relu": lambda z, zeros: np.multiply(z, LEAKY_SLOPE, out=z, where=z <= 0),
}


def apply_in_place(name: str, z: np.ndarray, zeros: np.ndarray) -> None:
    """``z ← g(z)``, bit for bit ``ACTIVATIONS[name].f(z)``, without a new array where it can.

    ``zeros`` is an array of zeros with z's shape and dtype (read, never written).
    """
    step = _IN_PLACE.get(name)
    if step is None:
        z[...] = ACTIVATIONS[name].f(z)
    else:
        step(z, zeros)


def curve(name: str, lo: float = -5.0, hi: float = 5.0, size: int = 101) -> dict[str, np.ndarray]:
    """``z``, ``g(z)`` and ``g'(z)`` on ``size`` evenly spaced points of [lo, hi], for plotting."""
    act = ACTIVATIONS[name]
    z = np.linspace(lo, hi, size)  # (size,)
    a = act.f(z)
    return {"z": z, "f": a, "df": act.df(z, a)}
