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

A race (params "race": optimizer names) runs one racer per name from the same start,
in lockstep, instead of the runs of costs. Racer i descends the cost race_cost[i]
(quadratic past the end of the list) with its own optimizer, at the rate race_lr[i]
(lr past the end of the list), and finishes at the first epoch after which its output
is within race_eps of the target: |a − y| ≤ race_eps. The optimizers turn the gradient
g = (∂C/∂w, ∂C/∂b) into a step at the rate α:

    "gd"        the notes' rule: (w, b) ← (w, b) − α·g;
    "momentum"  v ← 0.9·v + g, (w, b) ← (w, b) − α·v;
    "nesterov"  v ← 0.9·v + g, (w, b) ← (w, b) − α·(g + 0.9·v);
    "rmsprop"   s ← 0.9·s + 0.1·g², (w, b) ← (w, b) − α·g/(√s + 1e−8);
    "adam"      m ← 0.9·m + 0.1·g, s ← 0.999·s + 0.001·g²,
                (w, b) ← (w, b) − α·m̂/(√ŝ + 1e−8), m̂ = m/(1 − 0.9ᵗ), ŝ = s/(1 − 0.999ᵗ).
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
OPTIMIZERS = ("gd", "momentum", "nesterov", "rmsprop", "adam")


# -- training -------------------------------------------------------------------


def update(name: str, w: float, b: float, p: dict[str, Any]) -> tuple[float, float]:
    """One epoch of gradient descent on the one sample, with cost ``name``."""
    _, delta = COSTS[name]
    dz = float(delta(w * p["x"] + b, p["y"]))  # ∂C/∂z at the current (w, b)
    dw, db = dz * p["x"], dz  # ∂C/∂w = ∂C/∂z·x, ∂C/∂b = ∂C/∂z
    return w - p["lr"] * dw, b - p["lr"] * db


def check(p: dict[str, Any]) -> None:
    """Refuse a choice of costs, or a race, the lab does not have."""
    if p["costs"] not in CHOICES:
        raise ValueError(f"costs must be one of {CHOICES}, not {p['costs']!r}")
    race, costs, rates = p.get("race", []), p.get("race_cost", []), p.get("race_lr", [])
    if len(race) > 5 or any(name not in OPTIMIZERS for name in race):
        raise ValueError(f"race must be at most 5 of {OPTIMIZERS}, not {race!r}")
    if len(costs) > 5 or any(name not in COSTS for name in costs):
        raise ValueError(f"race_cost must be at most 5 of {tuple(COSTS)}, not {costs!r}")
    if len(rates) > 5 or not all(0 < lr <= 10 for lr in rates):
        raise ValueError(f"race_lr must be at most 5 rates in (0, 10], not {rates!r}")


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
    if p.get("race"):
        return race(p, changes, steps)
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


# -- a race ---------------------------------------------------------------------


class Optimizer:
    """The state of one optimizer over the vector (w, b), updated in place."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.v = np.zeros(2)  # momentum's and Nesterov's velocity
        self.m = np.zeros(2)  # Adam's first moment
        self.s = np.zeros(2)  # RMSProp's and Adam's mean of g²
        self.t = 0  # Adam's steps

    def step(self, theta: np.ndarray, g: np.ndarray, lr: float) -> None:
        if self.name == "gd":
            theta -= lr * g
        elif self.name in ("momentum", "nesterov"):
            self.v *= 0.9
            self.v += g
            theta -= lr * (self.v if self.name == "momentum" else g + 0.9 * self.v)
        elif self.name == "rmsprop":
            self.s *= 0.9
            self.s += (1.0 - 0.9) * (g * g)
            theta -= lr * g / (np.sqrt(self.s) + 1e-8)
        else:
            self.t += 1
            # both bias corrections folded into the rate: α·m̂/(√ŝ + ε) = α_t·m/(√s + ε_t)
            c2 = np.sqrt(1.0 - 0.999**self.t)
            lr_t, eps_t = lr * c2 / (1.0 - 0.9**self.t), 1e-8 * c2
            self.m *= 0.9
            self.m += g * (1.0 - 0.9)
            self.s *= 0.999
            self.s += (g * g) * (1.0 - 0.999)
            theta -= self.m / (np.sqrt(self.s) + eps_t) * lr_t


class Racer:
    """One racer: its cost, (w, b), its optimizer, its own rate (None: lr), its finish."""

    def __init__(self, cost: str, optimizer: str, lr: float | None, w: float, b: float) -> None:
        self.cost = cost
        self.theta = np.array([w, b])
        self.opt = Optimizer(optimizer)
        self.lr = lr
        self.diverged = False
        self.finish: int | None = None  # the first epoch after which |a − y| ≤ race_eps

    def z(self, p: dict[str, Any]) -> float:
        z: float = float(self.theta[0]) * p["x"] + float(self.theta[1])
        return z

    def update(self, p: dict[str, Any]) -> None:
        """One epoch: the gradient of its cost on the one sample, through its optimizer."""
        _, delta = COSTS[self.cost]
        dz = float(delta(self.z(p), p["y"]))  # ∂C/∂z at the current (w, b)
        g = np.array([dz * p["x"], dz])  # (∂C/∂w, ∂C/∂b)
        self.opt.step(self.theta, g, p["lr"] if self.lr is None else self.lr)
        self.diverged = not (abs(self.theta[0]) < BLOWUP and abs(self.theta[1]) < BLOWUP)

    def check_finish(self, p: dict[str, Any], step: int) -> None:
        """Mark the epoch at which its output first comes within race_eps of the target."""
        near = abs(sigmoid(self.z(p)) - p["y"]) <= p["race_eps"]
        if self.finish is None and not self.diverged and near:
            self.finish = step

    def report(self, p: dict[str, Any]) -> dict[str, Any]:
        cost, _ = COSTS[self.cost]
        z = self.z(p)
        loss = None if self.diverged else finite(float(cost(z, p["y"])))
        w, b = float(self.theta[0]), float(self.theta[1])
        return {"loss": loss, "w": finite(w), "b": finite(b), "finish": self.finish}


def race(p: dict[str, Any], changes: list[Change], steps: int) -> dict[str, Any]:
    """A race from (w0, b0) for ``steps`` epochs: every racer's numbers, and who won.

    The loss is the first racer's; winners are the racers that finished first.
    """
    names = p["race"]
    costs = [*p.get("race_cost", []), *["quadratic"] * len(names)]
    rates = [*p.get("race_lr", []), *[None] * len(names)]
    w0, b0 = float(p["w0"]), float(p["b0"])
    racers = [Racer(c, o, lr, w0, b0) for c, o, lr in zip(costs, names, rates, strict=False)]
    done = 0
    for r in racers:
        r.check_finish(p, done)
    while done < steps and not all(r.diverged for r in racers):
        p = apply_changes(p, changes, done)
        done += 1
        for r in racers:
            if not r.diverged:
                r.update(p)
                r.check_finish(p, done)
    apply_changes(p, changes, done)  # changes after the last epoch train nothing more
    out = [r.report(p) for r in racers]
    first = min((r.finish for r in racers if r.finish is not None), default=None)
    winners = [i for i, r in enumerate(racers) if first is not None and r.finish == first]
    return {"step": done, "loss": out[0]["loss"], "race": out, "winners": winners}
