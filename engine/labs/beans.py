"""Beans: one neuron fits the line ŷ = w·x + b to bean size and toxicity.

SEEDS.md section 1. Four ways to descend on the mean squared error: per
sample (stochastic), mini-batch, full batch, and a fixed step against the
gradient's sign. The frame carries what the page draws: the line, the point on
the w–b surface with the path since the last frame, the gradient, the samples
the last update used and the numbers of that update.

The gradient becomes an update through an optimizer: the notes' plain descent
(``gd``), momentum, Nesterov, RMSProp or Adam. A race (issue 15) runs two to
five of them (or one at several rates) in lockstep from the same start on the
same samples; see ``engine.race``. The params and the lesson presets live in
``engine.labs.beans_params``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine import datasets
from engine.lab import Effect, Lab, Message
from engine.labs.beans_params import PRESETS, BeansParams
from engine.race import Racer, finish_line, racer_frame
from engine.regression import NOTES_WINDOW, Moments, Window, batch_grad
from engine.trail import Trail
from engine.userdata import Table

__all__ = ["PRESETS", "Beans", "BeansParams"]

SURFACE_SIZE = 61  # grid points per axis of the cost surface


class Beans(Lab[BeansParams]):
    """The beans lab: data, model ``w`` or ``wb``, and the four descent methods."""

    id = "beans"
    title = "Beans"
    order = 1  # place in the index of labs
    Params = BeansParams
    data_fields = frozenset({"n", "slope", "intercept", "noise", "data_seed"})
    reset_fields = frozenset({"model", "w0", "b0", "shuffle", "race", "race_lr", "race_eps"})

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
        w0 = float(p.w0)
        b0 = float(p.b0) if p.model == "wb" else 0.0
        own: list[float | None] = [*p.race_lr, *[None] * len(p.race)]
        entries = list(zip(p.race, own, strict=False)) or [(p.optimizer, None)]
        self.racers = [Racer(name, lr, w0, b0) for name, lr in entries]
        self.racing = bool(p.race)  # a race of one is a time trial: still a race
        self.steps = 0
        self.samples = 0
        self.cursor = 0
        self.shuffler = np.random.default_rng([p.data_seed, 1])
        self.sequence = self._epoch_order()
        self.last_batch: np.ndarray | None = None
        for r in self.racers:
            r.check_finish(self.optimum, p.race_eps, 0)
        # A restart looks at the data's window again, however far a blown-up run widened it.
        self._fit_window((w0, b0), self.optimum, start=NOTES_WINDOW)

    @property
    def w(self) -> float:
        """The first racer's w: the only one's, outside a race."""
        return self.racers[0].w

    @property
    def b(self) -> float:
        return self.racers[0].b

    @property
    def diverged(self) -> bool:
        return all(r.diverged for r in self.racers)

    def on_live_change(self, changed: set[str]) -> None:
        if "optimizer" in changed and not self.racing:
            self.racers[0].fresh_optimizer(self.params.optimizer)

    def rewound(self) -> None:
        self.trail = Trail(self.w, self.b)  # the page keeps the path up to here already

    def step(self, n: int) -> int:
        done = 0
        while done < n and not self.diverged:
            self._update()
            done += 1
        if done:
            self._fit_window(*((r.w, r.b) for r in self.racers if not r.diverged))
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
        """One update of every racer by the current method, on the same samples."""
        p = self.params
        idx = None
        if p.method in ("sgd", "minibatch"):
            idx = self._next_batch(1 if p.method == "sgd" else min(p.batch_size, len(self.x)))
        x, y = (self.x, self.y) if idx is None else (self.x[idx], self.y[idx])
        fixed = p.step_size if p.method == "fixed_step" else None
        best = self.optimum
        self.steps += 1
        for r in self.racers:
            if r.diverged:
                continue
            gw, gb = batch_grad(x, y, *r.theta.tolist())
            r.update((gw, gb if p.model == "wb" else 0.0), p.lr if r.lr is None else r.lr, fixed)
            r.check_finish(best, p.race_eps, self.steps)
        self.last_batch = idx
        self.samples += len(self.x) if idx is None else len(idx)

    def _fit_window(self, *points: tuple[float, float], start: Window | None = None) -> None:
        """Widen the window (or ``start``) to hold the given (w, b) points; resend if it changed."""
        window = (start or self.window).holding(points)
        if window != self.window:
            self.window = window
            self.post(self._surface())

    # -- frames --------------------------------------------------------------

    def frame(self) -> Message:
        opt_cost = float(self.moments.cost(*self.optimum))
        runs = [self._racer_frame(r) for r in self.racers]
        first = runs[0]
        w, b, loss = first["params"]["w"], first["params"]["b"], first["loss"]
        w_grid, _ = self.window.grid(SURFACE_SIZE)
        return {
            "type": "frame",
            "step": self.steps,
            "epoch": self.samples / len(self.x),
            "loss": {"train": loss, "test": None},
            "metrics": {"excess": None if loss is None else max(loss - opt_cost, 0.0)},
            "params": {"w": w, "b": b},
            "grad": first["grad"],
            "batch": self._last_batch(),
            "update": self._last_update(first["update"]),
            "path": first["path"],
            "slice": np.asarray(self.moments.cost(w_grid, b), dtype=np.float32)
            if np.isfinite(b)
            else None,
            "diverged": self.diverged,
            "race": runs if self.racing else None,
            "finish": finish_line(self.racers, self.params.race_eps),
        }

    def _racer_frame(self, r: Racer) -> Message:
        loss = None if r.diverged else float(np.mean((r.w * self.x + r.b - self.y) ** 2))
        gw, gb = self.moments.grad(r.w, r.b)
        grad = (gw, gb if self.params.model == "wb" else 0.0)
        return racer_frame(r, grad, loss, self.optimum, self._take_path(r.trail))

    def _last_batch(self) -> list[int] | None:
        """Indices of the samples the last update used; None when it used all of them."""
        if self.last_batch is None:
            return None
        return [int(i) for i in self.last_batch]

    def _last_update(self, last: Message | None) -> Message | None:
        """The first racer's last update, with what the page's rule panel needs."""
        if last is None:
            return None
        p, idx = self.params, self.last_batch
        update = {"method": p.method, "lr": last["lr"], "step_size": p.step_size,
                  "from": last["from"], "grad": last["grad"], "optimizer": last["optimizer"],
                  "state": last["state"], "to": {"w": self.w, "b": self.b}}  # fmt: skip
        if idx is not None and len(idx) == 1:
            update["sample"] = {"x": float(self.x[idx[0]]), "y": float(self.y[idx[0]])}
        return update

    def _take_path(self, trail: Trail) -> Message:
        """(w, b) visited since the last frame, evenly thinned to at most PATH_POINTS."""
        w_list, b_list = trail.take()
        w, b = np.array(w_list), np.array(b_list)
        with np.errstate(all="ignore"):  # a diverging path may overflow; null is fine
            cost = self.moments.cost(w, b)
        return {"w": w.tolist(), "b": b.tolist(), "cost": np.asarray(cost).tolist()}


LAB = Beans
