"""Optimizers: how a gradient becomes a parameter update.

No model owns its optimizer. An optimizer keeps its own state (velocities,
moment estimates), keyed by parameter name and created on first use, and
updates the arrays it is given IN PLACE:

    opt = make("adam")
    opt.step(params, grads, lr)  # params, grads: {name: ndarray} of equal shapes

The learning rate is an argument of every step, so it can change live or
decay (``lr_k = lr·decay^k``) without touching the optimizer. Switching
optimizer means making a new one: fresh state. Any dict of arrays works,
including one flat vector holding every parameter (``MLP.theta``), which
updates a whole network in one call.

- ``"sgd"``: ``θ ← θ − η·g``.
- ``"momentum"``: ``v ← β·v + g``, ``θ ← θ − η·v`` (β = 0.9; the heavy-ball
  form PyTorch uses, so ``v`` does not depend on η).
- ``"nesterov"``: ``v ← β·v + g``, ``θ ← θ − η·(g + β·v)`` (β = 0.9; PyTorch's
  ``nesterov=True``: the look-ahead of Sutskever et al. rewritten so the gradient is
  taken at θ itself, with the same ``v`` as momentum).
- ``"rmsprop"``: ``s ← ρ·s + (1 − ρ)·g²``, ``θ ← θ − η·g / (√s + ε)`` (ρ = 0.9 as in
  Hinton's lecture, ε = 1e−8; no bias correction, as PyTorch and Keras have it).
- ``"adam"``: ``m ← β1·m + (1 − β1)·g``, ``s ← β2·s + (1 − β2)·g²``,
  ``θ ← θ − η·m̂ / (√ŝ + ε)`` with ``m̂ = m/(1 − β1^t)``, ``ŝ = s/(1 − β2^t)``
  (β1 = 0.9, β2 = 0.999, ε = 1e−8; t counts this optimizer's steps).
  Every ``FLUSH_EVERY`` steps, moments below the smallest normal float are
  set to 0: see ``flush_subnormal``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

Arrays = dict[str, np.ndarray]
# Adam steps between flushes of subnormal moments: a decaying moment spends about 340 steps
# (β1 = 0.9) among the subnormals; flushing every 32 spares most of them for ~0.2 µs a step.
FLUSH_EVERY = 32


class Optimizer(Protocol):
    """Updates ``params`` in place from ``grads`` at learning rate ``lr``."""

    def step(self, params: Arrays, grads: Arrays, lr: float) -> None: ...


class SGD:
    """Plain gradient descent, ``θ ← θ − η·g``; no state."""

    def step(self, params: Arrays, grads: Arrays, lr: float) -> None:
        for name, p in params.items():
            p -= lr * grads[name]


class Momentum:
    """Heavy-ball momentum: ``v ← β·v + g``, ``θ ← θ − η·v``."""

    def __init__(self, beta: float = 0.9) -> None:
        self.beta = beta
        self.v: Arrays = {}

    def step(self, params: Arrays, grads: Arrays, lr: float) -> None:
        for name, p in params.items():
            v = self.v.get(name)
            if v is None:
                v = self.v[name] = np.zeros_like(p)
            v *= self.beta
            v += grads[name]
            p -= lr * v


class Nesterov:
    """Nesterov momentum: ``v ← β·v + g``, ``θ ← θ − η·(g + β·v)``."""

    def __init__(self, beta: float = 0.9) -> None:
        self.beta = beta
        self.v: Arrays = {}

    def step(self, params: Arrays, grads: Arrays, lr: float) -> None:
        for name, p in params.items():
            g = grads[name]
            v = self.v.get(name)
            if v is None:
                v = self.v[name] = np.zeros_like(p)
            v *= self.beta
            v += g
            p -= lr * (g + self.beta * v)


class RMSProp:
    """RMSProp: ``s ← ρ·s + (1 − ρ)·g²``, ``θ ← θ − η·g / (√s + ε)``."""

    def __init__(self, rho: float = 0.9, eps: float = 1e-8) -> None:
        self.rho, self.eps = rho, eps
        self.s: Arrays = {}

    def step(self, params: Arrays, grads: Arrays, lr: float) -> None:
        for name, p in params.items():
            g = grads[name]
            s = self.s.get(name)
            if s is None:
                s = self.s[name] = np.zeros_like(p)
            s *= self.rho
            s += (1.0 - self.rho) * (g * g)
            p -= lr * g / (np.sqrt(s) + self.eps)


class Adam:
    """Adam (Kingma & Ba 2015) with bias-corrected first and second moments."""

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0
        self.m: Arrays = {}
        self.s: Arrays = {}
        self._tmp: Arrays = {}

    def step(self, params: Arrays, grads: Arrays, lr: float) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # Fold both bias corrections into the rate: η·m̂/(√ŝ + ε) = η_t·m/(√s + ε_t).
        c2 = np.sqrt(1.0 - b2**self.t)
        lr_t = lr * c2 / (1.0 - b1**self.t)
        eps_t = self.eps * c2
        for name, p in params.items():
            g = grads[name]
            if name not in self.m:
                self.m[name], self.s[name] = np.zeros_like(p), np.zeros_like(p)
                self._tmp[name] = np.empty_like(p)
            m, s, tmp = self.m[name], self.s[name], self._tmp[name]
            # In place through one scratch array: no allocation per step.
            m *= b1
            np.multiply(g, 1.0 - b1, out=tmp)
            m += tmp  # m = β1·m + (1 − β1)·g
            s *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - b2
            s += tmp  # s = β2·s + (1 − β2)·g²
            np.sqrt(s, out=tmp)
            tmp += eps_t
            np.divide(m, tmp, out=tmp)
            tmp *= lr_t
            p -= tmp
            if self.t % FLUSH_EVERY == 0:
                flush_subnormal(m)
                flush_subnormal(s)


def flush_subnormal(a: np.ndarray) -> None:
    """Set the entries of ``a`` smaller than the smallest normal float (about 2e−308) to 0.

    Once a converged net's gradients vanish, Adam's moments decay through the subnormal
    range for hundreds of steps, and on many x86 CPUs arithmetic on subnormals is tens of
    times slower (the circles defaults' steps were measured 2.6× slower on one server; an
    AMD EPYC hardly slows down). The update such a moment makes, η_t·m/(√s + ε_t), is
    below 1e−280, far under the resolution of any weight it is subtracted from, and √s
    that small vanishes next to ε_t: the parameters, and every loss, stay bit for bit what
    they would be without flushing (the exported scripts, which do not flush, replay the
    lab exactly; a weight within 1e−260 of 0 would be the exception).
    """
    np.copyto(a, 0.0, where=np.abs(a) < np.finfo(a.dtype).tiny)


OPTIMIZERS: dict[str, Callable[[], Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "rmsprop": RMSProp,
    "adam": Adam,
}


def make(name: str) -> Optimizer:
    """A fresh optimizer of the given name, with empty state."""
    return OPTIMIZERS[name]()
