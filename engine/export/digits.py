"""Digits: softmax regression, deeper and convolutional networks on handwritten digits.

The data: the UCI optical-recognition digits (Alpaydin and Kaynak, 1998; CC BY
4.0), 1,797 images of 8×8 pixels at grey levels 0..16 with their labels 0..9,
carried inside this script. Pixels are scaled to [0, 1]. A seeded order that
interleaves the classes gives a fixed test set (its first 397 digits) and a
training set (the next ``train_size``).

The model, one image per row of X (m × 64):

    softmax regression:  Y = softmax(X·W + b)          W is 64 × 10
    network ("mlp"):     A[l] = g(A[l−1]·W[l] + b[l]),  Y = softmax(A[L−1]·W[L] + b[L])
    convolutional ("cnn"): the image as 8×8, then each conv layer
                         A ← maxpool2×2(ReLU(conv3×3(A, K) + c)),  Y = softmax(flat(A)·W + b)

with softmax(z)_j = e^(z_j) / Σ_k e^(z_k) and g = ReLU or sigmoid. The loss is
the mean cross-entropy against the true labels, L = −(1/m) Σ_i log Y[i, y_i],
plus (l2/2)·Σ W²; its gradient on the logits is (Y − onehot(y))/m, and
backpropagation carries it down the layers. Each update takes a fresh
mini-batch and moves every parameter θ against its gradient at the decaying
rate α_k = lr·lr_decay^k (update k = 0, 1, …): θ ← θ − α_k·dθ (sgd), with
momentum, or by Adam. Dropout, in training only, zeroes hidden units (the
CNN: the pooled features) at random. (SEEDS.md section 4.)
"""

from __future__ import annotations

import base64
import gzip
import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

Array = npt.NDArray[np.floating[Any]]  # float64, or float32 where said
Labels = npt.NDArray[np.int64]  # digits 0..9
TEST_SIZE = 397  # the fixed test set; at most 1,400 digits are left for training
BLOWUP = 1e8  # a parameter past this in size (or nan) means the run diverged

# -- the data -------------------------------------------------------------------


def load_digits() -> tuple[npt.NDArray[np.uint8], Labels]:
    """All 1,797 images (1797, 64) as grey levels 0..16, row-major, and their labels.

    The data is a gzipped CSV, one image a line: 64 pixels, then the label.
    """
    text = gzip.decompress(base64.b64decode(OPTDIGITS_CSV_GZ_B64)).decode("ascii")
    table = np.loadtxt(text.splitlines(), delimiter=",", dtype=np.int64)  # (1797, 65)
    return table[:, :64].astype(np.uint8), table[:, 64]


def training_rows(y: Labels, train_size: int, seed: int) -> npt.NDArray[np.intp]:
    """The rows of the training digits, drawn from the seed.

    Each class's digits get the keys (r + u)/n_c, r a random rank within the
    class and u uniform in [0, 1): sorting by key spreads every class evenly
    along the order, so any prefix of it holds each digit in its share. The
    first 397 are the test set, whatever ``train_size``; the training set follows.
    """
    rng = np.random.default_rng(seed)
    key = np.empty(len(y))
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        key[rows] = (rng.permutation(len(rows)) + rng.random(len(rows))) / len(rows)
    order = np.argsort(key, kind="stable")
    return order[TEST_SIZE : TEST_SIZE + train_size]


# -- the network ----------------------------------------------------------------


