"""Two circles: a deep network learns a curved decision boundary (SEEDS.md section 2).

The data: n points in the plane in two classes, y = 1 or 0, from one of
TensorFlow Playground's sets (two circles, xor, two Gaussians, a spiral, two
moons), drawn from the seed ``data_seed``. A shuffled ``test_ratio`` of them is
held out for testing; the rest, plus any points the learner clicked in, are
the training set.

The model: each point's input features (x1, x2, x1², …) go through fully
connected layers, one sample per row:

    Z[l] = A[l−1]·W[l] + b[l],   A[l] = g(Z[l]),   A[0] = the features
    ŷ = σ(Z[L]) = 1/(1 + e^(−Z[L])), the probability of class 1

with the hidden activation g: ReLU, tanh, sigmoid, leaky ReLU or none.

The loss over a mini-batch of m points, and its gradient on the output:

    bce:  L = −(1/m) Σ [y·log ŷ + (1 − y)·log(1 − ŷ)]    ∂L/∂Z[L] = (ŷ − y)/m
    mse:  L = (1/m) Σ ½(ŷ − y)²                           ∂L/∂Z[L] = (ŷ − y)·ŷ(1 − ŷ)/m

plus the penalty l1·Σ|W| + (l2/2)·Σ W² on the weights. Backpropagation goes
down the layers: dW[l] = A[l−1]ᵀ·dZ[l], db[l] = Σ_rows dZ[l],
dZ[l−1] = (dZ[l]·W[l]ᵀ) ⊙ g′(Z[l−1]). Each update takes the next mini-batch
of the epoch (a fresh random order every epoch) and moves every parameter θ
against its gradient: θ ← θ − α·dθ (sgd), with momentum, or by Adam.

With k > 2 classes (the arms and blobs sets, or an uploaded table with more
than two labels) the network ends in k logits and a softmax instead,
ŷ_c = e^(z_c)/Σ_j e^(z_j), and the loss is the cross-entropy
L = −(1/m) Σ log ŷ_y with ∂L/∂Z[L] = (ŷ − onehot(y))/m. Uploaded data travels
inside CHANGES, as the first change ("upload"), already scaled onto the plane.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.floating[Any]]  # arrays of float64 numbers
Labels = npt.NDArray[np.int64]  # 0 or 1
Dataset = Callable[[int, np.random.Generator, float], tuple[Array, Labels]]

# -- the data -------------------------------------------------------------------

RADIUS = 5.0  # the points lie within about 5 of the origin
BLOWUP = 1e8  # a parameter past this in size (or nan) means the run diverged


def halves(n: int) -> tuple[int, int]:
    """How many points class 1 and class 0 get: class 1 gets the odd one."""
    return n - n // 2, n // 2


def polar(r: Array, t: Array) -> Array:
    """Points (k, 2) at radius r and angle t, the angle measured from the x2 axis."""
    return np.stack([r * np.sin(t), r * np.cos(t)], axis=1)


def labelled(X1: Array, X0: Array) -> tuple[Array, Labels]:
    """The points of class 1, then those of class 0, and their labels."""
    X = np.concatenate([X1, X0]).reshape(-1, 2)
    return X, np.concatenate([np.ones(len(X1), np.int64), np.zeros(len(X0), np.int64)])


def circles(n: int, rng: np.random.Generator, noise: float) -> tuple[Array, Labels]:
    """An inner disk (class 1, radius < R/2) inside a ring (class 0, radius 0.7·R to R).

    Noise moves each point by up to ±R·noise per axis before it is labelled,
    while the point itself stays: the labels blur near the gap.
    """
    n1, n0 = halves(n)
    r = np.concatenate([rng.uniform(0, 0.5 * RADIUS, n1), rng.uniform(0.7 * RADIUS, RADIUS, n0)])
    X = polar(r, rng.uniform(0, 2 * np.pi, n))
    moved = X + rng.uniform(-RADIUS, RADIUS, size=(n, 2)) * noise
    return X, (np.hypot(moved[:, 0], moved[:, 1]) < 0.5 * RADIUS).astype(np.int64)


def xor(n: int, rng: np.random.Generator, noise: float) -> tuple[Array, Labels]:
    """Four quadrants, class 1 where x1·x2 ≥ 0; points kept 0.3 away from the axes."""
    X = rng.uniform(-RADIUS, RADIUS, size=(n, 2))
    X += np.where(X > 0, 0.3, -0.3)
    moved = X + rng.uniform(-RADIUS, RADIUS, size=(n, 2)) * noise
    return X, (moved[:, 0] * moved[:, 1] >= 0).astype(np.int64)


def gauss(n: int, rng: np.random.Generator, noise: float) -> tuple[Array, Labels]:
    """Two Gaussian blobs around (2, 2) and (−2, −2); the variance grows with the noise."""
    n1, n0 = halves(n)
    std = np.sqrt(0.5 + 7.0 * noise)
    return labelled(rng.normal(2.0, std, (n1, 2)), rng.normal(-2.0, std, (n0, 2)))


def spiral(n: int, rng: np.random.Generator, noise: float) -> tuple[Array, Labels]:
    """Two spirals of 1.75 turns out to radius R, class 0 turned by π; noise ±noise per axis."""
    arms = []
    for k, delta in zip(halves(n), (0.0, np.pi), strict=True):
        s = np.arange(k) / max(k, 1)
        arm = polar(RADIUS * s, 1.75 * 2 * np.pi * s + delta)
        arms.append(arm + rng.uniform(-1, 1, size=(k, 2)) * noise)
    return labelled(arms[0], arms[1])


def moons(n: int, rng: np.random.Generator, noise: float) -> tuple[Array, Labels]:
    """Two interleaved half circles, scaled by 3 and centred, with Gaussian noise."""
    n1, n0 = halves(n)
    t1, t0 = rng.uniform(0, np.pi, n1), rng.uniform(0, np.pi, n0)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    X, y = labelled(lower, upper)
    return 3.0 * (X - [0.5, 0.25]) + rng.normal(0, 3.0 * noise, size=X.shape), y


DATASETS: dict[str, Dataset] = {
    "circles": circles, "xor": xor, "gauss": gauss, "spiral": spiral, "moons": moons,
}  # fmt: skip


def shares(n: int, k: int) -> list[int]:
    """How many points each of k classes gets: n // k, the first n % k one more."""
    return [n // k + (c < n % k) for c in range(k)]


def arms(n: int, rng: np.random.Generator, noise: float, k: int) -> tuple[Array, Labels]:
    """A spiral of k arms, each 0.75 turn out to radius R, arm c turned by 2πc/k."""
    X, y = [], []
    for c, m in enumerate(shares(n, k)):
        s = rng.uniform(0.08, 1.0, m)
        arm = polar(RADIUS * s, 1.5 * np.pi * s + 2 * np.pi * c / k)
        X.append(arm + rng.uniform(-1, 1, size=(m, 2)) * (0.3 + 2.0 * noise))
        y.append(np.full(m, c, np.int64))
    return np.concatenate(X).reshape(-1, 2), np.concatenate(y)


def blobs(n: int, rng: np.random.Generator, noise: float, k: int) -> tuple[Array, Labels]:
    """k Gaussian blobs, centred evenly on the circle of radius 3.5."""
    std = np.sqrt(0.5 + 7.0 * noise)
    X, y = [], []
    for c, m in enumerate(shares(n, k)):
        centre = polar(np.array([3.5]), np.array([2 * np.pi * c / k]))
        X.append(rng.normal(0.0, std, (m, 2)) + centre)
        y.append(np.full(m, c, np.int64))
    return np.concatenate(X).reshape(-1, 2), np.concatenate(y)


DATASETS_K = {"arms": arms, "blobs": blobs}  # k classes: params["classes"]


def classes(params: dict[str, Any], upload: dict[str, Any] | None) -> int:
    """How many classes: those of the uploaded data, ``classes`` for arms and blobs, else 2."""
    if upload is not None:
        return len(upload["classes"])
    return int(params.get("classes", 2)) if params["dataset"] in DATASETS_K else 2


def training_points(
    params: dict[str, Any], upload: dict[str, Any] | None = None
) -> tuple[Array, Labels]:
    """The training points and labels: all but a held-out test set.

    The points are generated, or they are the learner's uploaded table (already
    scaled onto the plane). This script reports the training loss only, so it
    drops the test points, but draws their split all the same: the same seed
    gives the same points.
    """
    rng = np.random.default_rng(params["data_seed"])
    X: Array
    y: Labels
    if upload is not None:
        X, y = np.array(upload["x"], dtype=np.float64), np.array(upload["y"], dtype=np.int64)
    elif params["dataset"] in DATASETS_K:
        X, y = DATASETS_K[params["dataset"]](params["n"], rng, params["noise"], params["classes"])
    else:
        X, y = DATASETS[params["dataset"]](params["n"], rng, params["noise"])
    n = len(X)
    n_test = min(max(round(n * params["test_ratio"]), 1), n - 1)
    train = rng.permutation(n)[n_test:]
    return X[train], y[train]


FEATURES: dict[str, Callable[[Array, Array], Array]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1x2": lambda x1, x2: x1 * x2,
    "sin_x1": lambda x1, x2: np.sin(x1),
    "sin_x2": lambda x1, x2: np.sin(x2),
}


def features(X: Array, names: list[str]) -> Array:
    """The network's inputs (m, len(names)): the chosen features of points X (m, 2)."""
    return np.stack([FEATURES[name](X[:, 0], X[:, 1]) for name in names], axis=1)


# -- the network ----------------------------------------------------------------


def sigmoid(z: Array) -> Array:
    """σ(z) = 1/(1 + e^(−z)), computed from e^(−|z|) so that nothing overflows."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


# Each activation g beside its derivative g′, written with z or with a = g(z).
ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]] = {
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(z.dtype)),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "sigmoid": (sigmoid, lambda z, a: a * (1.0 - a)),
    "linear": (lambda z: z, lambda z, a: np.ones_like(z)),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z, a: np.where(z > 0, 1.0, 0.01)),
}


class Network:
    """Fully connected layers of widths ``sizes`` = [d0, d1, …, dL], one logit out.

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
            he = k < len(self.W) - 1 and activation in ("relu", "leaky_relu")
            var = 2.0 / W.shape[0] if he else 2.0 / (W.shape[0] + W.shape[1])
            W[...] = rng.normal(0.0, np.sqrt(var), size=W.shape)
        self.inputs: list[Array] = []  # the input A[l−1] of each layer, from forward
        self.hidden: list[tuple[Array, Array, Array | None]] = []  # each hidden Z, g(Z), mask

    def forward(
        self, X: Array, dropout: float = 0.0, rng: np.random.Generator | None = None
    ) -> Array:
        """The output logits Z[L] (m, 1) of inputs X (m, d0); keeps what backward needs.

        With dropout p > 0 (training only) each hidden activation is multiplied
        by keep/(1 − p), keep ~ Bernoulli(1 − p): on average it is unchanged.
        """
        self.inputs, self.hidden = [], []
        A = X
        for W, b in zip(self.W[:-1], self.b[:-1], strict=True):
            self.inputs.append(A)
            Z = A @ W + b
            H = self.g(Z)
            mask = None
            if dropout > 0 and rng is not None:
                mask = (rng.random(H.shape) >= dropout) * (1.0 / (1.0 - dropout))
            self.hidden.append((Z, H, mask))
            A = H if mask is None else H * mask
        self.inputs.append(A)
        return A @ self.W[-1] + self.b[-1]

    def backward(self, dZ: Array, l1: float, l2: float) -> None:
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
            if l1:
                self.dW[k] += l1 * np.sign(self.W[k])  # ∂/∂W of l1·Σ|W|


# -- the loss -------------------------------------------------------------------


def bce(Z: Array, Y: Array) -> float:
    """Cross-entropy from the logits: −[y·log σ(z) + (1 − y)·log(1 − σ(z))] = softplus(z) − y·z.

    softplus(z) = log(1 + e^z) = max(z, 0) + log(1 + e^(−|z|)) never takes log 0
    nor overflows, so a confidently wrong output costs a large, finite loss.
    """
    softplus = np.maximum(Z, 0.0) + np.log1p(np.exp(-np.abs(Z)))
    return float((softplus - Y * Z).mean())


def mse(Z: Array, Y: Array) -> float:
    """(1/m) Σ ½(σ(z) − y)²."""
    d = sigmoid(Z) - Y
    return float(0.5 * np.mean(d * d))


def bce_grad(Z: Array, Y: Array) -> Array:
    """∂L/∂z = (ŷ − y)/m: the error itself, as the notes stress."""
    return (sigmoid(Z) - Y) / len(Z)


def mse_grad(Z: Array, Y: Array) -> Array:
    """∂L/∂z = (ŷ − y)·σ′(z)/m with σ′(z) = ŷ(1 − ŷ): slow where the sigmoid saturates."""
    a = sigmoid(Z)
    return (a - Y) * a * (1.0 - a) / len(Z)


def softmax_ce(Z: Array, Y: Array) -> float:
    """With k > 2 classes: −(1/m) Σ log softmax(z)_y, Y one-hot (m, k), by a stable log-softmax."""
    S = Z - Z.max(axis=1, keepdims=True)
    log_p = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(Z)), Y.argmax(axis=1)].mean())


