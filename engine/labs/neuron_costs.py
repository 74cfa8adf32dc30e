"""The neuron lab's math: σ′ and its two costs, each value next to its ∂C/∂z.

SEEDS.md section 3. ``z = w·x + b``, ``a = σ(z)``; every formula broadcasts over
arrays of z (the cost surfaces) and takes the target y.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from engine.activations import sigmoid, softplus

Array = np.ndarray | float  # every formula below broadcasts over arrays of z
CostName = Literal["quadratic", "cross_entropy"]


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
