"""Learning slowdown: one sigmoid neuron, quadratic cost against cross-entropy.

SEEDS.md section 3. One input ``x``, one target ``y``, ``z = w·x + b`` and
``a = σ(z)``; plain gradient descent ``w ← w − η·∂C/∂w``, ``b ← b − η·∂C/∂b``
on each cost, both runs in lockstep from the same start. With the quadratic
cost the gradient carries a factor σ′(z), tiny when the neuron is saturated,
so a badly wrong neuron learns slowest; cross-entropy cancels that factor.

One step is one epoch (the training set is the one sample): the frame at step
k shows the state after k updates, which is how the notes count epochs.

A race (issue 15) runs two to five racers instead, each a cost and an optimizer
(and its own rate, or ``lr``), in lockstep from the same start; the finish line
is on the output, |a − y| ≤ ε: see ``engine.labs.neuron_race``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from annotated_types import Ge, Gt, Le, Len

from engine.lab import Lab, Message, Ui
from engine.labs.neuron_costs import (
    COSTS,
    Array,
    Cost,
    CostName,
    cross_entropy_cost,
    cross_entropy_delta,
    quadratic_cost,
    quadratic_delta,
    sigmoid_prime,
)
from engine.labs.neuron_race import NeuronRacer
from engine.race import MAX_RACERS, OptimizerName, RaceLr, finish_line
from engine.regression import Window

__all__ = ["COSTS", "PRESETS", "Array", "Cost", "Neuron", "NeuronParams", "cross_entropy_cost",
           "cross_entropy_delta", "quadratic_cost", "quadratic_delta", "sigmoid_prime"]  # fmt: skip

Costs = Literal["both", "quadratic", "cross_entropy"]
RACE_DEFAULT_COST: CostName = "quadratic"  # a racer past the end of race_cost

SURFACE_SIZE = 61  # grid points per axis of each cost surface

# Both presets' 300-epoch paths stay inside (lowest point: cross-entropy from
# the gentle start, near (−2.37, −2.07)), and with x = 1 the quadratic cost's
# plateau fills the corner z = w + b > 2.5 where the saturated start sits.
NEURON_WINDOW = Window(-3.0, 3.0, -3.0, 3.0)

_PLAIN: dict[str, Any] = {"race": [], "race_cost": [], "race_lr": []}  # the notes race nobody

PRESETS: dict[str, dict[str, Any]] = {
    "gentle": {"w0": 0.6, "b0": 0.9, **_PLAIN},  # a = σ(1.5) ≈ 0.818: wrong, not saturated
    "saturated": {"w0": 2.0, "b0": 2.0, **_PLAIN},  # a = σ(4) ≈ 0.982: σ′ ≈ 0.018
    # Issue 15: the saturated start, raced. Plain descent on the quadratic cost crawls on
    # its plateau; cross-entropy cancels σ′; Adam, whose steps are about η whatever the
    # slope, walks the quadratic cost off the plateau and wins.
    "race": {"w0": 2.0, "b0": 2.0, "lr": 0.15, "race": ["gd", "gd", "adam"],
             "race_cost": ["quadratic", "cross_entropy", "quadratic"], "race_lr": [],
             "race_eps": 0.05},
}  # fmt: skip
"""The two starts of the notes' table, as ``{w0, b0}`` param overrides (ending any race),
and a race."""


# -- the lab ------------------------------------------------------------------


@dataclass(frozen=True)
class NeuronParams:
    """Every param of the neuron lab; bounds here drive validation and controls."""

    x: Annotated[float, Ge(-5), Le(5), Ui("data", step=0.1)] = 1.0
    y: Annotated[float, Ge(0), Le(1), Ui("data", step=0.01)] = 0.0
    w0: Annotated[float, Ge(-5), Le(5), Ui("start", step=0.05)] = 0.6
    b0: Annotated[float, Ge(-5), Le(5), Ui("start", step=0.05)] = 0.9
    lr: Annotated[float, Gt(0), Le(10), Ui("training", step=0.001, log=True)] = 0.15
    costs: Annotated[Costs, Ui("training")] = "both"
    # A race: the racers' optimizers (none: the plain runs of ``costs``), the first racers'
    # costs (the others: quadratic) and own rates (the others use lr, live), and the finish
    # line: |a − y| ≤ race_eps. Any list the bounds allow is a race, as in beans.
    race: Annotated[tuple[OptimizerName, ...], Len(0, MAX_RACERS), Ui("race")] = ()
    race_cost: Annotated[tuple[CostName, ...], Len(0, MAX_RACERS), Ui("race")] = ()
    race_lr: Annotated[tuple[RaceLr, ...], Len(0, MAX_RACERS), Ui("race")] = ()
    race_eps: Annotated[float, Gt(0), Le(0.5), Ui("race", step=0.001, log=True)] = 0.05


class Neuron(Lab[NeuronParams]):
    """The learning-slowdown lab: one neuron, one sample, one run per cost, in lockstep;
    or a race of costs and optimizers (``engine.labs.neuron_race``)."""

    id = "neuron"
    title = "Learning slowdown"
    order = 3
    Params = NeuronParams
    # The one sample (x, y) is the data: changing it resends the data and surfaces.
    data_fields = frozenset({"x", "y"})
    reset_fields = frozenset({"w0", "b0", "costs", "race", "race_cost", "race_lr", "race_eps"})
    # One epoch a frame: the notes' 300 epochs play in about 10 s at 30 frames a second,
    # slow enough to watch the quadratic run sit on its plateau.
    default_speed = 1.0

    def make_data(self) -> None:
        self.window = NEURON_WINDOW

    def data_messages(self) -> list[Message]:
        p = self.params
        data = {"type": "data", "train": {"x": [p.x], "y": [p.y]}, "test": {"x": [], "y": []}}
        return [data, *self._surfaces()]

    def _surfaces(self) -> list[Message]:
        """C(w, b) of both costs (whichever runs), so switching costs needs no resend."""
        p = self.params
        w, b = self.window.grid(SURFACE_SIZE)
        z = w[None, :] * p.x + b[:, None]  # (len b, len w)
        return [
            {"type": "surface", "cost_name": name, "w": w, "b": b,
             "cost": np.asarray(cost.value(z, p.y), dtype=np.float32)}
            for name, cost in COSTS.items()
        ]  # fmt: skip

    def reset(self) -> None:
        p = self.params
        w0, b0 = float(p.w0), float(p.b0)
        entries: list[tuple[str, str, float | None]]  # (cost, optimizer, own lr)
        if p.race:
            costs = [*p.race_cost, *[RACE_DEFAULT_COST] * len(p.race)]
            own: list[float | None] = [*p.race_lr, *[None] * len(p.race)]
            entries = list(zip(costs, p.race, own, strict=False))
        else:  # the notes' plain descent, one run per cost, at the live lr
            names = list(COSTS) if p.costs == "both" else [p.costs]
            entries = [(name, "gd", None) for name in names]
        self.racers = [NeuronRacer(c, o, lr, w0, b0) for c, o, lr in entries]
        self.racing = bool(p.race)  # a race of one is a time trial: still a race
        self.steps = 0
        self._diverged = False
        for r in self.racers:
            r.check_target(p.x, p.y, p.race_eps, 0)
        self._fit_window()

    @property
    def diverged(self) -> bool:
        return self._diverged

    def rewound(self) -> None:
        for r in self.racers:  # the page keeps the paths up to here already
            r.restart_trail()

    def step(self, n: int) -> int:
        p = self.params
        done = 0
        with np.errstate(all="ignore"):  # a blow-up is reported as divergence, not warnings
            while done < n and not self._diverged:
                self.steps += 1
                for r in self.racers:
                    if not r.diverged:
                        r.advance(p.x, p.y, p.lr if r.lr is None else r.lr)
                        r.check_target(p.x, p.y, p.race_eps, self.steps)
                done += 1
                blown = [r.diverged for r in self.racers]
                # a plain run stops when either cost blows up; a race when every racer has
                self._diverged = all(blown) if self.racing else any(blown)
        if done and not self._diverged:
            self._fit_window()
        return done

    def _fit_window(self) -> None:
        """Widen the surfaces' window to hold every run's point; resend them if it grew."""
        window = self.window.holding((r.w, r.b) for r in self.racers if not r.diverged)
        if window != self.window:
            self.window = window
            for surface in self._surfaces():
                self.post(surface)

    def frame(self) -> Message:
        p = self.params
        if self.racing:
            race: list[Message] | None = [r.entry(p.x, p.y) for r in self.racers]
            runs: dict[str, Message] = {}
            headline = race[0] if race else None
        else:
            race = None
            runs = {r.cost_name: r.state(p.x, p.y) for r in self.racers}
            headline = runs.get("cross_entropy", runs.get("quadratic"))
        return {
            "type": "frame",
            "step": self.steps,
            "epoch": float(self.steps),  # one sample: an update is an epoch
            "loss": {"train": None if headline is None else headline["cost"], "test": None},
            "metrics": {},
            "diverged": self._diverged,
            "runs": runs,
            "race": race,
            "finish": finish_line(self.racers, p.race_eps),
        }


LAB = Neuron
