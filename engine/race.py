"""Racers: descents of a cost over (w, b), each with its own optimizer and learning rate.

A plain beans run is one racer; a race (issue 15) is one to five (the page offers two to
five; one is a time trial), from the same start, on the same samples, in lockstep: every
update hands each racer the same batch, and each takes the gradient of that batch at its
own point. A racer keeps its optimizer's state (velocity, moments), its trail since the
last frame, and the step at which it first crossed the finish line: for the beans, within
ε of the least-squares optimum (``check_finish``); the neuron lab, whose target has no
finite optimum, draws its own line and calls ``reach`` (``engine.labs.neuron_race``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np
from annotated_types import Gt, Le

from engine.lab import BLOWUP, Message
from engine.optimizers import Adam, Momentum, Nesterov, Optimizer, RMSProp, make
from engine.trail import Trail

# a race's params, as both racing labs (beans, neuron) take them
OptimizerName = Literal["gd", "momentum", "nesterov", "rmsprop", "adam"]
RaceLr = Annotated[float, Gt(0), Le(10)]  # a racer's own learning rate
MAX_RACERS = 5

# the racing labs' optimizer names → engine.optimizers' ("gd" is the notes' plain descent)
ENGINE_NAME = {"gd": "sgd", "momentum": "momentum", "nesterov": "nesterov",
               "rmsprop": "rmsprop", "adam": "adam"}  # fmt: skip
KEY = "wb"  # the one parameter vector [w, b] the optimizer updates


def pair(v: np.ndarray) -> dict[str, float]:
    return {"w": float(v[0]), "b": float(v[1])}


def snapshot(opt: Optimizer) -> dict[str, Any]:
    """The optimizer's state, copied: its arrays (zeros before its first step) and Adam's t."""
    zero = np.zeros(2)
    if isinstance(opt, Momentum | Nesterov):
        return {"v": opt.v.get(KEY, zero).copy()}
    if isinstance(opt, RMSProp):
        return {"s": opt.s.get(KEY, zero).copy()}
    if isinstance(opt, Adam):
        return {"m": opt.m.get(KEY, zero).copy(), "s": opt.s.get(KEY, zero).copy(), "t": opt.t}
    return {}


def as_numbers(state: dict[str, Any]) -> dict[str, Any]:
    """A snapshot as plain numbers: what the optimizer's formula in the rule panel shows."""
    return {k: pair(v) if isinstance(v, np.ndarray) else v for k, v in state.items()}


def velocity_of(opt: Optimizer) -> dict[str, float] | None:
    """The direction the optimizer carries from step to step: v (momentum, Nesterov) or
    Adam's bias-corrected first moment m̂; None for plain descent and RMSProp."""
    if isinstance(opt, Momentum | Nesterov) and KEY in opt.v:
        return pair(opt.v[KEY])
    if isinstance(opt, Adam) and KEY in opt.m:
        return pair(opt.m[KEY] / (1.0 - opt.beta1**opt.t))
    return None


class Racer:
    """One descent: its point, its optimizer, its last update and its finish."""

    def __init__(self, optimizer: str, lr: float | None, w: float, b: float) -> None:
        self.optimizer = optimizer
        self.lr = lr  # None: the lab's live ``lr``
        self.opt = make(ENGINE_NAME[optimizer])
        self.theta = np.array([w, b], dtype=np.float64)
        self.trail = Trail(w, b)
        self.finish: int | None = None  # the first step within ε of the optimum
        self.diverged = False
        self.before: tuple[np.ndarray, np.ndarray, float, dict[str, Any]] | None = None
        self.frozen: dict[str, Any] | None = None  # the last update, kept across a switch

    @property
    def w(self) -> float:
        return float(self.theta[0])

    @property
    def b(self) -> float:
        return float(self.theta[1])

    def fresh_optimizer(self, optimizer: str) -> None:
        """Switch optimizer live: a new method starts with fresh state, from where it is."""
        self.frozen = self.last  # the last update was the old optimizer's
        self.optimizer = optimizer
        self.opt = make(ENGINE_NAME[optimizer])

    def update(self, grad: tuple[float, float], lr: float, step_size: float | None) -> None:
        """One update from the gradient ``grad``; ``step_size`` set means a fixed step
        against the gradient's sign, which no optimizer changes."""
        g = np.array(grad, dtype=np.float64)
        # what the rule panel needs of this update; made into numbers only if a frame asks
        self.before = (self.theta.copy(), g, lr, snapshot(self.opt))
        self.frozen = None
        if step_size is not None:
            self.theta -= step_size * np.sign(g)
        else:
            self.opt.step({KEY: self.theta}, {KEY: g}, lr)
        w, b = self.theta.tolist()
        self.trail.add(w, b)
        if not (abs(w) < BLOWUP and abs(b) < BLOWUP):
            self.diverged = True

    @property
    def last(self) -> dict[str, Any] | None:
        """The last update: from, to, the gradient, the rate and the optimizer's state
        before and after it; None before the first."""
        if self.frozen is not None or self.before is None:
            return self.frozen
        theta, g, lr, state = self.before
        return {"optimizer": self.optimizer, "lr": lr, "from": pair(theta), "grad": pair(g),
                "state": {"before": as_numbers(state), "after": as_numbers(snapshot(self.opt))},
                "to": pair(self.theta), "step": pair(self.theta - theta)}  # fmt: skip

    def reach(self, step: int) -> None:
        """The racer is over the finish line after ``step`` updates: kept if it is the first."""
        if self.finish is None:
            self.finish = step

    def check_finish(self, optimum: tuple[float, float], eps: float, step: int) -> None:
        if self.finish is None and self.distance(optimum) <= eps:  # once over, not measured
            self.reach(step)

    def distance(self, optimum: tuple[float, float]) -> float:
        w, b = self.theta.tolist()
        return math.hypot(w - optimum[0], b - optimum[1])


def finish_line(racers: Sequence[Racer], eps: float) -> Message:
    """Who came within ε first, and after how many steps: every racer tied at the best."""
    done = [r.finish for r in racers if r.finish is not None]
    best = min(done) if done else None
    winners = [i for i, r in enumerate(racers) if best is not None and r.finish == best]
    return {"eps": eps, "winners": winners, "step": best}


def racer_frame(
    r: Racer,
    grad: tuple[float, float],
    cost: float | None,
    optimum: tuple[float, float],
    path: Message,
) -> Message:
    """What the page draws of one racer: its point, arrows, curve point, path and finish.

    ``grad`` is the full-batch gradient at its point, ``cost`` its cost (None once it
    diverged), ``path`` the points it visited since the last frame.
    """
    last = r.last
    return {
        "optimizer": r.optimizer,
        "lr": r.lr,
        "params": {"w": r.w, "b": r.b},
        "loss": cost,
        "grad": {"w": grad[0], "b": grad[1]},
        "velocity": velocity_of(r.opt),
        "step": last["step"] if last else None,
        "distance": None if r.diverged else r.distance(optimum),
        "finish": r.finish,
        "diverged": r.diverged,
        "path": path,
        "update": last,
    }  # fmt: skip
