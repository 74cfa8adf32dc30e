"""A small convolutional network for 8×8 digits: conv 3×3, ReLU, 2×2 max-pool, dense, softmax.

The last of the digits notes: a convolution keeps the image's 2-D shape and
shares one small filter over every position, so a layer of k filters has
k·(9·c + 1) parameters whatever the image size, where a dense layer would
need one weight per pixel and unit.

Images are NHWC: a batch ``X`` (m, 64) is read as (m, 8, 8, 1). Each conv layer
pads by one ("same"), so with filters W (c, 3, 3, k) and biases b (k,):

    Z[n, i, j, f] = Σ_{c, u, v} Xpad[n, i+u, j+v, c] · W[c, u, v, f] + b[f]
    A = ReLU(Z);  P = max over each 2×2 block of A        # (m, h/2, w/2, k)

computed as one matrix product over the 3×3 windows (im2col, through
``sliding_window_view``). After the conv layers, the pooled maps are flattened
and a dense layer gives the 10 logits. Like ``engine.nn.MLP``, every parameter
lives in one flat vector ``theta`` (gradients in ``dtheta``), ``forward`` keeps
what ``backward`` needs, and the regularisers act on weights only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from engine.losses import softmax

SIDE = 8  # the optdigits images are 8×8
KERNEL = 3


class ConvNet:
    """``filters = [k_1, …]`` conv layers (each conv, ReLU, pool), then dense to ``classes``."""

    def __init__(
        self, filters: Sequence[int], classes: int = 10, rng: np.random.Generator | None = None
    ) -> None:
        if not filters or min(filters) < 1 or SIDE >> len(filters) < 1:
            raise ValueError(f"expected 1 to 3 positive filter counts, got {list(filters)}")
        self.filters = tuple(int(k) for k in filters)
        self.classes = classes
        self.shapes = self._shapes()
        total = sum(int(np.prod(shape)) for _, shape in self.shapes)
        self.theta = np.zeros(total)
        self.dtheta = np.zeros(total)
        self._bind()
        self.init(rng if rng is not None else np.random.default_rng(0))

    def _shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        shapes: list[tuple[str, tuple[int, ...]]] = []
        channels = 1
        for n, k in enumerate(self.filters, 1):
            shapes += [(f"K{n}", (channels, KERNEL, KERNEL, k)), (f"c{n}", (k,))]
            channels = k
        side = SIDE >> len(self.filters)
        shapes += [("W", (side * side * channels, self.classes)), ("b", (self.classes,))]
        return shapes

    def _bind(self) -> None:
        """``params`` and ``grads``: views of the flat vectors, by name."""
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        at = 0
        for name, shape in self.shapes:
            size = int(np.prod(shape))
            self.params[name] = self.theta[at : at + size].reshape(shape)
            self.grads[name] = self.dtheta[at : at + size].reshape(shape)
            at += size
        self._cache: list[Any] = []

    def init(self, rng: np.random.Generator) -> None:
        """He normal for the filters (ReLU follows), Xavier for the dense layer; zero biases."""
        for name, shape in self.shapes:
            if name.startswith("K"):
                fan_in = shape[0] * KERNEL * KERNEL
                self.params[name][...] = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
            elif name == "W":
                scale = np.sqrt(2.0 / (shape[0] + shape[1]))
                self.params[name][...] = rng.normal(0.0, scale, size=shape)
            else:
                self.params[name][...] = 0.0
        self.dtheta[...] = 0.0

    @property
    def kernels(self) -> list[np.ndarray]:
        return [self.params[f"K{n}"] for n in range(1, len(self.filters) + 1)]

    @property
    def weights(self) -> list[np.ndarray]:
        """Every weight array (the regularisers' domain): the filters and the dense matrix."""
        return [*self.kernels, self.params["W"]]

    # -- forward -------------------------------------------------------------

    def forward(
        self,
        X: np.ndarray,
        train: bool = False,
        dropout: float = 0.0,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """Logits (m, classes) for images ``X`` (m, 64); keeps what ``backward`` needs.

        With ``train`` and ``dropout = p > 0``, the flattened features before the
        dense layer are multiplied by an inverted-dropout mask drawn from ``rng``.
        """
        A = X.reshape(len(X), SIDE, SIDE, 1)
        cache: list[Any] = []
        for n in range(1, len(self.filters) + 1):
            cols = windows(A)
            Z = cols @ self.params[f"K{n}"].reshape(-1, self.params[f"c{n}"].size)
            Z = Z.reshape(*A.shape[:3], -1) + self.params[f"c{n}"]
            R = np.maximum(Z, 0.0)
            P, where = pool(R)
            cache.append((A.shape, cols, Z, where))
            A = P
        F = A.reshape(len(X), -1)
        mask = None
        if train and dropout > 0.0:
            if rng is None:
                raise ValueError("dropout in training needs an rng")
            mask = (rng.random(F.shape) >= dropout) * (1.0 / (1.0 - dropout))
            F = F * mask
        cache.append((A.shape, F, mask))
        self._cache = cache
        return F @ self.params["W"] + self.params["b"]  # type: ignore[no-any-return]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (m, classes), without dropout."""
        return softmax(self.forward(X))

    def feature_maps(self, x: np.ndarray) -> list[np.ndarray]:
        """One image's activations after each conv layer's ReLU: (h, w, k) each."""
        maps = []
        A = x.reshape(1, SIDE, SIDE, 1)
        for n in range(1, len(self.filters) + 1):
            Z = windows(A) @ self.params[f"K{n}"].reshape(-1, self.params[f"c{n}"].size)
            R = np.maximum(Z.reshape(*A.shape[:3], -1) + self.params[f"c{n}"], 0.0)
            maps.append(R[0])
            A = pool(R)[0]
        return maps

    # -- backward ------------------------------------------------------------

    def backward(self, dZ: np.ndarray, l1: float = 0.0, l2: float = 0.0) -> dict[str, np.ndarray]:
        """Fill ``grads`` with ``∂(L + penalty)/∂θ`` from ``dZ = ∂L/∂logits`` (m, classes)."""
        if not self._cache:
            raise RuntimeError("backward needs a forward first")
        shape, F, mask = self._cache[-1]
        np.matmul(F.T, dZ, out=self.grads["W"])
        np.add.reduce(dZ, axis=0, out=self.grads["b"])
        dF = dZ @ self.params["W"].T
        if mask is not None:
            dF *= mask
        dP = dF.reshape(shape)
        for n in range(len(self.filters), 0, -1):
            in_shape, cols, Z, where = self._cache[n - 1]
            dZn = unpool(dP, where, Z.shape) * (Z > 0.0)
            k = Z.shape[-1]
            flat = dZn.reshape(-1, k)
            self.grads[f"K{n}"][...] = (cols.T @ flat).reshape(self.grads[f"K{n}"].shape)
            np.add.reduce(flat, axis=0, out=self.grads[f"c{n}"])
            if n > 1:
                dcols = flat @ self.params[f"K{n}"].reshape(-1, k).T
                dP = unwindows(dcols, in_shape)
        names = [f"K{n}" for n in range(1, len(self.filters) + 1)] + ["W"]
        for name, W in zip(names, self.weights, strict=True):
            if l2:
                self.grads[name] += l2 * W
            if l1:
                self.grads[name] += l1 * np.sign(W)
        return self.grads

    def penalty(self, l1: float = 0.0, l2: float = 0.0) -> float:
        """``λ1·Σ|W| + (λ2/2)·Σ W²`` over the filters and the dense weights (no biases)."""
        return sum(l1 * float(np.abs(W).sum()) + 0.5 * l2 * float((W * W).sum())
                   for W in self.weights)  # fmt: skip

    def grad_norms(self) -> list[float]:
        """‖∂L/∂W‖ of each weight layer (the conv filters, then the dense layer)."""
        return [float(np.sqrt((self.grads[n] ** 2).sum())) for n, _ in self.shapes
                if not n.startswith("c") and n != "b"]  # fmt: skip

    def __getstate__(self) -> dict[str, Any]:
        keep = ("filters", "classes", "shapes", "theta", "dtheta")
        return {k: self.__dict__[k] for k in keep}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._bind()


def windows(A: np.ndarray) -> np.ndarray:
    """im2col: every 3×3 window of ``A`` (m, h, w, c), padded by one, as rows (m·h·w, c·9)."""
    padded = np.pad(A, ((0, 0), (1, 1), (1, 1), (0, 0)))
    view = sliding_window_view(padded, (KERNEL, KERNEL), axis=(1, 2))  # (m, h, w, c, 3, 3)
    return view.reshape(-1, A.shape[3] * KERNEL * KERNEL)


def unwindows(dcols: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The adjoint of ``windows``: each window's gradient added back onto ``A`` (m, h, w, c)."""
    m, h, w, c = shape
    d = dcols.reshape(m, h, w, c, KERNEL, KERNEL)
    padded = np.zeros((m, h + 2, w + 2, c))
    for u in range(KERNEL):
        for v in range(KERNEL):
            padded[:, u : u + h, v : v + w, :] += d[..., u, v]
    return padded[:, 1:-1, 1:-1, :]


def pool(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2×2 max-pool of ``A`` (m, h, w, c); also which of the 4 cells won (for ``unpool``)."""
    m, h, w, c = A.shape
    blocks = A.reshape(m, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 5, 2, 4)
    blocks = blocks.reshape(m, h // 2, w // 2, c, 4)
    where = blocks.argmax(axis=-1)
    return np.take_along_axis(blocks, where[..., None], axis=-1)[..., 0], where


def unpool(dP: np.ndarray, where: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient of ``pool``: each block's gradient goes to the cell that won."""
    m, h, w, c = shape
    blocks = np.zeros((m, h // 2, w // 2, c, 4))
    np.put_along_axis(blocks, where[..., None], dP[..., None], axis=-1)
    blocks = blocks.reshape(m, h // 2, w // 2, c, 2, 2).transpose(0, 1, 4, 2, 5, 3)
    return blocks.reshape(m, h, w, c)


def n_params(filters: Sequence[int], classes: int = 10) -> int:
    """Parameters of ``ConvNet(filters, classes)``, without building one."""
    total, channels = 0, 1
    for k in filters:
        total += channels * KERNEL * KERNEL * k + k
        channels = k
    side = SIDE >> len(filters)
    return total + side * side * channels * classes + classes
