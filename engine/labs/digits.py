"""Digits: softmax regression and deeper networks on real handwritten digits.

SEEDS.md section 4 ("deep learning without a PhD"). The UCI 8×8 digits
(``engine.optdigits``), pixels scaled to [0, 1], a fixed test set of 397 and
a training set of ``train_size`` (``engine.digits_split``). The model is
``Y = softmax(X·W + b)`` (X (m, 64), W (64, 10)), an MLP with hidden
layers, or a small convolutional net (``engine.labs.digits_cnn``), trained
on the mean cross-entropy ``−(1/m) Σ log Y[i, y_i]`` plus
``(l2/2)·Σ W²``, a fresh mini-batch each update, at the decayed rate
``lr_k = lr·lr_decay^k`` for update k = 0, 1, ….

Frames stay small: losses, accuracies and the current rate. Every
``DETAIL_EVERY``-th frame also carries what the page redraws about twice a
second: the weight images (the CNN: its filters and parameter counts), the
test confusion matrix and the predicted labels of a fixed gallery of test digits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np

from engine import optdigits, optimizers
from engine.conv import ConvNet
from engine.digits_metrics import Evaluation, confusion, evaluate
from engine.digits_split import TEST_SIZE, gallery, split
from engine.lab import BLOWUP, Cost, Effect, Lab, Message, OpError, layer_macs
from engine.labs import digits_cnn
from engine.labs.digits_params import PRESETS, UNUSED, DigitsParams, PredictArgs
from engine.losses import LOSSES
from engine.nn import MLP

__all__ = ["DETAIL_EVERY", "PRESETS", "Digits", "DigitsParams", "PredictArgs", "predict"]

DETAIL_EVERY = 15  # frames between detail frames: 2 per second at 30 frames/s
MAX_UNIT_IMAGES = 32  # first-layer units a detail frame shows for the MLP
SCALE = 1.0 / (optdigits.LEVELS - 1)  # grey level 0..16 → [0, 1]
LOSS = LOSSES["softmax_ce"]


def predict(lab: Digits, args: PredictArgs) -> Message:
    """The ``predict`` op: class probabilities of one image under the current model.

    Inference mode (no dropout). Returns ``{"type": "prediction", "probs":
    [10 floats summing to 1], "label": argmax}``, and for the CNN ``maps``: the
    image's activations after each conv layer (``digits_cnn.feature_maps``).
    """
    x = np.asarray(args.pixels, dtype=float)  # (64,)
    if x.shape != (optdigits.N_PIXELS,) or not np.all((x >= 0) & (x <= optdigits.LEVELS - 1)):
        raise OpError("invalid_params", "expected 64 grey levels in [0, 16]", "pixels")
    probs = lab.probabilities(x[None, :] * SCALE)[0]  # (10,)
    msg: Message = {"type": "prediction", "probs": [float(p) for p in probs],
                    "label": int(probs.argmax())}  # fmt: skip
    if isinstance(lab.net, ConvNet):
        msg["maps"] = digits_cnn.feature_maps(lab.net, x * SCALE)
    return msg


class Digits(Lab[DigitsParams]):
    """The digits lab: softmax regression, an MLP or a CNN, trained by mini-batches."""

    id = "digits"
    title = "Digits"
    order = 4
    Params = DigitsParams
    data_fields = frozenset({"train_size", "data_seed"})
    reset_fields = frozenset({"model", "hidden", "activation", "filters", "init_seed"})
    default_speed = 3.0
    ops: ClassVar[dict[str, tuple[type[Any], Callable[[Any, Any], Message]]]] = {
        "predict": (PredictArgs, predict),
    }
    update_cost_fields = ("batch_size", "hidden", "filters")
    frame_cost_fields = ("hidden", "filters", "train_size")

    @classmethod
    def cost(cls, params: DigitsParams) -> Cost:
        """An update: ≈ 3 products per sample of the batch; a frame: every digit forward."""
        p = params
        hidden = list(p.hidden) if p.model == "mlp" else []
        per_sample = layer_macs([optdigits.N_PIXELS, *hidden, optdigits.N_CLASSES])
        if p.model == "cnn":
            per_sample = digits_cnn.macs(p.filters)
        batch = min(p.batch_size, p.train_size)
        return Cost(3 * batch * per_sample, (p.train_size + TEST_SIZE) * per_sample)

    # -- data ----------------------------------------------------------------

    def make_data(self) -> None:
        p = self.params
        X, y = optdigits.load()
        parts = split(y, p.train_size, p.data_seed)
        self.raw_train, self.y_train = X[parts.train], y[parts.train]  # (n, 64) uint8, (n,)
        self.raw_test, self.y_test = X[parts.test], y[parts.test]  # (397, 64) uint8, (397,)
        self.X_train = self.raw_train * SCALE  # (n, 64) float64 in [0, 1]
        self.X_test = self.raw_test * SCALE
        self.X_train32 = self.X_train.astype(np.float32)  # for the per-frame evaluation
        self.X_test32 = self.X_test.astype(np.float32)
        self.gallery = gallery(self.y_test)

    def data_messages(self) -> list[Message]:
        def part(x: np.ndarray, y: np.ndarray) -> Message:
            return {"x": x, "y": y.astype(np.uint8)}

        return [{
            "type": "data",
            "train": part(self.raw_train, self.y_train),
            "test": part(self.raw_test, self.y_test),
            "gallery": self.gallery,
        }]  # fmt: skip

    # -- training ------------------------------------------------------------

    def reset(self) -> None:
        p = self.params
        rng = np.random.default_rng([p.init_seed, 0])
        self.net: MLP | ConvNet
        if p.model == "cnn":
            self.net = ConvNet(p.filters, optdigits.N_CLASSES, rng)
        else:
            self.net = MLP(self.sizes, p.activation, "softmax", rng)
        if p.model == "softmax":
            self.net.theta[...] = 0.0  # as in the notes: blank weight images, uniform guesses
        self.optimizer = optimizers.make(p.optimizer)
        self.batch_rng = np.random.default_rng([p.init_seed, 1])
        self.dropout_rng = np.random.default_rng([p.init_seed, 2])
        self.shuffled: np.ndarray = self.batch_rng.permutation(len(self.y_train))
        self.cursor = 0
        self.steps = 0
        self.samples = 0
        self.frames = 0
        self._diverged = False
        self._evaluation: tuple[int, Evaluation] | None = None

    @property
    def sizes(self) -> list[int]:
        """Layer widths: [64, 10] for softmax regression, [64, *hidden, 10] for the MLP."""
        hidden = list(self.params.hidden) if self.params.model == "mlp" else []
        return [optdigits.N_PIXELS, *hidden, optdigits.N_CLASSES]

    def apply(self, params: DigitsParams) -> Effect:
        if params.model == self.params.model:
            # Editing the shape of a part this model does not have must not restart it.
            unused = {name: getattr(params, name) for name in UNUSED[params.model]}
            self.params = replace(self.params, **unused)
        return super().apply(params)

    def rewound(self) -> None:
        self.frames = 0  # a detail frame: the weights, confusion and gallery come along

    def on_live_change(self, changed: set[str]) -> None:
        if "optimizer" in changed:
            self.optimizer = optimizers.make(self.params.optimizer)  # fresh state

    @property
    def diverged(self) -> bool:
        return self._diverged

    @property
    def rate(self) -> float:
        """The rate the next update uses: ``lr·lr_decay^k`` with k = updates done so far."""
        return float(self.params.lr * self.params.lr_decay**self.steps)

    def step(self, n: int) -> int:
        done = 0
        while done < n and not self._diverged:
            self._update()
            done += 1
        return done

    def next_batch(self) -> np.ndarray:
        """The next ``min(batch_size, n)`` indices, without replacement within an epoch.

        A batch that runs past the end of the epoch's permutation continues
        into a fresh one, so every batch has the same size.
        """
        size = min(self.params.batch_size, len(self.y_train))
        idx = self.shuffled[self.cursor : self.cursor + size]
        self.cursor += size
        if self.cursor >= len(self.shuffled):
            self.shuffled = self.batch_rng.permutation(len(self.y_train))
            self.cursor = size - len(idx)
            idx = np.concatenate([idx, self.shuffled[: self.cursor]])
        return idx

    def _update(self) -> None:
        """One mini-batch update of every parameter at the current decayed rate."""
        p, net = self.params, self.net
        idx = self.next_batch()
        Z = net.forward(self.X_train[idx], train=True, dropout=p.dropout, rng=self.dropout_rng)
        net.backward(LOSS.grad(Z, self.y_train[idx]), l2=p.l2)
        self.optimizer.step({"theta": net.theta}, {"theta": net.dtheta}, self.rate)
        self.steps += 1
        self.samples += len(idx)
        if not (net.theta.min() > -BLOWUP and net.theta.max() < BLOWUP):  # False for NaN too
            self._diverged = True

    # -- model outputs -------------------------------------------------------

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (m, 10) for scaled pixels ``X`` (m, 64), without dropout."""
        return self.net.predict(X)

    def objective(self, X: np.ndarray, y: np.ndarray) -> float:
        """The loss training descends: mean cross-entropy + ``(l2/2)·Σ W²``, no dropout."""
        return LOSS.value(self.net.forward(X), y) + self.net.penalty(l2=self.params.l2)

    def evaluate(self) -> Evaluation:
        """Cross-entropy (without the L2 term) and accuracy on the full train and test sets.

        Computed once per step count: frames between updates reuse it.
        """
        if self._evaluation is None or self._evaluation[0] != self.steps:
            logits = digits_cnn.logits32 if isinstance(self.net, ConvNet) else None
            train, test = (self.X_train32, self.y_train), (self.X_test32, self.y_test)
            ev = evaluate(self.net, train, test, logits)
            self._evaluation = (self.steps, ev)
        return self._evaluation[1]

    # -- frames --------------------------------------------------------------

    def frame(self, detail: bool | None = None) -> Message:
        """The current state; ``detail`` (default: every DETAIL_EVERY-th frame) adds images."""
        ev = self.evaluate()
        if detail is None:
            detail = self.frames % DETAIL_EVERY == 0
        self.frames += 1
        msg: Message = {
            "type": "frame",
            "step": self.steps,
            "epoch": self.samples / len(self.y_train),
            "loss": {"train": ev.train_loss, "test": ev.test_loss},
            "metrics": {"accuracy": {"train": ev.train_accuracy, "test": ev.test_accuracy}},
            "diverged": self._diverged,
            "lr": self.rate,
        }
        if detail:
            msg.update(self._details(ev))
        return msg

    def _details(self, ev: Evaluation) -> Message:
        k = optdigits.N_CLASSES
        msg: Message = {
            "confusion": confusion(self.y_test, ev.test_pred, k).astype(np.float32),
            "gallery": [int(ev.test_pred[i]) for i in self.gallery],
        }
        if isinstance(self.net, ConvNet):
            msg["filters"] = digits_cnn.filter_images(self.net)
            msg["counts"] = digits_cnn.counts(self.params.filters, self.params.hidden)
        else:
            msg["weights"] = self.weight_images()
        return msg

    def weight_images(self) -> np.ndarray:
        """First-layer weights as 8×8 images, float32 (k, 64) row-major.

        Softmax: one image per class (Wᵀ, k = 10). MLP: the input weights of
        the first ``min(width, 32)`` hidden units.
        """
        assert isinstance(self.net, MLP)  # the CNN shows its filters instead
        W = self.net.W[0]  # (64, d_1)
        return np.ascontiguousarray(W[:, :MAX_UNIT_IMAGES].T, dtype=np.float32)


LAB = Digits
