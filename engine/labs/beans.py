"""Beans: one neuron fits the line ŷ = w·x + b to bean size and toxicity.

SEEDS.md section 1. Four ways to descend on the mean squared error: per
sample (stochastic), mini-batch, full batch, and a fixed step against the
gradient's sign. The frame carries what the page draws: the line, the point on
the w–b surface with the path since the last frame, the gradient, the samples
the last update used and the numbers of that update.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from annotated_types import Ge, Gt, Le

from engine import datasets
from engine.lab import BLOWUP, Effect, Lab, Message, Ui
from engine.regression import NOTES_WINDOW, Moments, Window, batch_grad
from engine.trail import Trail
from engine.userdata import Table

Method = Literal["sgd", "minibatch", "batch", "fixed_step"]
SURFACE_SIZE = 61  # grid points per axis of the cost surface


@dataclass(frozen=True)
class BeansParams:
    """Every param of the beans lab; bounds here drive validation and controls."""

    n: Annotated[int, Ge(2), Le(10_000), Ui("data", step=1)] = 100
    slope: Annotated[float, Ge(-3), Le(3), Ui("data", step=0.1, advanced=True)] = 0.7
    intercept: Annotated[float, Ge(-3), Le(3), Ui("data", step=0.1, advanced=True)] = 0.5
    noise: Annotated[float, Ge(0), Le(1), Ui("data", step=0.01)] = 0.1
    data_seed: Annotated[int, Ge(0), Le(2**31 - 1), Ui("data", step=1)] = 0
    model: Annotated[Literal["w", "wb"], Ui("model")] = "wb"
    method: Annotated[Method, Ui("training")] = "minibatch"
    batch_size: Annotated[int, Ge(1), Le(10_000), Ui("training", step=1)] = 10
    shuffle: Annotated[bool, Ui("training")] = False
    lr: Annotated[float, Gt(0), Le(10), Ui("training", step=0.001, log=True)] = 0.3
    step_size: Annotated[float, Gt(0), Le(1), Ui("training", step=0.001, log=True)] = 0.01
    optimizer: Annotated[Literal["gd"], Ui("training", advanced=True)] = "gd"
    w0: Annotated[float, Ge(-5), Le(5), Ui("start", step=0.05)] = -0.5
    b0: Annotated[float, Ge(-5), Le(5), Ui("start", step=0.05)] = -1.5


class Beans(Lab[BeansParams]):
    """The beans lab: data, model ``w`` or ``wb``, and the four descent methods."""

    id = "beans"
    title = "Beans"
    order = 1  # place in the index of labs
    Params = BeansParams
    data_fields = frozenset({"n", "slope", "intercept", "noise", "data_seed"})
    reset_fields = frozenset({"model", "w0", "b0", "shuffle"})

    def __init__(self, params: BeansParams) -> None:
        self.table: Table | None = None  # the learner's uploaded beans, if any
        super().__init__(params)

    # -- data ----------------------------------------------------------------

    def make_data(self) -> None:
        p = self.params
        if self.table is not None:
            self.x, self.y = self.table.x[:, 0], self.table.y
        else:
            rng = np.random.default_rng(p.data_seed)
            self.x, self.y = datasets.beans(p.n, rng, p.slope, p.intercept, p.noise)
        self.moments = Moments.of(self.x, self.y)
        self.window = NOTES_WINDOW

    def data_messages(self) -> list[Message]:
        data = {
            "type": "data",
            "train": {"x": self.x, "y": self.y},
            "test": {"x": [], "y": []},
        }
        if self.table is not None:
            data["upload"] = {"rows": len(self.x)}
        return [data, self._surface()]

    def upload(self, table: Table | None) -> list[Message]:
        """Fit the learner's beans from here on (None: back to generated data), as they are:
        the plots scale to them. The model starts over; returns the data messages."""
        self.table = table
        self.make_data()
        self.reset()
        self._start_log()
        return [*self.data_messages(), *self.take_messages()]

    def carried_ops(self) -> list[tuple[str, dict[str, Any]]]:
        """Uploaded beans stay through a reset: a replay starts from them."""
        if self.table is None:
            return []
        return [("upload", {"x": self.x.tolist(), "y": self.y.tolist()})]

    def _surface(self) -> Message:
        w, b = self.window.grid(SURFACE_SIZE)
        cost = self.moments.cost(w[None, :], b[:, None])  # (len b, len w)
        w_opt, b_opt = self.optimum
        return {
            "type": "surface",
            "w": w,
            "b": b,
            "cost": np.asarray(cost, dtype=np.float32),
            "optimum": {"w": w_opt, "b": b_opt, "cost": float(self.moments.cost(w_opt, b_opt))},
        }

    def apply(self, params: BeansParams) -> Effect:
        old = self.params.model
        if any(getattr(params, f) != getattr(self.params, f) for f in self.data_fields):
            self.table = None  # new generated data replaces uploaded data
        effect = super().apply(params)
        # Another model has another bottom of the bowl: resend the surface with its optimum
        # (a reset sends no data messages), unless the reset already posted one.
        posted = any(m["type"] == "surface" for m in self._outbox)
        if effect is Effect.RESET and params.model != old and not posted:
            self.post(self._surface())
        return effect

    @property
    def optimum(self) -> tuple[float, float]:
        """The least-squares (w*, b*): the bottom of the bowl for the current model."""
        return self.moments.optimum(with_bias=self.params.model == "wb")

    # -- training ------------------------------------------------------------

    def reset(self) -> None:
        p = self.params
        self.w = float(p.w0)
        self.b = float(p.b0) if p.model == "wb" else 0.0
        self.steps = 0
        self.samples = 0
        self.cursor = 0
        self.shuffler = np.random.default_rng([p.data_seed, 1])
        self.sequence = self._epoch_order()
        self.last: dict[str, Any] | None = None
        self.trail = Trail(self.w, self.b)
        self._diverged = False
        # A restart looks at the data's window again, however far a blown-up run widened it.
        self._fit_window((self.w, self.b), self.optimum, start=NOTES_WINDOW)

    @property
    def diverged(self) -> bool:
        return self._diverged

    def rewound(self) -> None:
        self.trail = Trail(self.w, self.b)  # the page keeps the path up to here already

    def step(self, n: int) -> int:
        done = 0
        while done < n and not self._diverged:
            self._update()
            done += 1
        if done and not self._diverged:
            self._fit_window((self.w, self.b))
        return done

    def _epoch_order(self) -> np.ndarray:
        n = len(self.x)
        return self.shuffler.permutation(n) if self.params.shuffle else np.arange(n)

    def _next_batch(self, size: int) -> np.ndarray:
        """The next ``size`` sample indices in epoch order; an epoch's last batch may be short."""
        stop = min(self.cursor + size, len(self.x))
        idx = self.sequence[self.cursor : stop]
        self.cursor = stop
        if self.cursor == len(self.x):
            self.cursor = 0
            self.sequence = self._epoch_order()
        return idx

    def _update(self) -> None:
        """One parameter update by the current method, exactly as in the notes."""
        p = self.params
        if p.method in ("batch", "fixed_step"):
            idx = None
            gw, gb = batch_grad(self.x, self.y, self.w, self.b)
        else:
            idx = self._next_batch(1 if p.method == "sgd" else min(p.batch_size, len(self.x)))
            gw, gb = batch_grad(self.x[idx], self.y[idx], self.w, self.b)
        if p.method == "fixed_step":
            dw, db = p.step_size * float(np.sign(gw)), p.step_size * float(np.sign(gb))
        else:
            dw, db = p.lr * gw, p.lr * gb
        if p.model == "w":
            gb, db = 0.0, 0.0
        self.last = {"method": p.method, "lr": p.lr, "step_size": p.step_size,
                     "from": {"w": self.w, "b": self.b}, "grad": {"w": gw, "b": gb},
                     "batch": idx}  # fmt: skip
        self.w -= dw
        self.b -= db
        self.steps += 1
        self.samples += len(self.x) if idx is None else len(idx)
        self.trail.add(self.w, self.b)
        if not (abs(self.w) < BLOWUP and abs(self.b) < BLOWUP):
            self._diverged = True

    def _fit_window(self, *points: tuple[float, float], start: Window | None = None) -> None:
        """Widen the window (or ``start``) to hold the given (w, b) points; resend if it changed."""
        window = (start or self.window).holding(points)
        if window != self.window:
            self.window = window
            self.post(self._surface())

    # -- frames --------------------------------------------------------------

    def frame(self) -> Message:
        w, b = self.w, self.b
        loss = float(np.mean((w * self.x + b - self.y) ** 2)) if not self._diverged else None
        gw, gb = self.moments.grad(w, b)
        w_grid, _ = self.window.grid(SURFACE_SIZE)
        opt_cost = float(self.moments.cost(*self.optimum))
        return {
            "type": "frame",
            "step": self.steps,
            "epoch": self.samples / len(self.x),
            "loss": {"train": loss, "test": None},
            "metrics": {"excess": None if loss is None else max(loss - opt_cost, 0.0)},
            "params": {"w": w, "b": b},
            "grad": {"w": gw, "b": gb if self.params.model == "wb" else 0.0},
            "batch": self._last_batch(),
            "update": self._last_update(),
            "path": self._take_path(),
            "slice": np.asarray(self.moments.cost(w_grid, b), dtype=np.float32)
            if np.isfinite(b)
            else None,
            "diverged": self._diverged,
        }

    def _last_batch(self) -> list[int] | None:
        """Indices of the samples the last update used; None when it used all of them."""
        if self.last is None or self.last["batch"] is None:
            return None
        return [int(i) for i in self.last["batch"]]

    def _last_update(self) -> Message | None:
        if self.last is None:
            return None
        update = {k: v for k, v in self.last.items() if k != "batch"}
        update["to"] = {"w": self.w, "b": self.b}
        idx = self.last["batch"]
        if idx is not None and len(idx) == 1:
            update["sample"] = {"x": float(self.x[idx[0]]), "y": float(self.y[idx[0]])}
        return update

    def _take_path(self) -> Message:
        """(w, b) visited since the last frame, evenly thinned to at most PATH_POINTS."""
        w_list, b_list = self.trail.take()
        w, b = np.array(w_list), np.array(b_list)
        with np.errstate(all="ignore"):  # a diverging path may overflow; null is fine
            cost = self.moments.cost(w, b)
        return {"w": w.tolist(), "b": b.tolist(), "cost": np.asarray(cost).tolist()}