def softmax_ce_grad(Z: Array, Y: Array) -> Array:
    """∂L/∂Z = (softmax(Z) − Y)/m: again the error itself, one column per class."""
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    G: Array = E / E.sum(axis=1, keepdims=True)
    G -= Y
    G /= Z.shape[0]
    return G


LOSSES: dict[str, tuple[Callable[[Array, Array], float], Callable[[Array, Array], Array]]] = {
    "bce": (bce, bce_grad),
    "mse": (mse, mse_grad),
    "softmax_ce": (softmax_ce, softmax_ce_grad),
}


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
    """The lab's state: training points, network, optimizer, epoch order and step count."""

    def __init__(self, params: dict[str, Any], upload: dict[str, Any] | None = None) -> None:
        self.p = p = dict(params)
        self.X_base, self.y_base = training_points(p, upload)
        self.added: list[tuple[float, float, int]] = []  # points the learner clicked in
        # two classes: one sigmoid output; k > 2: k outputs, softmax and cross-entropy
        self.k = classes(p, upload)
        sizes = [len(p["features"]), *p["hidden"], 1 if self.k == 2 else self.k]
        self.net = Network(sizes, p["activation"], np.random.default_rng(p["init_seed"]))
        self.opt = OPTIMIZERS[p["optimizer"]](self.net.theta.size)
        self.rng = np.random.default_rng([p["init_seed"], 1])  # epoch orders and dropout
        self.steps, self.diverged = 0, False
        self.new_training_set()

    def new_training_set(self) -> None:
        """The generated and the added points as features; a new epoch starts."""
        extra = np.array([(x1, x2) for x1, x2, _ in self.added], dtype=np.float64)
        X = np.concatenate([self.X_base, extra.reshape(-1, 2)])
        self.F = features(X, self.p["features"])
        labels = np.concatenate([self.y_base, [label for _, _, label in self.added]])
        if self.k == 2:
            self.Y = labels.astype(np.float64)[:, None]  # (m, 1)
        else:  # one-hot rows (m, k)
            self.Y = np.zeros((len(labels), self.k))
            self.Y[np.arange(len(labels)), labels.astype(np.int64)] = 1.0
        self.shuffled = False  # its random order is drawn at the next update

    def shuffle(self) -> None:
        """A fresh random order of the training set: ``Fs``, ``Ys``, taken from the start."""
        order = self.rng.permutation(len(self.F))
        self.Fs, self.Ys, self.cursor, self.shuffled = self.F[order], self.Y[order], 0, True

    def next_batch(self, size: int) -> tuple[Array, Array]:
        """The next ``size`` points of the epoch; the epoch's last batch may be smaller."""
        if not self.shuffled:
            self.shuffle()
        start = self.cursor
        self.cursor = stop = min(start + size, len(self.Fs))
        batch = self.Fs[start:stop], self.Ys[start:stop]
        if stop == len(self.Fs):
            self.shuffle()  # the epoch is over: a fresh order for the next one
        return batch

    def update(self) -> None:
        """One step of mini-batch gradient descent."""
        p, net = self.p, self.net
        F, Y = self.next_batch(p["batch_size"])
        Z = net.forward(F, p["dropout"], self.rng)
        net.backward(LOSSES[self.loss][1](Z, Y), p["l1"], p["l2"])
        self.opt.step(net.theta, net.grad, p["lr"])
        self.steps += 1
        # a weight past 1e8 (or inf, or nan: both comparisons fail) is a blown-up run
        self.diverged = not (net.theta.min() > -BLOWUP and net.theta.max() < BLOWUP)

    def change(self, kind: str, values: dict[str, Any]) -> None:
        """What the learner did while it trained: new params, or a point added or cleared."""
        if kind == "params":
            self.p.update(values)
            if "optimizer" in values:  # a new method starts from fresh state
                self.opt = OPTIMIZERS[self.p["optimizer"]](self.net.theta.size)
        elif kind == "add_point":
            self.added.append((values["x1"], values["x2"], values["label"]))
            self.new_training_set()
        elif kind == "add_points":  # a brush stroke: [x1, x2, label] rows
            self.added.extend((x1, x2, label) for x1, x2, label in values["points"])
            self.new_training_set()
        elif kind == "clear_points":
            self.added.clear()
            self.new_training_set()

    def train_loss(self) -> float:
        """The mean loss on every training point: no dropout, no penalty."""
        return LOSSES[self.loss][0](self.net.forward(self.F), self.Y)

    @property
    def loss(self) -> str:
        return self.p["loss"] if self.k == 2 else "softmax_ce"


def run(
    params: dict[str, Any], changes: list[tuple[int, str, dict[str, Any]]], steps: int
) -> dict[str, Any]:
    """Replay a run: ``steps`` updates, each change applied after exactly k updates.

    Training stops early if the parameters blow up (past 1e8, inf or nan), as in
    the playground. Returns the updates done and the final training loss (None if
    the run blew up or it is not a finite number).
    """
    with np.errstate(all="ignore"):  # a diverging run computes with inf and nan
        todo = list(changes)
        # uploaded data comes as the first change, at step 0: the points to train on
        upload = todo.pop(0)[2] if todo and todo[0][1] == "upload" else None
        lab = Training(params, upload)
        while True:
            while todo and todo[0][0] <= lab.steps:
                _, kind, values = todo.pop(0)
                lab.change(kind, values)
            if lab.steps >= steps or lab.diverged:
                break
            lab.update()
        loss = lab.train_loss()
    return {"step": lab.steps, "loss": loss if math.isfinite(loss) and not lab.diverged else None}
