"""A general multilayer perceptron: fully connected layers, forward and backward.

Samples are ROWS: a batch ``X`` is (m, d_0), layer l computes

    Z_l = A_{l−1} · W_l + b_l      # (m, d_l); W_l is (d_{l−1}, d_l), b_l is (d_l,)
    A_l = g(Z_l)                   # hidden activation g; A_0 = X

(the notes write the transpose, ``Z = W·A + b`` with samples as columns).
The last layer's ``Z_L`` are the logits; the output activation (``"sigmoid"``,
``"softmax"`` or ``"linear"``) turns them into predictions in ``predict``,
while training hands the logits to a loss from ``engine.losses``, whose
gradient ``∂L/∂Z_L`` starts ``backward``. A typical update:

    net = MLP([2, 8, 8, 1], "relu", "sigmoid", np.random.default_rng(seed))
    Z = net.forward(Xb, train=True, dropout=0.1, rng=rng)     # (m, 1) logits
    net.backward(LOSSES["bce"].grad(Z, yb), l1=0.0, l2=1e-4)  # fills net.grads
    opt.step(net.params, net.grads, lr)                       # or the flat form below

``params`` and ``grads`` are ``{"W1", "b1", "W2", …}`` dicts whose arrays are
views into ONE flat vector each, ``theta`` and ``dtheta``: optimizers may
update either form, ``opt.step({"theta": net.theta}, {"theta": net.dtheta},
lr)`` being the fastest. Update them in place; never rebind the arrays.

An empty hidden list (``sizes = [d_0, d_out]``) is logistic (or softmax)
regression. Regularization penalizes weights only, never biases:
``L1: λ1·Σ|W|`` (gradient ``λ1·sign W``) and ``L2: (λ2/2)·Σ W²`` (gradient
``λ2·W``), added to the mean data loss. Dropout (inverted) acts on hidden
activations in training only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from engine.activations import ACTIVATIONS, apply_in_place, sigmoid
from engine.losses import softmax

OUTPUTS = ("sigmoid", "softmax", "linear")
HE_ACTIVATIONS = frozenset({"relu", "leaky_relu"})  # He init suits these; Xavier the rest

Cache = tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]


class MLP:
    """Fully connected network of layer widths ``sizes = [d_0, d_1, …, d_L]``.

    ``activation`` is the hidden layers' activation (a key of ``ACTIVATIONS``),
    ``output`` one of ``OUTPUTS``. Weights start from ``rng``: He normal,
    ``N(0, 2/d_in)``, for layers followed by ReLU or leaky ReLU; Xavier
    (Glorot) normal, ``N(0, 2/(d_in + d_out))``, otherwise, including the
    output layer. Biases start at 0.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "relu",
        output: str = "sigmoid",
        rng: np.random.Generator | None = None,
    ) -> None:
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"expected at least 2 positive layer sizes, got {list(sizes)}")
        if output not in OUTPUTS:
            raise ValueError(f"expected output in {OUTPUTS}, got {output!r}")
        self.sizes = tuple(int(s) for s in sizes)
        self.activation = activation
        self.act = ACTIVATIONS[activation]
        self.output = output
        total = sum(a * b + b for a, b in zip(self.sizes, self.sizes[1:], strict=False))
        self.theta = np.zeros(total)  # every parameter, flat
        self.dtheta = np.zeros(total)  # every gradient, same layout
        self._bind()
        self.init(rng if rng is not None else np.random.default_rng(0))

    def _bind(self) -> None:
        """Make ``W``, ``b``, ``gW``, ``gb``, ``params``, ``grads`` views into the flat vectors."""
        self.W: list[np.ndarray] = []
        self.b: list[np.ndarray] = []
        self.gW: list[np.ndarray] = []
        self.gb: list[np.ndarray] = []
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        at = 0
        for k, (d_in, d_out) in enumerate(zip(self.sizes, self.sizes[1:], strict=False), 1):
            for name, shape, vals, grads in (
                (f"W{k}", (d_in, d_out), self.W, self.gW),
                (f"b{k}", (d_out,), self.b, self.gb),
            ):
                size = int(np.prod(shape))
                vals.append(self.theta[at : at + size].reshape(shape))
                grads.append(self.dtheta[at : at + size].reshape(shape))
                self.params[name], self.grads[name] = vals[-1], grads[-1]
                at += size
        self._cache: list[Cache] = []

    def init(self, rng: np.random.Generator) -> None:
        """Fresh weights from ``rng`` (He or Xavier normal), zero biases, zero grads."""
        for k, W in enumerate(self.W):
            d_in, d_out = W.shape
            hidden = k < len(self.W) - 1
            he = hidden and self.activation in HE_ACTIVATIONS
            var = 2.0 / d_in if he else 2.0 / (d_in + d_out)
            W[...] = rng.normal(0.0, np.sqrt(var), size=W.shape)
            self.b[k][...] = 0.0
        self.dtheta[...] = 0.0

    @property
    def n_layers(self) -> int:
        """Number of weight layers L (hidden layers + the output layer)."""
        return len(self.W)

    # -- forward -------------------------------------------------------------

    def forward(
        self,
        X: np.ndarray,
        train: bool = False,
        dropout: float = 0.0,
        rng: np.random.Generator | None = None,
        masks: Sequence[np.ndarray] | None = None,
    ) -> np.ndarray:
        """Output logits ``Z_L`` (m, d_L) for inputs ``X`` (m, d_0); caches what backward needs.

        With ``train`` and ``dropout = p > 0``, each hidden activation is
        multiplied by a fresh mask of ``keep/(1 − p)`` (keep ~ Bernoulli(1 − p),
        drawn from ``rng``), so its expectation is unchanged and evaluation
        needs no rescaling. ``masks`` (one (m, d_l) multiplier per hidden layer)
        replaces the random draw when ``train`` is set, for deterministic tests.
        """
        drop = train and (masks is not None or dropout > 0.0)
        if drop and masks is None and rng is None:
            raise ValueError("dropout in training needs an rng")
        cache: list[Cache] = []
        A, last, f = X, len(self.W) - 1, self.act.f
        for k in range(last):
            Z = A @ self.W[k]  # (m, d_k)
            Z += self.b[k]
            H = f(Z)
            mask = None
            if drop:
                mask = masks[k] if masks is not None else self._mask(H.shape, dropout, rng)
            cache.append((A, Z, H, mask))
            A = H if mask is None else H * mask
        Z = A @ self.W[last]  # (m, d_L) logits
        Z += self.b[last]
        cache.append((A, Z, None, None))
        self._cache = cache
        return Z  # type: ignore[no-any-return]

    @staticmethod
    def _mask(shape: tuple[int, ...], p: float, rng: Any) -> np.ndarray:
        keep = rng.random(shape) >= p  # (m, d_l), True with probability 1 − p
        return keep * (1.0 / (1.0 - p))  # type: ignore[no-any-return]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Output activations (m, d_L) without dropout; computed in ``X``'s float dtype.

        Passing float32 inputs evaluates in float32 (half the memory traffic),
        which is plenty for drawing a decision boundary.
        """
        return self.layer_outputs(X)[-1]

    def layer_outputs(self, X: np.ndarray) -> list[np.ndarray]:
        """``[X, A_1, …, A_L]``: every layer's activations, A_L after the output activation."""
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        outs = [X]
        A = X
        for k, (W, b) in enumerate(zip(self.W, self.b, strict=True)):
            Z = A @ W.astype(dtype, copy=False)
            Z += b.astype(dtype, copy=False)
            A = self.act.f(Z) if k < len(self.W) - 1 else self._out(Z)
            outs.append(A)
        return outs

    def logits(self, X: np.ndarray, scratch: Scratch) -> np.ndarray:
        """``Z_L`` (m, d_L) exactly as ``layer_outputs`` computes it, through ``scratch``.

        The same operations in the same dtype, written into two reused buffers
        instead of fresh arrays, and without the cache ``forward`` keeps for
        ``backward``. The result is a view into ``scratch``: read it before the
        scratch is used again.
        """
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        A, last = X, len(self.W) - 1
        for k, (W, b) in enumerate(zip(self.W, self.b, strict=True)):
            Z = scratch.buffer(k % 2, (len(X), W.shape[1]), dtype)  # never A's buffer
            np.matmul(A, W.astype(dtype, copy=False), out=Z)
            Z += b.astype(dtype, copy=False)
            if k < last:
                apply_in_place(self.activation, Z, scratch.zeros(Z.shape, dtype))
            A = Z
        return A

    def _out(self, Z: np.ndarray) -> np.ndarray:
        if self.output == "sigmoid":
            return sigmoid(Z)
        if self.output == "softmax":
            return softmax(Z)
        return Z

    # -- backward ------------------------------------------------------------

    def backward(self, dZ: np.ndarray, l1: float = 0.0, l2: float = 0.0) -> dict[str, np.ndarray]:
        """Fill ``grads`` with ``∂(L + penalty)/∂θ`` from ``dZ = ∂L/∂Z_L`` (m, d_L).

        Uses the cache of the last ``forward``. Going down the layers:
        ``dW_l = A_{l−1}ᵀ·dZ_l``, ``db_l = Σ_rows dZ_l``,
        ``dZ_{l−1} = (dZ_l·W_lᵀ) ⊙ mask_{l−1} ⊙ g'(Z_{l−1})``; then
        ``+ λ1·sign W_l + λ2·W_l`` on the weights. Returns ``grads``.
        """
        cache, df = self._cache, self.act.df
        if not cache:
            raise RuntimeError("backward needs a forward first")
        for k in range(len(cache) - 1, -1, -1):
            A_prev, _, _, _ = cache[k]
            gW = self.gW[k]
            np.matmul(A_prev.T, dZ, out=gW)  # (d_{k−1}, d_k)
            np.add.reduce(dZ, axis=0, out=self.gb[k])  # np.sum costs 4× more on small arrays
            if k > 0:
                dA = dZ @ self.W[k].T  # (m, d_{k−1})
                _, Z, H, mask = cache[k - 1]
                if mask is not None:
                    dA *= mask
                dZ = dA * df(Z, H)  # type: ignore[arg-type]
            if l2:
                gW += l2 * self.W[k]
            if l1:
                gW += l1 * np.sign(self.W[k])
        return self.grads

    def penalty(self, l1: float = 0.0, l2: float = 0.0) -> float:
        """``λ1·Σ|W| + (λ2/2)·Σ W²`` over every weight matrix (biases excluded)."""
        total = 0.0
        for W in self.W:
            if l1:
                total += l1 * float(np.abs(W).sum())
            if l2:
                total += 0.5 * l2 * float((W * W).sum())
        return total

    def grad_norms(self) -> list[float]:
        """Frobenius norm ‖dW_l‖ of each layer's weight gradient, from the last ``backward``."""
        return [float(np.sqrt((g * g).sum())) for g in self.gW]

    # -- copying -------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        # Views would be copied as independent arrays; keep the flat vectors, rebind on load.
        keep = ("sizes", "activation", "act", "output", "theta", "dtheta")
        return {k: self.__dict__[k] for k in keep}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._bind()


class Scratch:
    """Two flat buffers a forward pass alternates between, kept from call to call.

    Evaluating a few thousand points is cheap arithmetic; a fresh (m, d) array for
    every layer of every frame costs more, since large ones come from ``mmap`` and
    every one of their pages faults in again.
    """

    def __init__(self) -> None:
        self._flat = [np.empty(0), np.empty(0), np.zeros(0)]  # two buffers, and zeros

    def buffer(self, which: int, shape: tuple[int, int], dtype: Any) -> np.ndarray:
        """Buffer ``which`` (0 or 1) as a C-contiguous array of ``shape``, grown when too small."""
        return self._view(which, shape, dtype, np.empty)

    def zeros(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """Zeros of ``shape``, read-only: for operations that run faster on two arrays."""
        return self._view(2, shape, dtype, np.zeros)

    def _view(
        self, which: int, shape: tuple[int, ...], dtype: Any, make: Callable[..., np.ndarray]
    ) -> np.ndarray:
        size = math.prod(shape)
        flat = self._flat[which]
        if flat.dtype != dtype or flat.size < size:
            flat = self._flat[which] = make(size, dtype)
            flat.flags.writeable = which < 2
        return flat[:size].reshape(shape)
