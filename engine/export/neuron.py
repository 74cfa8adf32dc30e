"""Learning slowdown: one sigmoid neuron, quadratic cost against cross-entropy.

The whole training set is one sample: input x, target y. The neuron computes

    z = w·x + b,   a = σ(z) = 1 / (1 + e^−z),

and learns by plain gradient descent with learning rate η (lr), one update an
epoch. By the chain rule ∂C/∂w = ∂C/∂z·x and ∂C/∂b = ∂C/∂z, so

    w ← w − η·∂C/∂z·x,   b ← b − η·∂C/∂z.

Two costs train side by side from the same start (w0, b0):

    quadratic      C = (a − y)²/2                    ∂C/∂z = (a − y)·σ′(z)
    cross-entropy  C = −[y ln a + (1 − y) ln(1 − a)]  ∂C/∂z = a − y

σ′(z) = σ(z)·(1 − σ(z)) is tiny when the neuron is saturated (a near 0 or 1),
so with the quadratic cost a badly wrong neuron learns slowest. Cross-entropy
cancels that factor: the larger the error, the faster it learns. The notes
start from (w, b) = (0.6, 0.9) and from the saturated (2, 2), with x = 1,
y = 0, η = 0.15, for 300 epochs; costs picks both runs or just one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

Change = tuple[int, str, dict[str, Any]]  # (k, 'params', new values): after k updates
LIVE = {"lr"}  # x, y, w0, b0 and costs restart the run
BLOWUP = 1e8  # |w| or |b| past this (or not a number): the run has diverged


# -- σ and the two costs, as functions of z -------------------------------------
# All of them are written with e = e^−|z|, which lies in (0, 1]: nothing overflows
# for any z, and they stay exact where a itself rounds to 0 or 1. They use NumPy's
# exp and log1p, as the playground does: math.exp can differ in the last bit, and
# after a few hundred epochs so would the run.


def sigmoid(z: float) -> float:
    """σ(z) = 1/(1 + e^−z): 1/(1 + e) for z ≥ 0, and e/(1 + e) for z < 0."""
    e: float = np.exp(-abs(z))
    return (1.0 if z >= 0 else e) / (1.0 + e)


def sigmoid_prime(z: float) -> float:
    """σ′(z) = σ(z)·(1 − σ(z)) = e/(1 + e)²."""
    e: float = np.exp(-abs(z))
    return e / (1 + e) ** 2


def quadratic(z: float, y: float) -> float:
    """C = (a − y)²/2."""
    return 0.5 * (sigmoid(z) - y) ** 2


def quadratic_delta(z: float, y: float) -> float:
    """∂C/∂z = (a − y)·σ′(z): the σ′ factor is what makes a saturated neuron crawl."""
    return (sigmoid(z) - y) * sigmoid_prime(z)


def cross_entropy(z: float, y: float) -> float:
    """C = −[y ln a + (1 − y) ln(1 − a)] = softplus(z) − y·z.

    With softplus(z) = ln(1 + e^z) = max(z, 0) + ln(1 + e^−|z|): since
    ln a = −softplus(−z) and ln(1 − a) = −softplus(z).
    """
    softplus: float = np.maximum(z, 0.0) + np.log1p(np.exp(-abs(z)))
    return softplus - y * z


def cross_entropy_delta(z: float, y: float) -> float:
    """∂C/∂z = a − y: σ′ cancels, so the larger the error, the faster it learns."""
    return sigmoid(z) - y


Cost = Callable[[float, float], float]
COSTS: dict[str, tuple[Cost, Cost]] = {  # name: (C, ∂C/∂z), in the order they train
    "quadratic": (quadratic, quadratic_delta),
    "cross_entropy": (cross_entropy, cross_entropy_delta),
}
CHOICES = ("both", *COSTS)


# -- training -------------------------------------------------------------------


def update(name: str, w: float, b: float, p: dict[str, Any]) -> tuple[float, float]:
    """One epoch of gradient descent on the one sample, with cost ``name``."""
    _, delta = COSTS[name]
    dz = float(delta(w * p["x"] + b, p["y"]))  # ∂C/∂z at the current (w, b)
    dw, db = dz * p["x"], dz  # ∂C/∂w = ∂C/∂z·x, ∂C/∂b = ∂C/∂z
    return w - p["lr"] * dw, b - p["lr"] * db


def check(p: dict[str, Any]) -> None:
    """Refuse a choice of costs the lab does not have."""
    if p["costs"] not in CHOICES:
        raise ValueError(f"costs must be one of {CHOICES}, not {p['costs']!r}")


def apply_changes(p: dict[str, Any], changes: list[Change], k: int) -> dict[str, Any]:
    """The params after the changes made after k updates, in order.

    Only the learning rate changes while the neuron trains; changing any other
    param restarts the run, and then the export starts from it (in PARAMS).
    """
    for at, what, values in changes:
        if at != k:
            continue
        if what != "params" or not set(values) <= LIVE:
            raise ValueError(f"not a change the neuron lab makes while training: {what} {values}")
        p = {**p, **values}
    return p


def finite(value: float) -> float | None:
    """JSON has no inf or nan: a number that is not finite is reported as None (null)."""
    return value if math.isfinite(value) else None


def run(params: dict[str, Any], changes: list[Change], steps: int) -> dict[str, Any]:
    """Train from ``params`` for ``steps`` epochs, making each change after k of them.

    Returns the epochs done (fewer than ``steps`` only if a run diverged) and the
    final cost of the cross-entropy run, or of the quadratic one if it runs alone.
    """
    p = dict(params)
    check(p)
    names = list(COSTS) if p["costs"] == "both" else [p["costs"]]
    points = {name: (float(p["w0"]), float(p["b0"])) for name in names}  # name: (w, b)
    done, diverged = 0, False
    while done < steps and not diverged:
        p = apply_changes(p, changes, done)
        for name in names:
            points[name] = update(name, *points[name], p)
        done += 1
        diverged = not all(abs(w) < BLOWUP and abs(b) < BLOWUP for w, b in points.values())
    apply_changes(p, changes, done)  # changes after the last epoch train nothing more
    shown = "cross_entropy" if "cross_entropy" in points else "quadratic"
    w, b = points[shown]
    cost, _ = COSTS[shown]
    return {"step": done, "loss": finite(float(cost(w * p["x"] + b, p["y"])))}
