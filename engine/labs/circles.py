"""Two circles: a deep network learns a curved decision boundary.

SEEDS.md section 2. A 2 → 25 → 50 → 50 → 25 → 1 ReLU network with a sigmoid
output and binary cross-entropy separates an inner disk from a ring around
it; the page watches the boundary form, the loss and accuracy curves, the
weights in a network diagram and each layer's gradient size. TensorFlow
Playground's datasets and input features are offered too: with ``x1²`` and
``x2²`` as inputs even logistic regression (``hidden = []``) solves circles.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from annotated_types import Ge, Gt, Le, Len, Lt

from engine import datasets, multiclass
from engine.activations import curve
from engine.classifier import Batches, Boundary, Grid, evaluate, split, to_uint8
from engine.features import expand
from engine.lab import BLOWUP, Cost, Effect, Lab, Message, OpError, Ui, layer_macs
from engine.losses import LOSSES, one_hot
from engine.nn import MLP, Scratch
from engine.optimizers import make
from engine.userdata import MAX_CLASSES, Table, display_scale

MAX_LAYERS = 6  # hidden layers
MAX_WIDTH = 64  # units per hidden layer
MAX_N = 2000  # points generated
MAX_RESOLUTION = 128  # boundary grid cells per axis
MAX_ADDED = 200  # points a learner may add by clicking
EXTENT = (-6.0, 6.0, -6.0, 6.0)  # the plotted plane: the Playground's domain
# frames between weight snapshots: 2 Hz at 30 frames/s keeps the mean frame under 6 KiB.
# These keyframes also carry the boundary, whether or not it changed (see ``Boundary``).
WEIGHTS_EVERY = 15

Dataset = Literal["circles", "xor", "gauss", "spiral", "moons", "arms", "blobs"]
FeatureName = Literal["x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1", "sin_x2"]
Activation = Literal["relu", "tanh", "sigmoid", "linear", "leaky_relu"]
Width = Annotated[int, Ge(1), Le(MAX_WIDTH)]
Seed = Annotated[int, Ge(0), Le(2**31 - 1)]


@dataclass(frozen=True)
class CirclesParams:
    """Every param of the circles lab; bounds here drive validation and controls."""

    dataset: Annotated[Dataset, Ui("data")] = "circles"
    n: Annotated[int, Ge(10), Le(MAX_N), Ui("data", step=10)] = 400
    noise: Annotated[float, Ge(0), Le(0.5), Ui("data", step=0.05)] = 0.0
    # how many classes the multi-class sets (arms, blobs) have; the others have two
    classes: Annotated[int, Ge(2), Le(MAX_CLASSES), Ui("data", step=1)] = 3
    test_ratio: Annotated[float, Ge(0.1), Le(0.9), Ui("data", step=0.05)] = 0.5
    data_seed: Annotated[Seed, Ui("data", step=1, advanced=True)] = 0
    features: Annotated[tuple[FeatureName, ...], Len(1, 7), Ui("features")] = ("x1", "x2")
    hidden: Annotated[tuple[Width, ...], Len(0, MAX_LAYERS), Ui("model")] = (25, 50, 50, 25)
    activation: Annotated[Activation, Ui("model")] = "relu"
    init_seed: Annotated[Seed, Ui("model", step=1, advanced=True)] = 0
    loss: Annotated[Literal["bce", "mse"], Ui("training")] = "bce"
    optimizer: Annotated[Literal["sgd", "momentum", "adam"], Ui("training")] = "adam"
    lr: Annotated[float, Gt(0), Le(10), Ui("training", step=0.0001, log=True)] = 0.01
    batch_size: Annotated[int, Ge(1), Le(MAX_N), Ui("training", step=1)] = 10
    l1: Annotated[float, Ge(0), Le(1), Ui("regularization", step=0.0001, log=True)] = 0.0
    l2: Annotated[float, Ge(0), Le(1), Ui("regularization", step=0.0001, log=True)] = 0.0
    dropout: Annotated[float, Ge(0), Lt(0.9), Ui("regularization", step=0.05)] = 0.0
    resolution: Annotated[int, Ge(8), Le(MAX_RESOLUTION), Ui("view", step=8, advanced=True)] = 48

    def __post_init__(self) -> None:
        if len(set(self.features)) != len(self.features):
            raise ValueError(f"features: expected distinct names, got {list(self.features)}")


@dataclass(frozen=True)
class InspectArgs:
    """A unit: layer 0 is the input features, 1…L−1 the hidden layers, L the output."""

    layer: Annotated[int, Ge(0), Le(MAX_LAYERS + 1)]
    unit: Annotated[int, Ge(0), Le(MAX_WIDTH - 1)]


@dataclass(frozen=True)
class AddPointArgs:
    """A training point the learner clicks onto the plane."""

    x1: Annotated[float, Ge(EXTENT[0]), Le(EXTENT[1])]
    x2: Annotated[float, Ge(EXTENT[2]), Le(EXTENT[3])]
    label: Annotated[int, Ge(0), Le(MAX_CLASSES - 1)]  # below the number of classes


Coordinate = Annotated[float, Ge(EXTENT[0]), Le(EXTENT[1])]  # the plane is square
Label = Annotated[int, Ge(0), Le(MAX_CLASSES - 1)]
MAX_STROKE = 50  # points one brush stroke (one add_points) may carry


@dataclass(frozen=True)
class AddPointsArgs:
    """Training points painted with the brush: ``[x1, x2, label]`` rows."""

    points: Annotated[tuple[tuple[Coordinate, Coordinate, Label], ...], Len(1, MAX_STROKE)]


@dataclass(frozen=True)
class NoArgs:
    """An op without arguments."""


class Circles(Lab[CirclesParams]):
    """The circles lab: 2-D data, an MLP on chosen input features, live training."""

    id = "circles"
    title = "Two circles"
    order = 2
    Params = CirclesParams
    data_fields = frozenset({"dataset", "n", "noise", "test_ratio", "data_seed", "classes"})
    # new data of another kind replaces uploaded data; a new split or seed keeps it
    upload_dropping = frozenset({"dataset", "n", "noise", "classes"})
    reset_fields = frozenset({"hidden", "features", "activation", "init_seed"})
    default_speed = 2.0  # 60 updates/s at 30 frames/s: the default net passes 97 % in ~1.5 s
    update_cost_fields = ("batch_size", "hidden", "features")
    frame_cost_fields = ("resolution", "hidden", "n", "features")

    @classmethod
    def cost(cls, params: CirclesParams) -> Cost:
        """An update: forward and two backward products per sample of the batch (≈ 3×);
        a frame: every point forward for the metrics, and every grid cell for the boundary."""
        p = params
        outputs = p.classes if p.dataset in datasets.MULTICLASS else 1
        per_sample = layer_macs([len(p.features), *p.hidden, outputs])
        batch = min(p.batch_size, p.n + MAX_ADDED)
        return Cost(3 * batch * per_sample, (p.n + MAX_ADDED + p.resolution**2) * per_sample)

    def __init__(self, params: CirclesParams) -> None:
        self.boundary = Boundary()
        self._scratch = Scratch()  # for the metrics' forward passes
        self.table: Table | None = None  # uploaded data, scaled onto the plane
        super().__init__(params)

    # -- data ----------------------------------------------------------------

    def make_data(self) -> None:
        p = self.params
        rng = np.random.default_rng(p.data_seed)
        if self.table is not None:
            X, y = self.table.x, self.table.y
        elif p.dataset in datasets.MULTICLASS:
            X, y = datasets.MULTICLASS[p.dataset](p.n, rng, p.noise, p.classes)
        else:
            X, y = datasets.CLASSIFICATION[p.dataset](p.n, rng, p.noise)
        self.X_base, self.y_base, self.X_test, self.y_test = split(X, y, p.test_ratio, rng)
        self.added: list[tuple[float, float, int]] = []  # regenerated data drops them
        self._join_added()

    def _join_added(self) -> None:
        """The training set is the generated points followed by the added ones."""
        extra = np.array([a[:2] for a in self.added], dtype=np.float64).reshape(-1, 2)
        self.X_train = np.concatenate([self.X_base, extra])  # (m, 2)
        self.y_train = np.concatenate([self.y_base, [a[2] for a in self.added]]).astype(np.int64)

    def data_messages(self) -> list[Message]:
        """The data, then the hidden activation's curve for the page's f and f′ panel."""
        return [self._data_message(), self._activation_message()]

    def _data_message(self) -> Message:
        def part(X: np.ndarray, y: np.ndarray) -> Message:
            return {"x": X.astype(np.float32), "y": y.astype(np.uint8)}

        message: Message = {"type": "data", "train": part(self.X_train, self.y_train),
                            "test": part(self.X_test, self.y_test),
                            "added": len(self.added)}  # fmt: skip
        if self.k > 2 or self.table is not None:  # binary generated data: as it always was
            message["classes"] = self.class_names
        if self.table is not None:
            message["upload"] = {"rows": len(self.table.y)}
        return message

    @property
    def k(self) -> int:
        """How many classes the data has: 2 (one sigmoid output) or more (softmax)."""
        if self.table is not None:
            return len(self.table.classes)
        return self.params.classes if self.params.dataset in datasets.MULTICLASS else 2

    @property
    def class_names(self) -> list[str]:
        """The uploaded labels, or the class numbers of generated data."""
        if self.table is not None:
            return list(self.table.classes)
        return [str(c) for c in range(self.k)]

    def _activation_message(self) -> Message:
        """g(z) and g′(z) of the hidden activation on z ∈ [−5, 5], 101 points each."""
        name = self.params.activation
        c = curve(name)
        return {"type": "activation", "name": name,
                **{k: v.astype(np.float32) for k, v in c.items()}}  # fmt: skip

    # -- training ------------------------------------------------------------

    def reset(self) -> None:
        p = self.params
        multi = self.k > 2
        sizes = [len(p.features), *p.hidden, self.k if multi else 1]
        output = "softmax" if multi else "sigmoid"
        self.net = MLP(sizes, p.activation, output, np.random.default_rng(p.init_seed))
        self.opt = make(p.optimizer)
        self.train_rng = np.random.default_rng([p.init_seed, 1])  # batch order and dropout
        self.steps = 0
        self.samples = 0
        self.frames = 0
        self._diverged = False
        self._featurize()

    def apply(self, params: CirclesParams) -> Effect:
        old = self.params.activation
        if self.table is not None and any(
            getattr(params, f) != getattr(self.params, f) for f in self.upload_dropping
        ):
            self.table = None
        effect = super().apply(params)
        self.boundary.forget()  # new params: the next frame shows them
        # A new activation alone only resets (no data message): send its curve on the side.
        if effect is Effect.RESET and params.activation != old:
            self.post(self._activation_message())
        return effect

    def _featurize(self) -> None:
        """Input features of the train and test points, and a fresh epoch order."""
        names = self.params.features
        self.F_train, self.F_test = expand(self.X_train, names), expand(self.X_test, names)
        if self.k > 2:  # one-hot rows (m, k) for the softmax
            self.Y_train, self.Y_test = one_hot(self.y_train, self.k), one_hot(self.y_test, self.k)
        else:
            self.Y_train = self.y_train.astype(np.float64)[:, None]  # (m, 1)
            self.Y_test = self.y_test.astype(np.float64)[:, None]
        self._batches: Batches | None = None  # drawn when first needed: see ``batches``
        self.boundary.forget()  # a new model or training set: the next frame shows it

    def rewound(self) -> None:
        self.frames = 0  # a keyframe: the weights come along
        self.boundary.forget()

    def on_live_change(self, changed: set[str]) -> None:
        if "optimizer" in changed:
            self.opt = make(self.params.optimizer)  # a new method starts with fresh state

    @property
    def batches(self) -> Batches:
        """The epoch order over the training set, drawn from ``train_rng`` at the first update.

        Lazily, so that a reset with added points and its exported replay (a reset,
        then the points added again at step 0) draw the same orders.
        """
        if self._batches is None:
            self._batches = Batches(self.F_train, self.Y_train, self.train_rng)
        return self._batches

    @property
    def diverged(self) -> bool:
        return self._diverged

    def step(self, n: int) -> int:
        """Up to ``n`` mini-batch updates; the loss is not computed here but in ``frame``."""
        p, net, rng = self.params, self.net, self.train_rng
        loss = LOSSES["softmax_ce" if self.k > 2 else p.loss]  # k classes: cross-entropy
        grad, opt, lr, size = loss.grad, self.opt, p.lr, p.batch_size
        theta, dtheta = {"theta": net.theta}, {"theta": net.dtheta}
        done = 0
        with np.errstate(all="ignore"):  # a blow-up is reported as divergence, not warnings
            while done < n and not self._diverged:
                Fb, Yb = self.batches.next(size)
                Z = net.forward(Fb, train=p.dropout > 0, dropout=p.dropout, rng=rng)
                net.backward(grad(Z, Yb), p.l1, p.l2)
                opt.step(theta, dtheta, lr)
                self.samples += len(Fb)
                done += 1
                # A weight past BLOWUP (or NaN: both comparisons are False) is a blown-up run,
                # even while the loss is still a finite 10⁹¹.
                self._diverged = not (net.theta.min() > -BLOWUP and net.theta.max() < BLOWUP)
        self.steps += done
        return done

    # -- frames --------------------------------------------------------------

    def frame(self) -> Message:
        """Step, loss and accuracy (always exact), the boundary when it is due (see
        ``Boundary``), the gradient norms, and the weights every ``WEIGHTS_EVERY`` frames."""
        loss, net, scratch = LOSSES[self.params.loss], self.net, self._scratch
        per_class: dict[str, list[float | None]] = {}
        if self.k > 2:
            k = self.k
            train_loss, train_acc, per_class["train"] = multiclass.evaluate(
                net, self.F_train, self.y_train, k, scratch)  # fmt: skip
            test_loss, test_acc, per_class["test"] = multiclass.evaluate(
                net, self.F_test, self.y_test, k, scratch)  # fmt: skip
        else:
            train_loss, train_acc = evaluate(net, self.F_train, self.Y_train, loss, scratch)
            test_loss, test_acc = evaluate(net, self.F_test, self.Y_test, loss, scratch)
        if not (math.isfinite(train_loss) and math.isfinite(test_loss)):
            self._diverged = True
        keyframe = self.frames % WEIGHTS_EVERY == 0
        image = self.boundary.for_frame(net, self._grid(), self.params.features, self.steps,
                                        self.frames, keyframe)  # fmt: skip
        message: Message = {
            "type": "frame",
            "step": self.steps,
            "epoch": self.samples / len(self.F_train),
            # a blown-up run has no meaningful loss, even a finite one (as in every lab)
            "loss": {
                "train": None if self._diverged else _finite(train_loss),
                "test": None if self._diverged else _finite(test_loss),
            },
            "metrics": {"accuracy": {"train": train_acc, "test": test_acc}},
            "diverged": self._diverged,
            "grad_norms": net.grad_norms() if self.steps else [None] * net.n_layers,
        }
        if per_class:
            message["metrics"]["class_accuracy"] = per_class
        if image is not None:
            message["boundary"] = self._boundary_message(image)
        if keyframe:
            message["weights"] = self._weights()
        self.frames += 1
        return message

    def _grid(self) -> Grid:
        return Grid(EXTENT, self.params.resolution)

    def _boundary_message(self, image: np.ndarray) -> Message:
        """P(class 1) on the grid as uint8 (res, res), 255 = 1, row 0 at ymin, and its step;
        with k classes ``z`` is the confidence and ``top`` the predicted class (see
        ``multiclass.top_and_confidence``)."""
        if image.ndim == 3:
            return {"extent": list(EXTENT), "z": image[1], "top": image[0], "classes": self.k,
                    "step": self.boundary.step}  # fmt: skip
        return {"extent": list(EXTENT), "z": image, "step": self.boundary.step}

    def _weights(self) -> Message:
        with np.errstate(over="ignore"):  # a diverged weight beyond float32 is sent as inf
            return {
                "W": [W.astype(np.float32) for W in self.net.W],  # (d_{l−1}, d_l) each
                "b": [b.astype(np.float32) for b in self.net.b],
            }

    # -- ops -------------------------------------------------------------------

    def inspect(self, args: InspectArgs) -> Message:
        """One unit's activation over the plane, scaled to its own range on the grid."""
        sizes = self.net.sizes
        if args.layer >= len(sizes):
            raise OpError("invalid_params", f"layer: expected 0…{len(sizes) - 1}, got "
                          f"{args.layer}", "layer")  # fmt: skip
        if args.unit >= sizes[args.layer]:
            raise OpError("invalid_params", f"unit: layer {args.layer} has units 0…"
                          f"{sizes[args.layer] - 1}, got {args.unit}", "unit")  # fmt: skip
        with np.errstate(all="ignore"):
            F = self.boundary.features(self._grid(), self.params.features)
            a = self.net.layer_outputs(F)[args.layer][:, args.unit]
        finite = a[np.isfinite(a)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
        res = self.params.resolution
        return {"type": "inspect", "layer": args.layer, "unit": args.unit,
                "extent": list(EXTENT), "z": to_uint8(a.reshape(res, res), lo, hi),
                "range": [_finite(lo), _finite(hi)]}  # fmt: skip

    def weights(self, args: NoArgs) -> Message:
        """The current weights on demand (e.g. after pausing between snapshots)."""
        return {"type": "weights", "step": self.steps, **self._weights()}

    def boundary_now(self, args: NoArgs) -> Message:
        """The boundary at this very step, for a frame that left it out (a step while paused)."""
        image = self.boundary.compute(self.net, self._grid(), self.params.features, self.steps,
                                      self.frames)  # fmt: skip
        return {"type": "boundary", **self._boundary_message(image)}

    def add_point(self, args: AddPointArgs) -> Message:
        """Add a training point; it stays through live changes and resets until new data."""
        if len(self.added) >= MAX_ADDED:
            raise OpError("invalid_params", f"at most {MAX_ADDED} added points; clear them first")
        if args.label >= self.k:
            raise OpError("invalid_params", f"label: expected 0…{self.k - 1}, got {args.label}",
                          "label")  # fmt: skip
        self.added.append((args.x1, args.x2, int(args.label)))
        return self._points_changed()

    def add_points(self, args: AddPointsArgs) -> Message:
        """Add a brush stroke's points at once: one new epoch and one data message for all."""
        if len(self.added) + len(args.points) > MAX_ADDED:
            raise OpError("invalid_params", f"at most {MAX_ADDED} added points; clear them first",
                          "points")  # fmt: skip
        if any(label >= self.k for _, _, label in args.points):
            raise OpError("invalid_params", f"points: labels must be 0…{self.k - 1}", "points")
        self.added.extend((float(x1), float(x2), int(c)) for x1, x2, c in args.points)
        return self._points_changed()

    def clear_points(self, args: NoArgs) -> Message:
        """Remove every added point."""
        self.added.clear()
        return self._points_changed()

    def carried_ops(self) -> list[tuple[str, dict[str, Any]]]:
        """Uploaded data and added points stay through a reset: a replay uses them again
        at step 0, the data first."""
        points = [("add_point", {"x1": x1, "x2": x2, "label": int(label)})
                  for x1, x2, label in self.added]  # fmt: skip
        if self.table is None:
            return points
        t = self.table
        data = {"x": t.x.tolist(), "y": t.y.tolist(), "classes": list(t.classes)}
        return [("upload", data), *points]

    def upload(self, table: Table | None) -> list[Message]:
        """Train on a learner's table from here on (None: back to generated data).

        Its points are scaled onto the plane (``userdata.display_scale``), split by
        ``test_ratio`` and ``data_seed`` like generated data, and the model starts over.
        Returns the messages a data change sends.
        """
        if table is not None:
            table = Table(display_scale(table.x, EXTENT[1])[0], table.y, table.classes)
        self.table = table
        self.make_data()
        self.reset()
        self._start_log()
        self.boundary.forget()
        return [*self.data_messages(), *self.take_messages()]

    def _points_changed(self) -> Message:
        self._join_added()
        self._featurize()  # a fresh epoch over the new training set; the model goes on
        self.post(self._data_message())
        return {"type": "points", "added": len(self.added)}

    ops: ClassVar[dict[str, tuple[type[Any], Callable[[Any, Any], Message]]]] = {
        "inspect": (InspectArgs, inspect),
        "weights": (NoArgs, weights),
        "boundary": (NoArgs, boundary_now),
        "add_point": (AddPointArgs, add_point),
        "add_points": (AddPointsArgs, add_points),
        "clear_points": (NoArgs, clear_points),
    }
    logged_ops = frozenset({"add_point", "add_points", "clear_points"})


_BASE: dict[str, Any] = {
    "dataset": "circles", "n": 400, "noise": 0.0, "classes": 3, "test_ratio": 0.5,
    "features": ["x1", "x2"],
    "hidden": [25, 50, 50, 25], "activation": "relu", "loss": "bce", "optimizer": "adam",
    "lr": 0.01, "batch_size": 10, "l1": 0.0, "l2": 0.0, "dropout": 0.0, "speed": 2,
}  # fmt: skip
_DEEP = {**_BASE, "hidden": [8] * 6, "optimizer": "sgd", "lr": 0.3}
_ALL_FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1", "sin_x2"]

# The lessons, each a complete setting so that one never inherits another's changes.
PRESETS: dict[str, dict[str, Any]] = {
    "notes": _BASE,  # SEEDS.md section 2: 2 → 25 → 50 → 50 → 25 → 1, ReLU, cross-entropy
    "linear": {**_BASE, "hidden": []},  # logistic regression on x1, x2: a line cannot do it
    "squares": {**_BASE, "hidden": [], "features": ["x1^2", "x2^2"]},  # … but on x1², x2² it can
    "vanishing": {**_DEEP, "activation": "sigmoid"},  # the first layers barely learn
    "relu_deep": _DEEP,  # the same with ReLU learns
    "too_high": {**_BASE, "optimizer": "sgd", "lr": 3.0},
    "overfit": {**_BASE, "noise": 0.5, "n": 100, "hidden": [64, 64, 64]},
    "spiral": {**_BASE, "dataset": "spiral", "features": _ALL_FEATURES, "hidden": [16, 16, 16]},
    # three classes: a softmax output, the plane coloured by the predicted class
    "three_arms": {**_BASE, "dataset": "arms", "classes": 3, "hidden": [16, 16]},
}  # fmt: skip


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


LAB = Circles
