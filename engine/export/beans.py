"""Beans: one neuron fits the line ŷ = w·x + b to bean size and toxicity.

A learner measures the size x and the toxicity y of n beans and wants a
predictor: ŷ = w·x + b (model "wb"), or the line through the origin ŷ = w·x
(model "w"). It learns by descending the mean squared error

    C(w, b) = (1/n) Σ e,   e = (ŷ − y)²   (the error of one sample),

one update at a time, with one of four methods:

    "sgd"         stochastic: the gradient of one sample's e, the samples in turn;
    "minibatch"   the mean gradient over the next batch_size samples;
    "batch"       the gradient of C itself, the mean over all n samples;
    "fixed_step"  the gradient's sign only: a fixed step of step_size against it.

All but the last move against the gradient by the learning rate α (lr):
w ← w − α·∂/∂w and b ← b − α·∂/∂b (with model "w", b stays 0). A rate that is
too large makes the cost go down and back up: the run diverges, and stops.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

METHODS = ("sgd", "minibatch", "batch", "fixed_step")
MODELS = ("w", "wb")
OPTIMIZERS = ("gd",)  # plain gradient descent, the rule above
Change = tuple[int, str, dict[str, Any]]  # (k, 'params', new values): after k updates
LIVE = {"method", "batch_size", "lr", "step_size", "optimizer"}  # the others restart the run
BLOWUP = 1e8  # |w| or |b| past this (or not a number): the run has diverged


# -- the beans ------------------------------------------------------------------


def get_beans(p: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """n beans from data_seed: sizes x uniform in [0, 1), sorted, and their toxicity y.

    y = slope·x + intercept + 2·noise·(0.5 − u), with u uniform in [0, 1): noise
    of half-width ``noise``. The defaults give the notes' get_beans(n),
    y = 0.7·x + 0.5 + (0.5 − u)/5.
    """
    rng = np.random.default_rng(p["data_seed"])
    x = np.sort(rng.random(p["n"]))
    u = rng.random(p["n"])
    y = p["slope"] * x + p["intercept"] + 2.0 * p["noise"] * (0.5 - u)
    return x, y


# -- the cost and its gradient --------------------------------------------------


def cost(x: np.ndarray, y: np.ndarray, w: float, b: float) -> float:
    """C = (1/n) Σ (w·x + b − y)², the mean squared error."""
    return float(np.mean((w * x + b - y) ** 2))


def gradient(x: np.ndarray, y: np.ndarray, w: float, b: float) -> tuple[float, float]:
    """The mean over the samples given of each one's gradient, as the notes write it:

    ∂e/∂w = 2x²w + 2xb − 2xy,   ∂e/∂b = 2b + 2xw − 2y.

    Over one sample that is (∂e/∂w, ∂e/∂b); over all of them, (∂C/∂w, ∂C/∂b).
    """
    de_dw = 2 * x**2 * w + 2 * x * b - 2 * x * y
    de_db = 2 * b + 2 * x * w - 2 * y
    return float(de_dw.mean()), float(de_db.mean())


# -- which samples an update uses -----------------------------------------------


class Batches:
    """Hands out sample indices in epoch order; the last batch of an epoch may be short.

    Without shuffle every epoch goes 0, 1, …, n − 1 (the beans are sorted by size).
    With shuffle every epoch is a new permutation, drawn from a generator seeded
    with [data_seed, 1], so a run is still reproducible.
    """

    def __init__(self, n: int, shuffle: bool, seed: int) -> None:
        self.n = n
        self.shuffle = shuffle
        self.rng = np.random.default_rng([seed, 1])
        self.order = self.new_epoch()
        self.cursor = 0  # where the next batch starts in self.order

    def new_epoch(self) -> np.ndarray:
        return self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def next(self, size: int) -> np.ndarray:
        stop = min(self.cursor + size, self.n)
        batch = self.order[self.cursor : stop]
        self.cursor = stop
        if self.cursor == self.n:  # this epoch is used up: the next one starts
            self.cursor = 0
            self.order = self.new_epoch()
        return batch


# -- one update -----------------------------------------------------------------


def update(
    p: dict[str, Any], x: np.ndarray, y: np.ndarray, w: float, b: float, batches: Batches
) -> tuple[float, float]:
    """One update of (w, b) by p["method"]; returns the new (w, b)."""
    method = p["method"]
    if method in ("batch", "fixed_step"):
        gw, gb = gradient(x, y, w, b)  # all n samples: ∂C/∂w, ∂C/∂b
    else:
        size = 1 if method == "sgd" else min(p["batch_size"], len(x))
        idx = batches.next(size)
        gw, gb = gradient(x[idx], y[idx], w, b)
    if method == "fixed_step":
        # sign(g) is −1, 0 or +1: the step is the same however steep the bowl is
        dw, db = p["step_size"] * float(np.sign(gw)), p["step_size"] * float(np.sign(gb))
    else:
        dw, db = p["lr"] * gw, p["lr"] * gb
    if p["model"] == "w":
        db = 0.0  # ŷ = w·x has no b to learn
    return w - dw, b - db


def check(p: dict[str, Any]) -> None:
    """Refuse a method, model or optimizer the lab does not have."""
    for name, allowed in (("method", METHODS), ("model", MODELS), ("optimizer", OPTIMIZERS)):
        if p[name] not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, not {p[name]!r}")


def apply_changes(p: dict[str, Any], changes: list[Change], k: int) -> dict[str, Any]:
    """The params after the changes made after k updates, in order.

    The beans lab has no ops that change training; the params that change while it
    trains are LIVE ones. Changing any other param restarts the run, and then the
    export starts from it (in PARAMS).
    """
    for at, what, values in changes:
        if at != k:
            continue
        if what != "params" or not set(values) <= LIVE:
            raise ValueError(f"not a change the beans lab makes while training: {what} {values}")
        p = {**p, **values}
        check(p)
    return p


def finite(value: float | None) -> float | None:
    """JSON has no inf or nan: a number that is not finite is reported as None (null)."""
    return value if value is not None and math.isfinite(value) else None


# -- the run --------------------------------------------------------------------


def run(params: dict[str, Any], changes: list[Change], steps: int) -> dict[str, Any]:
    """Train from ``params`` for ``steps`` updates, making each change after k updates.

    Returns the updates done (fewer than ``steps`` only if the run diverged), the
    final cost C(w, b) over all the beans (None once diverged), w and b.
    """
    p = dict(params)
    check(p)
    x, y = get_beans(p)
    if changes and changes[0][1] == "upload":  # the learner's own beans, at step 0
        data = changes[0][2]
        x, y = np.array(data["x"], dtype=np.float64), np.array(data["y"], dtype=np.float64)
        changes = changes[1:]
    w = float(p["w0"])
    b = float(p["b0"]) if p["model"] == "wb" else 0.0
    batches = Batches(len(x), p["shuffle"], p["data_seed"])
    done, diverged = 0, False
    while done < steps and not diverged:
        p = apply_changes(p, changes, done)
        w, b = update(p, x, y, w, b, batches)
        done += 1
        diverged = not (abs(w) < BLOWUP and abs(b) < BLOWUP)
    apply_changes(p, changes, done)  # changes after the last update train nothing more
    loss = None if diverged else cost(x, y, w, b)
    return {"step": done, "loss": finite(loss), "w": finite(w), "b": finite(b)}
