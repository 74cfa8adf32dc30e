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
from typing import Any, ClassVar

import numpy as np

from engine import datasets, multiclass
from engine.classifier import Batches, Boundary, Grid, evaluate
from engine.lab import BLOWUP, Cost, Effect, Message, layer_macs
from engine.labs.circles_data import CirclesData
from engine.labs.circles_ops import (
    add_point,
    add_points,
    boundary_now,
    clear_points,
    finite_or_none,
    inspect,
    weights,
)
from engine.labs.circles_params import (
    EXTENT,
    MAX_ADDED,
    MAX_LAYERS,
    MAX_RESOLUTION,
    MAX_WIDTH,
    PRESETS,
    WEIGHTS_EVERY,
    AddPointArgs,
    AddPointsArgs,
    CirclesParams,
    InspectArgs,
    NoArgs,
)
from engine.losses import LOSSES
from engine.nn import MLP, Scratch
from engine.optimizers import make

# what other modules (tests, benches, the export) take from the lab's module
__all__ = ["EXTENT", "MAX_ADDED", "MAX_LAYERS", "MAX_RESOLUTION", "MAX_WIDTH", "PRESETS",
           "WEIGHTS_EVERY", "AddPointArgs", "AddPointsArgs", "Circles", "CirclesParams",
           "InspectArgs", "NoArgs"]  # fmt: skip


class Circles(CirclesData):
    """The circles lab: 2-D data, an MLP on chosen input features, live training. Its data
    (generated, uploaded or added points, and their features) is ``CirclesData``'s."""

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
        self.table = None  # uploaded data, scaled onto the plane
        super().__init__(params)

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
                "train": None if self._diverged else finite_or_none(train_loss),
                "test": None if self._diverged else finite_or_none(test_loss),
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

    ops: ClassVar[dict[str, tuple[type[Any], Callable[[Any, Any], Message]]]] = {
        "inspect": (InspectArgs, inspect),
        "weights": (NoArgs, weights),
        "boundary": (NoArgs, boundary_now),
        "add_point": (AddPointArgs, add_point),
        "add_points": (AddPointsArgs, add_points),
        "clear_points": (NoArgs, clear_points),
    }
    logged_ops = frozenset({"add_point", "add_points", "clear_points"})


LAB = Circles