def sigmoid(z: Array) -> Array:
    """σ(z) = 1/(1 + e^(−z)), computed from e^(−|z|) so that nothing overflows."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


# Each activation g beside its derivative g′, written with z or with a = g(z).
ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]] = {
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(z.dtype)),
    "sigmoid": (sigmoid, lambda z, a: a * (1.0 - a)),
}


class Network:
    """Fully connected layers of widths ``sizes`` = [64, …, 10], ten logits out.

    Every weight and bias lives in ONE flat vector ``theta``, and every
    gradient in ``grad``; W[l], b[l], dW[l] and db[l] are views into them, so
    an optimizer updates the whole network at once. Weights start random, He
    normal N(0, 2/d_in) before a ReLU, Xavier normal N(0, 2/(d_in + d_out))
    elsewhere; biases start at 0.
    """

    def __init__(self, sizes: list[int], activation: str, rng: np.random.Generator) -> None:
        shapes = list(itertools.pairwise(sizes))
        self.theta = np.zeros(sum(d_in * d_out + d_out for d_in, d_out in shapes))
        self.grad = np.zeros_like(self.theta)
        self.W: list[Array] = []
        self.b: list[Array] = []
        self.dW: list[Array] = []
        self.db: list[Array] = []
        at = 0
        for d_in, d_out in shapes:
            for values, grads, shape in (
                (self.W, self.dW, (d_in, d_out)),
                (self.b, self.db, (d_out,)),
            ):
                size = math.prod(shape)
                values.append(self.theta[at : at + size].reshape(shape))
                grads.append(self.grad[at : at + size].reshape(shape))
                at += size
        self.g, self.dg = ACTIVATIONS[activation]
        for k, W in enumerate(self.W):
            he = k < len(self.W) - 1 and activation == "relu"
            var = 2.0 / W.shape[0] if he else 2.0 / (W.shape[0] + W.shape[1])
            W[...] = rng.normal(0.0, np.sqrt(var), size=W.shape)
        self.inputs: list[Array] = []  # the input A[l−1] of each layer, from forward
        self.hidden: list[tuple[Array, Array, Array | None]] = []  # each hidden Z, g(Z), mask

    def forward(self, X: Array, dropout: float, rng: np.random.Generator) -> Array:
        """The logits Z[L] (m, 10) of images X (m, 64) in training; keeps what backward needs.

        With dropout p > 0 each hidden activation is multiplied by
        keep/(1 − p), keep ~ Bernoulli(1 − p): on average it is unchanged.
        """
        self.inputs, self.hidden = [], []
        A = X
        for W, b in zip(self.W[:-1], self.b[:-1], strict=True):
            self.inputs.append(A)
            Z = A @ W + b
            H = self.g(Z)
            mask = (
                (rng.random(H.shape) >= dropout) * (1.0 / (1.0 - dropout)) if dropout > 0 else None
            )
            self.hidden.append((Z, H, mask))
            A = H if mask is None else H * mask
        self.inputs.append(A)
        return A @ self.W[-1] + self.b[-1]

    def backward(self, dZ: Array, l2: float) -> None:
        """Fill ``grad`` with ∂(L + penalty)/∂θ, from dZ = ∂L/∂Z[L], going down the layers."""
        for k in reversed(range(len(self.W))):
            np.matmul(self.inputs[k].T, dZ, out=self.dW[k])  # dW[k] = A[k−1]ᵀ·dZ[k]
            np.sum(dZ, axis=0, out=self.db[k])  # db[k] = Σ_rows dZ[k]
            if k > 0:
                dA = dZ @ self.W[k].T
                Z, H, mask = self.hidden[k - 1]
                if mask is not None:
                    dA *= mask  # a dropped unit passes no gradient back
                dZ = dA * self.dg(Z, H)
            if l2:
                self.dW[k] += l2 * self.W[k]  # ∂/∂W of (l2/2)·Σ W²

    def logits32(self, X: Array) -> Array:
        """The logits (m, 10) of float32 images X in float32, without dropout.

        The playground measures its loss this way (half the work of float64;
        the loss differs by about 1e−8), so this script does too.
        """
        A = X
        for W, b in zip(self.W[:-1], self.b[:-1], strict=True):
            A = self.g(A @ W.astype(np.float32) + b.astype(np.float32))
        return A @ self.W[-1].astype(np.float32) + self.b[-1].astype(np.float32)


# -- the convolutional network ("cnn") ------------------------------------------


def windows(A: Array) -> Array:
    """Every 3×3 window of images A (m, h, w, c), padded by one zero, as rows (m·h·w, c·9).

    With the windows as rows, a convolution is one matrix product ("im2col").
    """
    padded = np.pad(A, ((0, 0), (1, 1), (1, 1), (0, 0)))
    view = sliding_window_view(padded, (3, 3), axis=(1, 2))  # (m, h, w, c, 3, 3)
    return view.reshape(-1, A.shape[3] * 9)


def unwindows(dcols: Array, shape: tuple[int, ...]) -> Array:
    """The way back: each window's gradient added onto the pixels it came from."""
    m, h, w, c = shape
    d = dcols.reshape(m, h, w, c, 3, 3)
    padded = np.zeros((m, h + 2, w + 2, c))
    for u in range(3):
        for v in range(3):
            padded[:, u : u + h, v : v + w, :] += d[..., u, v]
    return padded[:, 1:-1, 1:-1, :]