LAB = Beans

_NOTES_DATA = {"n": 100, "slope": 0.7, "noise": 0.1, "data_seed": 0, "shuffle": False}

# The notes' own experiments (SEEDS.md section 1), as complete param sets.
PRESETS: dict[str, dict[str, Any]] = {
    "notes_sgd_w": {**_NOTES_DATA, "intercept": 0.0, "model": "w", "method": "sgd", "lr": 0.1,
                    "w0": 0.1, "b0": 0.0, "speed": 3},
    "notes_sgd_wb": {**_NOTES_DATA, "intercept": 0.5, "model": "wb", "method": "sgd", "lr": 0.01,
                     "w0": 0.1, "b0": 0.1, "speed": 20},
    "notes_batch": {**_NOTES_DATA, "intercept": 0.5, "model": "wb", "method": "batch", "lr": 0.1,
                    "w0": 0.1, "b0": 0.1, "speed": 1},
    "notes_minibatch": {**_NOTES_DATA, "intercept": 0.5, "model": "wb", "method": "minibatch",
                        "batch_size": 10, "lr": 0.1, "w0": 0.1, "b0": 0.1, "speed": 1},
    "notes_fixed_step": {**_NOTES_DATA, "intercept": 0.5, "model": "wb", "method": "fixed_step",
                         "step_size": 0.01, "w0": 0.1, "b0": 0.1, "speed": 1},
    # Just past the limit 2/λmax ≈ 0.76: across the valley each update overshoots about 12 %
    # further than the last, while along it the point still slides down. From the far end of
    # the valley the cost goes down for a dozen steps, then the zig-zag grows and it blows up.
    "too_large": {**_NOTES_DATA, "intercept": 0.5, "model": "wb", "method": "batch", "lr": 0.8,
                  "w0": 4.0, "b0": -1.5, "speed": 1},
}  # fmt: skip
