"""The neuron lab's descents (issue 15): each a cost and an optimizer, from one start.

A plain neuron run is one racer per cost, each with the notes' plain descent at the lab's
``lr``; a race is one to five racers, each with its own cost (quadratic or
cross-entropy), its own optimizer (``engine.optimizers``, as beans names them) and its own
rate or the lab's, all stepping in lockstep on the one sample from the same start.

The target y is reached only as z → ∓∞ (for y = 0 or 1): a cost of this neuron has no
finite optimum to draw a circle around, as the beans race does. The finish line is on
the output instead: the first step after which ``|a − y| ≤ ε``.
"""

from __future__ import annotations

import numpy as np

from engine.activations import sigmoid
from engine.lab import Message
from engine.labs.neuron_costs import COSTS, sigmoid_prime
from engine.race import Racer, velocity_of
from engine.trail import Trail


def scalar_sigmoid(z: float) -> float:
    """σ(z) of one number: ``engine.activations.sigmoid``'s formula and rounding, bit for bit,
    at a third of its cost (every racer checks its finish line every epoch)."""
    e = float(np.exp(-abs(z)))
    return (1.0 if z >= 0 else e) / (1.0 + e)


class NeuronRacer(Racer):
    """One descent of the neuron: its cost, its optimizer, its point and its finish."""

    def __init__(self, cost_name: str, optimizer: str, lr: float | None, w: float, b: float):
        super().__init__(optimizer, lr, w, b)
        self.cost_name = cost_name
        self.cost = COSTS[cost_name]

    def grad(self, x: float, y: float) -> tuple[float, float]:
        """(∂C/∂w, ∂C/∂b) = ∂C/∂z · (x, 1) at the current point."""
        delta = float(self.cost.delta(self.w * x + self.b, y))
        return delta * x, delta

    def advance(self, x: float, y: float, lr: float) -> None:
        """One epoch on the one sample: the gradient, through this racer's optimizer."""
        self.update(self.grad(x, y), lr, None)

    def gap(self, x: float, y: float) -> float:
        """|a − y|: how far the output is from the target."""
        return abs(scalar_sigmoid(self.w * x + self.b) - y)

    def check_target(self, x: float, y: float, eps: float, step: int) -> None:
        """The finish line: the output within ε of the target after ``step`` updates."""
        if self.finish is None and not self.diverged and self.gap(x, y) <= eps:
            self.reach(step)

    def restart_trail(self) -> None:
        self.trail = Trail(self.w, self.b)

    def state(self, x: float, y: float) -> Message:
        """What the page shows of this descent; grad is what the next plain update uses."""
        z = self.w * x + self.b
        gw, gb = self.grad(x, y)
        w_path, b_path = self.trail.take()
        return {
            "w": self.w,
            "b": self.b,
            "z": z,
            "a": float(sigmoid(z)),
            "cost": float(self.cost.value(z, y)),
            "sigma_prime": float(sigmoid_prime(z)),
            "grad": {"w": gw, "b": gb},
            "path": {"w": w_path, "b": b_path},
        }

    def entry(self, x: float, y: float) -> Message:
        """A race entry: the state, and what makes it a racer (see docs/protocol.md)."""
        last = self.last
        return {
            **self.state(x, y),
            "cost_name": self.cost_name,
            "optimizer": self.optimizer,
            "lr": self.lr,
            "velocity": velocity_of(self.opt),
            "step": last["step"] if last else None,
            "gap": None if self.diverged else self.gap(x, y),
            "finish": self.finish,
            "diverged": self.diverged,
            "update": last,
        }
