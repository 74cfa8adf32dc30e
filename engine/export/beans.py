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

All but the last turn the gradient g = (∂/∂w, ∂/∂b) into a step with an optimizer,
at the learning rate α (lr); with model "w", b stays 0:

    "gd"        the notes' rule: (w, b) ← (w, b) − α·g;
    "momentum"  v ← 0.9·v + g, (w, b) ← (w, b) − α·v;
    "nesterov"  v ← 0.9·v + g, (w, b) ← (w, b) − α·(g + 0.9·v);
    "rmsprop"   s ← 0.9·s + 0.1·g², (w, b) ← (w, b) − α·g/(√s + 1e−8);
    "adam"      m ← 0.9·m + 0.1·g, s ← 0.999·s + 0.001·g²,
                (w, b) ← (w, b) − α·m̂/(√ŝ + 1e−8), m̂ = m/(1 − 0.9ᵗ), ŝ = s/(1 − 0.999ᵗ).

A rate that is too large makes the cost go down and back up: the run diverges,
and stops. A race (params "race": optimizer names, "race_lr": their rates or [] for
lr) runs several racers from the same start on the same samples, in lockstep, and
reports the first step at which each came within race_eps of the least-squares
optimum. Racers past the end of race_lr use lr.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

METHODS = ("sgd", "minibatch", "batch", "fixed_step")
MODELS = ("w", "wb")
OPTIMIZERS = ("gd", "momentum", "nesterov", "rmsprop", "adam")
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


# -- the optimizers ---------------------------------------------------------------


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


# -- one update -----------------------------------------------------------------


class Racer:
    """One descent: (w, b), its optimizer, its own rate (None: lr) and its finish."""

    def __init__(self, optimizer: str, lr: float | None, w: float, b: float) -> None:
        self.theta = np.array([w, b])
        self.opt = Optimizer(optimizer)
        self.lr = lr
        self.diverged = False
        self.finish: int | None = None  # the first step within race_eps of the optimum

    def update(self, p: dict[str, Any], x: np.ndarray, y: np.ndarray) -> None:
        """One update of (w, b) by p["method"] over the samples given."""
        w, b = float(self.theta[0]), float(self.theta[1])
        gw, gb = gradient(x, y, w, b)
        g = np.array([gw, gb if p["model"] == "wb" else 0.0])  # ŷ = w·x has no b to learn
        if p["method"] == "fixed_step":
            # sign(g) is −1, 0 or +1: the step is the same however steep the bowl is
            self.theta -= p["step_size"] * np.sign(g)
        else:
            self.opt.step(self.theta, g, p["lr"] if self.lr is None else self.lr)
        self.diverged = not (abs(self.theta[0]) < BLOWUP and abs(self.theta[1]) < BLOWUP)


def samples(p: dict[str, Any], x: np.ndarray, y: np.ndarray, batches: Batches) -> np.ndarray | None:
    """The indices of the samples the next update uses; None: all of them (∂C/∂w, ∂C/∂b)."""
    if p["method"] in ("batch", "fixed_step"):
        return None
    return batches.next(1 if p["method"] == "sgd" else min(p["batch_size"], len(x)))


def optimum(x: np.ndarray, y: np.ndarray, with_bias: bool) -> tuple[float, float]:
    """The least-squares (w*, b*), from the normal equations in the data's means."""
    mx, my = float(x.mean()), float(y.mean())
    xx, xy = float((x * x).mean()), float((x * y).mean())
    if not with_bias:
        return (xy / xx if xx > 0 else 0.0), 0.0
    var = xx - mx * mx
    w = (xy - mx * my) / var if var > 0 else 0.0
    return w, my - w * mx


def check(p: dict[str, Any]) -> None:
    """Refuse a method, model, optimizer or race the lab does not have."""
    for name, allowed in (("method", METHODS), ("model", MODELS), ("optimizer", OPTIMIZERS)):
        if p[name] not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, not {p[name]!r}")
    race, rates = p.get("race", []), p.get("race_lr", [])
    if len(race) > 5 or any(name not in OPTIMIZERS for name in race):
        raise ValueError(f"race must be at most 5 of {OPTIMIZERS}, not {race!r}")
    if len(rates) > 5 or not all(0 < lr <= 10 for lr in rates):
        raise ValueError(f"race_lr must be at most 5 rates in (0, 10], not {rates!r}")


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

    Returns the updates done (fewer than ``steps`` only if every racer diverged), the
    final cost C(w, b) over all the beans (None once diverged), w and b; of the first
    racer in a race, which adds each racer's and the finish line's numbers.
    """
    p = dict(params)
    check(p)
    x, y = get_beans(p)
    if changes and changes[0][1] == "upload":  # the learner's own beans, at step 0
        data = changes[0][2]
        x, y = np.array(data["x"], dtype=np.float64), np.array(data["y"], dtype=np.float64)
        changes = changes[1:]
    w0 = float(p["w0"])
    b0 = float(p["b0"]) if p["model"] == "wb" else 0.0
    race = p.get("race", [])
    rates = [*p.get("race_lr", []), *[None] * len(race)]  # racers past the list use lr
    racers = [Racer(name, lr, w0, b0) for name, lr in zip(race, rates, strict=False)]
    racers = racers or [Racer(p["optimizer"], None, w0, b0)]
    best = optimum(x, y, p["model"] == "wb")
    eps = p.get("race_eps", 0.01)
    batches = Batches(len(x), p["shuffle"], p["data_seed"])
    done = 0
    finish(racers, best, eps, done)
    while done < steps and not all(r.diverged for r in racers):
        p = live(p, changes, done, racers)
        idx = samples(p, x, y, batches)
        bx, by = (x, y) if idx is None else (x[idx], y[idx])
        done += 1
        for r in racers:
            if not r.diverged:
                r.update(p, bx, by)
        finish(racers, best, eps, done)
    live(p, changes, done, racers)  # changes after the last update train nothing more
    out: dict[str, Any] = {"step": done, **report(racers[0], x, y)}
    if race:
        out["race"] = [{**report(r, x, y), "finish": r.finish} for r in racers]
        first = min((r.finish for r in racers if r.finish is not None), default=None)
        out["winners"] = [
            i for i, r in enumerate(racers) if first is not None and r.finish == first
        ]
    return out


def live(p: dict[str, Any], changes: list[Change], k: int, racers: list[Racer]) -> dict[str, Any]:
    """The params after the changes made after k updates; a new optimizer starts afresh."""
    new = apply_changes(p, changes, k)
    if new["optimizer"] != p["optimizer"] and not p.get("race"):
        racers[0].opt = Optimizer(new["optimizer"])  # a race's optimizers are its own
    return new


def finish(racers: list[Racer], best: tuple[float, float], eps: float, step: int) -> None:
    """Mark the racers that come within eps of the optimum for the first time."""
    for r in racers:
        w, b = float(r.theta[0]), float(r.theta[1])
        if r.finish is None and not r.diverged and math.hypot(w - best[0], b - best[1]) <= eps:
            r.finish = step


def report(r: Racer, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    w, b = float(r.theta[0]), float(r.theta[1])
    loss = None if r.diverged else cost(x, y, w, b)
    return {"loss": finite(loss), "w": finite(w), "b": finite(b)}