def pool(A: Array) -> tuple[Array, npt.NDArray[np.intp]]:
    """2×2 max-pooling of A (m, h, w, c), and which of each block's 4 cells won."""
    m, h, w, c = A.shape
    blocks = A.reshape(m, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 5, 2, 4)
    blocks = blocks.reshape(m, h // 2, w // 2, c, 4)
    where = blocks.argmax(axis=-1)
    return np.take_along_axis(blocks, where[..., None], axis=-1)[..., 0], where


def max_pool(A: Array) -> Array:
    """2×2 max-pooling as the largest of the four cells of each block (for measuring the
    loss: without a backward pass, which cell won does not matter)."""
    top = np.maximum(A[:, 0::2, 0::2], A[:, 0::2, 1::2])
    return np.maximum(top, np.maximum(A[:, 1::2, 0::2], A[:, 1::2, 1::2]))


def unpool(dP: Array, where: npt.NDArray[np.intp], shape: tuple[int, ...]) -> Array:
    """The way back through max-pooling: each block's gradient goes to the cell that won."""
    m, h, w, c = shape
    blocks = np.zeros((m, h // 2, w // 2, c, 4))
    np.put_along_axis(blocks, where[..., None], dP[..., None], axis=-1)
    blocks = blocks.reshape(m, h // 2, w // 2, c, 2, 2).transpose(0, 1, 4, 2, 5, 3)
    return blocks.reshape(m, h, w, c)


class ConvNet:
    """Conv layers of ``filters`` = [k1] or [k1, k2] filters, then one dense layer to 10.

    Each conv layer: Z = conv3×3(A, K) + c (zero padding keeps the size), ReLU, then
    2×2 max-pooling halves the size: 8×8 → 4×4 (→ 2×2). A layer's K is c_in × 3 × 3 × k:
    the same 9·c_in weights slide over every position (weight sharing). As in
    Network, everything lives in one flat ``theta``; filters start He normal,
    N(0, 2/(9·c_in)), the dense layer Xavier normal, biases at 0.
    """

    def __init__(self, filters: list[int], rng: np.random.Generator) -> None:
        shapes, c_in = [], 1
        for k in filters:
            shapes += [(c_in, 3, 3, k), (k,)]
            c_in = k
        side = 8 >> len(filters)
        shapes += [(side * side * c_in, 10), (10,)]
        self.theta = np.zeros(sum(math.prod(s) for s in shapes))
        self.grad = np.zeros_like(self.theta)
        self.params: list[Array] = []
        self.grads: list[Array] = []
        at = 0
        for shape in shapes:
            size = math.prod(shape)
            self.params.append(self.theta[at : at + size].reshape(shape))
            self.grads.append(self.grad[at : at + size].reshape(shape))
            at += size
        for P in self.params:
            if len(P.shape) == 4:  # a filter bank
                P[...] = rng.normal(0.0, np.sqrt(2.0 / (P.shape[0] * 9)), size=P.shape)
            elif len(P.shape) == 2:  # the dense layer
                P[...] = rng.normal(0.0, np.sqrt(2.0 / (P.shape[0] + P.shape[1])), size=P.shape)
        self.layers = len(filters)
        self.cache: list[Any] = []  # what backward needs, from forward

    def forward(self, X: Array, dropout: float, rng: np.random.Generator) -> Array:
        """The logits (m, 10) of images X (m, 64) in training; keeps what backward needs.

        Dropout (p > 0) acts on the pooled features that feed the dense layer.
        """
        A = X.reshape(len(X), 8, 8, 1)
        self.cache = []
        for n in range(self.layers):
            K, c = self.params[2 * n], self.params[2 * n + 1]
            cols = windows(A)
            Z = cols @ K.reshape(-1, c.size)
            Z = Z.reshape(*A.shape[:3], -1) + c
            P, where = pool(np.maximum(Z, 0.0))
            self.cache.append((A.shape, cols, Z, where))
            A = P
        F = A.reshape(len(X), -1)
        mask = None
        if dropout > 0.0:
            mask = (rng.random(F.shape) >= dropout) * (1.0 / (1.0 - dropout))
            F = F * mask
        self.cache.append((A.shape, F, mask))
        return F @ self.params[-2] + self.params[-1]

    def backward(self, dZ: Array, l2: float) -> None:
        """Fill ``grad`` with ∂(L + penalty)/∂θ, from dZ = ∂L/∂logits, going down the layers."""
        shape, F, mask = self.cache[-1]
        np.matmul(F.T, dZ, out=self.grads[-2])
        np.add.reduce(dZ, axis=0, out=self.grads[-1])
        dF = dZ @ self.params[-2].T
        if mask is not None:
            dF *= mask
        dP = dF.reshape(shape)
        for n in reversed(range(self.layers)):
            in_shape, cols, Z, where = self.cache[n]
            dZn = unpool(dP, where, Z.shape) * (Z > 0.0)  # through the pooling and the ReLU
            k = Z.shape[-1]
            flat = dZn.reshape(-1, k)
            self.grads[2 * n][...] = (cols.T @ flat).reshape(self.grads[2 * n].shape)
            np.add.reduce(flat, axis=0, out=self.grads[2 * n + 1])
            if n > 0:
                dcols = flat @ self.params[2 * n].reshape(-1, k).T
                dP = unwindows(dcols, in_shape)
        if l2:
            for n in [*range(0, 2 * self.layers, 2), len(self.params) - 2]:  # weights, no biases
                self.grads[n] += l2 * self.params[n]

    def logits32(self, X: Array) -> Array:
        """The logits (m, 10) of float32 images X in float32, without dropout."""
        A = X.reshape(len(X), 8, 8, 1)
        for n in range(self.layers):
            K, c = self.params[2 * n], self.params[2 * n + 1]
            K32 = K.astype(np.float32).reshape(-1, K.shape[3])
            Z = (windows(A) @ K32).reshape(*A.shape[:3], K.shape[3]) + c.astype(np.float32)
            A = max_pool(np.maximum(Z, np.float32(0.0)))
        logits: Array = A.reshape(len(X), -1) @ self.params[-2].astype(np.float32)
        logits += self.params[-1].astype(np.float32)
        return logits


# -- the loss -------------------------------------------------------------------


def cross_entropy(Z: Array, y: Labels) -> float:
    """−(1/m) Σ_i log softmax(z_i)[y_i], with log softmax(z) = s − log Σ e^s, s = z − max z.

    Shifting by the row's maximum keeps e^s from overflowing.
    """
    S = Z - Z.max(axis=1, keepdims=True)
    log_Y = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    return float(-log_Y[np.arange(len(y)), y].mean())


def cross_entropy_grad(Z: Array, y: Labels) -> Array:
    """∂L/∂Z = (softmax(Z) − onehot(y))/m."""
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    G: Array = E / E.sum(axis=1, keepdims=True)  # softmax(Z)
    G[np.arange(len(y)), y] -= 1.0
    return G / len(y)


# -- the optimizers -------------------------------------------------------------


class SGD:
    """Plain gradient descent: θ ← θ − α·dθ."""

    def __init__(self, size: int) -> None:
        """Nothing to remember between steps."""

    def step(self, theta: Array, grad: Array, lr: float) -> None:
        theta -= lr * grad


class Momentum:
    """Heavy-ball momentum: v ← β·v + dθ, θ ← θ − α·v, with β = 0.9."""

    def __init__(self, size: int) -> None:
        self.v = np.zeros(size)

    def step(self, theta: Array, grad: Array, lr: float) -> None:
        self.v = 0.9 * self.v + grad
        theta -= lr * self.v


class Adam:
    """Adam: running means of dθ and dθ², bias-corrected (β1 = 0.9, β2 = 0.999, ε = 1e−8).

    m ← β1·m + (1 − β1)·dθ,  s ← β2·s + (1 − β2)·dθ²,  θ ← θ − α·m̂/(√ŝ + ε)
    with m̂ = m/(1 − β1^t), ŝ = s/(1 − β2^t) after t steps.
    """

    def __init__(self, size: int) -> None:
        self.m, self.s, self.t = np.zeros(size), np.zeros(size), 0

    def step(self, theta: Array, grad: Array, lr: float) -> None:
        self.t += 1
        self.m = 0.9 * self.m + (1 - 0.9) * grad
        self.s = 0.999 * self.s + (1 - 0.999) * (grad * grad)
        # Both corrections folded into α and ε: α·m̂/(√ŝ + ε) = α_t·m/(√s + ε_t).
        c2 = math.sqrt(1 - 0.999**self.t)
        lr_t, eps_t = lr * c2 / (1 - 0.9**self.t), 1e-8 * c2
        theta -= lr_t * (self.m / (np.sqrt(self.s) + eps_t))


OPTIMIZERS: dict[str, type[SGD | Momentum | Adam]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "adam": Adam,
}


# -- training -------------------------------------------------------------------


class Training:
    """The lab's state: training digits, network, optimizer, epoch order and step count."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.p = p = dict(params)
        images, labels = load_digits()
        rows = training_rows(labels, p["train_size"], p["data_seed"])
        self.X = images[rows].astype(np.float64) / 16.0  # (n, 64), pixels in [0, 1]
        self.X32 = self.X.astype(np.float32)  # for measuring the loss
        self.y = labels[rows]
        hidden = list(p["hidden"]) if p["model"] == "mlp" else []
        rng = np.random.default_rng([p["init_seed"], 0])
        self.net: Network | ConvNet
        if p["model"] == "cnn":
            self.net = ConvNet(list(p["filters"]), rng)
        else:
            self.net = Network([64, *hidden, 10], p["activation"], rng)
        if p["model"] == "softmax":
            self.net.theta[...] = 0.0  # as in the notes: blank weights, uniform guesses
        self.opt = OPTIMIZERS[p["optimizer"]](self.net.theta.size)
        self.batch_rng = np.random.default_rng([p["init_seed"], 1])
        self.dropout_rng = np.random.default_rng([p["init_seed"], 2])
        self.order, self.cursor = self.batch_rng.permutation(len(self.y)), 0
        self.steps, self.diverged = 0, False

    def next_batch(self) -> npt.NDArray[np.intp]:
        """The next ``batch_size`` rows, without repeats within an epoch.

        A batch that runs past the end of the epoch's order continues into a
        fresh random order, so every batch has the same size.
        """
        size = min(self.p["batch_size"], len(self.y))
        rows = self.order[self.cursor : self.cursor + size]
        self.cursor += size
        if self.cursor >= len(self.order):
            self.order = self.batch_rng.permutation(len(self.y))
            self.cursor = size - len(rows)
            rows = np.concatenate([rows, self.order[: self.cursor]])
        return rows

    def update(self) -> None:
        """One mini-batch step at the decayed rate α_k = lr·lr_decay^k."""
        p, net = self.p, self.net
        rows = self.next_batch()
        Z = net.forward(self.X[rows], p["dropout"], self.dropout_rng)
        net.backward(cross_entropy_grad(Z, self.y[rows]), p["l2"])
        self.opt.step(net.theta, net.grad, p["lr"] * p["lr_decay"] ** self.steps)
        self.steps += 1
        self.diverged = not (net.theta.min() > -BLOWUP and net.theta.max() < BLOWUP)

    def change(self, kind: str, values: dict[str, Any]) -> None:
        """New params while it trains (the digits lab logs no other changes)."""
        if kind == "params":
            self.p.update(values)
            if "optimizer" in values:  # a new method starts from fresh state
                self.opt = OPTIMIZERS[self.p["optimizer"]](self.net.theta.size)

    def train_loss(self) -> float:
        """The mean cross-entropy on every training digit (no penalty), in float32."""
        return cross_entropy(self.net.logits32(self.X32), self.y)


def run(
    params: dict[str, Any], changes: list[tuple[int, str, dict[str, Any]]], steps: int
) -> dict[str, Any]:
    """Replay a run: ``steps`` updates, each change applied after exactly k updates.

    Training stops early if a parameter blows up (past ±1e8, or nan), as in
    the playground. Returns the updates done and the final training loss
    (None if it is not a finite number).
    """
    with np.errstate(all="ignore"):  # a diverging run computes with inf and nan
        lab = Training(params)
        todo = list(changes)
        while True:
            while todo and todo[0][0] <= lab.steps:
                _, kind, values = todo.pop(0)
                lab.change(kind, values)
            if lab.steps >= steps or lab.diverged:
                break
            lab.update()
        loss = lab.train_loss()
    return {"step": lab.steps, "loss": loss if math.isfinite(loss) else None}


# -- the digits themselves ------------------------------------------------------

OPTDIGITS_CSV_GZ_B64 = ""  # paste: data/optdigits.csv.gz
