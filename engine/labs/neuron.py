"""Learning slowdown: one sigmoid neuron, quadratic cost against cross-entropy.

SEEDS.md section 3. One input ``x``, one target ``y``, ``z = w·x + b`` and
``a = σ(z)``; plain gradient descent ``w ← w − η·∂C/∂w``, ``b ← b − η·∂C/∂b``
on each cost, both runs in lockstep from the same start. With the quadratic
cost the gradient carries a factor σ′(z), tiny when the neuron is saturated,
so a badly wrong neuron learns slowest; cross-entropy cancels that factor.

One step is one epoch (the training set is the one sample): the frame at step
k shows the state after k updates, which is how the notes count epochs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from annotated_types import Ge, Gt, Le

from engine.activations import sigmoid, softplus
from engine.lab import BLOWUP, Lab, Message, Ui
from engine.regression import Window
from engine.trail import Trail

Array = np.ndarray | float  # every formula below broadcasts over arrays of z
CostName = Literal["quadratic", "cross_entropy"]
Costs = Literal["both", "quadratic", "cross_entropy"]

SURFACE_SIZE = 61  # grid points per axis of each cost surface

# Both presets' 300-epoch paths stay inside (lowest point: cross-entropy from
# the gentle start, near (−2.37, −2.07)), and with x = 1 the quadratic cost's
# plateau fills the corner z = w + b > 2.5 where the saturated start sits.
NEURON_WINDOW = Window(-3.0, 3.0, -3.0, 3.0)

PRESETS: dict[str, dict[str, float]] = {
    "gentle": {"w0": 0.6, "b0": 0.9},  # a = σ(1.5) ≈ 0.818: wrong, not saturated
    "saturated": {"w0": 2.0, "b0": 2.0},  # a = σ(4) ≈ 0.982: σ′ ≈ 0.018
}
"""The two starts of the notes' table, as ``{w0, b0}`` param overrides."""


# -- the neuron's math: value next to derivative ------------------------------


def sigmoid_prime(z: Array) -> Array:
    """σ′(z) = σ(z)·(1 − σ(z)) = e^−|z| / (1 + e^−|z|)², exact even where σ rounds to 1."""
    e = np.exp(-np.abs(z))
    return np.asarray(e / (1 + e) ** 2)


def quadratic_cost(z: Array, y: float) -> Array:
    """C = (a − y)² / 2 with a = σ(z)."""
    return 0.5 * (sigmoid(z) - y) ** 2


def quadratic_delta(z: Array, y: float) -> Array:
    """∂C/∂z = (a − y)·σ′(z): the σ′ factor is what makes a saturated neuron crawl."""
    return (sigmoid(z) - y) * sigmoid_prime(z)


def cross_entropy_cost(z: Array, y: float) -> Array:
    """C = −[y ln a + (1 − y) ln(1 − a)] = softplus(z) − y·z.

    Computed from z (ln a = −softplus(−z), ln(1 − a) = −softplus(z)), so it stays
    finite and exact where a itself rounds to 0 or 1; the same formula as the
    circles lab's binary cross-entropy.
    """
    return softplus(z) - y * z


def cross_entropy_delta(z: Array, y: float) -> Array:
    """∂C/∂z = a − y: σ′ cancels, so the larger the error, the faster it learns."""
    return sigmoid(z) - y


@dataclass(frozen=True)
class Cost:
    """A cost of the neuron's output as a function of z, and its ∂C/∂z.

    By the chain rule ``∂C/∂w = ∂C/∂z · x`` and ``∂C/∂b = ∂C/∂z``.
    """

    value: Callable[[Array, float], Array]
    delta: Callable[[Array, float], Array]


COSTS: dict[str, Cost] = {
    "quadratic": Cost(quadratic_cost, quadratic_delta),
    "cross_entropy": Cost(cross_entropy_cost, cross_entropy_delta),
}


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


@dataclass
class Run:
    """One cost's descent: the current (w, b) and the points visited since the last frame."""

    name: str
    cost: Cost
    w: float
    b: float
    trail: Trail

    def grad(self, x: float, y: float) -> tuple[float, float]:
        """(∂C/∂w, ∂C/∂b) = ∂C/∂z · (x, 1) at the current point."""
        delta = float(self.cost.delta(self.w * x + self.b, y))
        return delta * x, delta

    def update(self, x: float, y: float, lr: float) -> None:
        """One epoch of plain gradient descent on the one sample."""
        gw, gb = self.grad(x, y)
        self.w -= lr * gw
        self.b -= lr * gb
        self.trail.add(self.w, self.b)

    def state(self, x: float, y: float) -> Message:
        """What the page shows of this run; grad is what the next update will use."""
        z = self.w * x + self.b
        gw, gb = self.grad(x, y)
        return {
            "w": self.w,
            "b": self.b,
            "z": z,
            "a": float(sigmoid(z)),
            "cost": float(self.cost.value(z, y)),
            "sigma_prime": float(sigmoid_prime(z)),
            "grad": {"w": gw, "b": gb},
            "path": self.take_path(),
        }

    def take_path(self) -> Message:
        """(w, b) visited since the last frame, evenly thinned to at most PATH_POINTS."""
        w, b = self.trail.take()
        return {"w": w, "b": b}


class Neuron(Lab[NeuronParams]):
    """The learning-slowdown lab: one neuron, one sample, one run per cost, in lockstep."""

    id = "neuron"
    title = "Learning slowdown"
    order = 3
    Params = NeuronParams
    # The one sample (x, y) is the data: changing it resends the data and surfaces.
    data_fields = frozenset({"x", "y"})
    reset_fields = frozenset({"w0", "b0", "costs"})
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
        names = list(COSTS) if p.costs == "both" else [p.costs]
        self.runs = [Run(n, COSTS[n], float(p.w0), float(p.b0), Trail(p.w0, p.b0)) for n in names]
        self.steps = 0
        self._diverged = False
        self._fit_window()

    @property
    def diverged(self) -> bool:
        return self._diverged

    def rewound(self) -> None:
        for run in self.runs:  # the page keeps the paths up to here already
            run.trail = Trail(run.w, run.b)

    def step(self, n: int) -> int:
        p = self.params
        done = 0
        while done < n and not self._diverged:
            for run in self.runs:
                run.update(p.x, p.y, p.lr)
            self.steps += 1
            done += 1
            self._diverged = not all(abs(r.w) < BLOWUP and abs(r.b) < BLOWUP for r in self.runs)
        if done and not self._diverged:
            self._fit_window()
        return done

    def _fit_window(self) -> None:
        """Widen the surfaces' window to hold every run's point; resend them if it grew."""
        window = self.window.holding((run.w, run.b) for run in self.runs)
        if window != self.window:
            self.window = window
            for surface in self._surfaces():
                self.post(surface)

    def frame(self) -> Message:
        p = self.params
        runs = {run.name: run.state(p.x, p.y) for run in self.runs}
        headline = runs.get("cross_entropy", runs.get("quadratic"))
        return {
            "type": "frame",
            "step": self.steps,
            "epoch": float(self.steps),  # one sample: an update is an epoch
            "loss": {"train": None if headline is None else headline["cost"], "test": None},
            "metrics": {},
            "diverged": self._diverged,
            "runs": runs,
        }


LAB = Neuron
