"""The digits lab against independent oracles: hand-written softmax, finite
differences, the decay formula, and fixed-seed learning behaviour by step count."""

from __future__ import annotations

import math
from dataclasses import fields, replace
from functools import cache
from typing import Any, get_args, get_type_hints

import annotated_types as at
import numpy as np
import pytest

from engine.digits_split import TEST_SIZE
from engine.lab import Effect, OpError
from engine.labs import registry
from engine.labs.digits import (
    DETAIL_EVERY,
    PRESETS,
    Digits,
    DigitsParams,
    PredictArgs,
    predict,
)
from engine.nn import MLP


def make(**changes: Any) -> Digits:
    return Digits(DigitsParams(**changes))


def accuracy_after(lab: Digits, steps: int) -> float:
    lab.step(steps)
    return float(lab.frame()["metrics"]["accuracy"]["test"])


# -- bounds, read from the dataclasses' Annotated metadata ----------------------


def satisfies(value: Any, meta: tuple[Any, ...]) -> bool:
    """An independent reading of annotated_types bounds (NaN compares false)."""
    checks = {
        at.Ge: lambda m: value >= m.ge,
        at.Gt: lambda m: value > m.gt,
        at.Le: lambda m: value <= m.le,
        at.Lt: lambda m: value < m.lt,
        at.Len: lambda m: m.min_length <= len(value) <= (m.max_length or math.inf),
    }
    return all(checks[type(m)](m) for m in meta if type(m) in checks)


def valid(cls: type, name: str, value: Any) -> bool:
    """Field bounds, and for tuples each item's bounds too."""
    hint = get_type_hints(cls, include_extras=True)[name]
    base, *meta = get_args(hint)
    if not satisfies(value, tuple(meta)):
        return False
    item = get_args(base)[0] if get_args(base) else None
    item_meta = tuple(getattr(item, "__metadata__", ()))
    return all(satisfies(v, item_meta) for v in value) if item_meta else True


def test_predict_args_bounds() -> None:
    good = tuple([0.0] * 32 + [16.0] * 32)
    assert valid(PredictArgs, "pixels", good)
    assert not valid(PredictArgs, "pixels", good[:63])
    assert not valid(PredictArgs, "pixels", (*good, 0.0))
    assert not valid(PredictArgs, "pixels", (math.nan, *good[1:]))
    assert not valid(PredictArgs, "pixels", (16.5, *good[1:]))
    assert not valid(PredictArgs, "pixels", (-0.1, *good[1:]))


def test_param_bounds() -> None:
    assert valid(DigitsParams, "hidden", (256, 256, 256, 256))
    assert not valid(DigitsParams, "hidden", (257,))
    assert not valid(DigitsParams, "hidden", (8,) * 5)
    assert not valid(DigitsParams, "hidden", ())
    assert valid(DigitsParams, "dropout", 0.85) and not valid(DigitsParams, "dropout", 0.9)
    assert not valid(DigitsParams, "lr_decay", 0.98) and valid(DigitsParams, "lr_decay", 1.0)
    assert not valid(DigitsParams, "train_size", 1401)


def test_defaults_and_presets_are_within_bounds() -> None:
    for params in [DigitsParams(), *(DigitsParams(**p) for p in PRESETS.values())]:
        for f in fields(DigitsParams):
            assert valid(DigitsParams, f.name, getattr(params, f.name)), f.name


def test_registered_fourth() -> None:
    assert registry()["digits"] is Digits
    assert Digits.order == 4 and Digits.title == "Digits"


# -- data -------------------------------------------------------------------------


def test_data_message() -> None:
    lab = make(train_size=200, data_seed=3)
    (msg,) = lab.data_messages()
    assert msg["type"] == "data"
    assert msg["train"]["x"].shape == (200, 64) and msg["test"]["x"].shape == (TEST_SIZE, 64)
    for part in ("train", "test"):
        assert msg[part]["x"].dtype == np.uint8 and msg[part]["y"].dtype == np.uint8
        assert msg[part]["x"].max() <= 16 and msg[part]["y"].max() <= 9
    np.testing.assert_allclose(lab.X_train * 16, msg["train"]["x"])  # pixels scaled by 1/16
    gallery = msg["gallery"]
    assert len(gallery) == 40 and all(0 <= i < TEST_SIZE for i in gallery)


def test_split_reproducible_from_data_seed() -> None:
    a, b, c = make(data_seed=4), make(data_seed=4), make(data_seed=5)
    np.testing.assert_array_equal(a.raw_train, b.raw_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.raw_test, c.raw_test)


# -- the loss and its gradient ------------------------------------------------------


def test_objective_matches_a_hand_written_softmax() -> None:
    lab = make(l2=0.01)
    lab.step(30)
    assert isinstance(lab.net, MLP)
    W, b = lab.net.W[0], lab.net.b[0]
    X, y = lab.X_train[:20], lab.y_train[:20]
    Z = X @ W + b
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(P[np.arange(20), y])) + 0.005 * np.sum(W**2)
    assert lab.objective(X, y) == pytest.approx(expected, rel=1e-12)


def fd_gradient(lab: Digits, X: np.ndarray, y: np.ndarray, h: float = 1e-6) -> np.ndarray:
    theta, grad = lab.net.theta, np.zeros_like(lab.net.theta)
    for i in range(len(theta)):
        keep = theta[i]
        theta[i] = keep + h
        up = lab.objective(X, y)
        theta[i] = keep - h
        down = lab.objective(X, y)
        theta[i] = keep
        grad[i] = (up - down) / (2 * h)
    return grad


@pytest.mark.parametrize(
    "model", [{"model": "softmax"}, {"model": "mlp", "hidden": (4,), "activation": "relu"},
              {"model": "mlp", "hidden": (3, 3), "activation": "sigmoid"}],
)  # fmt: skip
def test_one_update_descends_the_full_loss_at_the_decayed_rate(model: dict[str, Any]) -> None:
    """End to end: θ_k − θ_{k+1} = lr·decay^k · ∇(CE + l2/2·ΣW²), gradient by differences.

    With a batch as large as the training set every update sees all 50 digits.
    """
    lab = make(train_size=50, batch_size=50, l2=0.03, lr=0.2, lr_decay=0.99, **model)
    lab.step(7)
    grad = fd_gradient(lab, lab.X_train, lab.y_train)
    before = lab.net.theta.copy()
    lab.step(1)
    rate = 0.2 * 0.99**7
    np.testing.assert_allclose((before - lab.net.theta) / rate, grad, atol=1e-6, rtol=1e-5)


# -- rate decay, live changes, resets ----------------------------------------------


def test_frame_reports_the_decayed_rate() -> None:
    lab = make(lr=0.5, lr_decay=0.995)
    assert lab.frame()["lr"] == 0.5
    lab.step(123)
    assert lab.frame()["lr"] == pytest.approx(0.5 * 0.995**123, rel=1e-14)


def test_live_changes_keep_training() -> None:
    lab = make(model="mlp", hidden=(16,))
    lab.step(20)
    theta = lab.net.theta.copy()
    for change in ({"lr": 0.05}, {"optimizer": "adam"}, {"batch_size": 7}, {"dropout": 0.3},
                   {"l2": 0.01}, {"lr_decay": 0.995}):  # fmt: skip
        assert lab.apply(replace(lab.params, **change)) is Effect.LIVE
        np.testing.assert_array_equal(lab.net.theta, theta)
        assert lab.steps == 20
    lab.step(1)
    assert lab.steps == 21 and not np.array_equal(lab.net.theta, theta)


def test_model_changes_reset_and_data_changes_regenerate() -> None:
    lab = make()
    lab.step(5)
    assert lab.apply(replace(lab.params, model="mlp")) is Effect.RESET and lab.steps == 0
    lab.step(5)
    assert lab.apply(replace(lab.params, train_size=300)) is Effect.DATA
    assert lab.steps == 0 and len(lab.y_train) == 300


def test_hidden_layers_do_not_restart_softmax_regression() -> None:
    lab = make()
    lab.step(5)
    change = replace(lab.params, hidden=(8, 8), activation="sigmoid")
    assert lab.apply(change) is Effect.LIVE and lab.steps == 5 and lab.params == change
    assert lab.apply(replace(lab.params, model="mlp")) is Effect.RESET
    assert lab.sizes == [64, 8, 8, 10]
    lab.step(5)
    assert lab.apply(replace(lab.params, hidden=(4,))) is Effect.RESET and lab.steps == 0


def test_reset_returns_to_the_same_start_and_run() -> None:
    lab = make(model="mlp", hidden=(32,), dropout=0.2, init_seed=9)
    start = lab.net.theta.copy()
    lab.step(40)
    after = lab.net.theta.copy()
    lab.reset()
    np.testing.assert_array_equal(lab.net.theta, start)
    lab.step(40)
    np.testing.assert_array_equal(lab.net.theta, after)
    other = make(model="mlp", hidden=(32,), dropout=0.2, init_seed=10)
    assert not np.array_equal(other.net.theta, start)


def test_every_batch_full_and_each_epoch_sees_every_sample_once() -> None:
    lab = make(train_size=50, batch_size=20)
    batches = [lab.next_batch() for _ in range(5)]  # 100 samples = 2 epochs
    assert all(len(b) == 20 for b in batches)
    assert np.bincount(np.concatenate(batches), minlength=50).tolist() == [2] * 50


def test_epoch_counts_samples() -> None:
    lab = make(train_size=200, batch_size=30)
    lab.step(10)
    assert lab.frame()["epoch"] == pytest.approx(300 / 200)


def test_divergence_stops_the_run() -> None:
    """Cross-entropy gradients are bounded, but weight decay with lr·l2 > 2 overshoots:
    W ← W − lr·(g + l2·W) multiplies W by 1 − lr·l2 = −9 each update."""
    lab = make(lr=10.0, l2=1.0)
    done = lab.step(2000)
    frame = lab.frame()
    assert lab.diverged and frame["diverged"] and done < 2000
    assert lab.step(5) == 0


# -- frames and the predict op ------------------------------------------------------


def test_detail_frames_on_a_fixed_cadence() -> None:
    lab = make()
    details = ["weights" in lab.frame() for _ in range(2 * DETAIL_EVERY + 1)]
    assert details == [True, *[False] * (DETAIL_EVERY - 1)] * 2 + [True]
    assert "weights" in lab.frame(detail=True) and "weights" not in lab.frame(detail=False)


def test_detail_contents_softmax() -> None:
    lab = make()
    lab.step(50)
    frame = lab.frame(detail=True)
    assert isinstance(lab.net, MLP)
    np.testing.assert_array_equal(frame["weights"], lab.net.W[0].T.astype(np.float32))
    conf = frame["confusion"]
    pred = (lab.X_test @ lab.net.W[0] + lab.net.b[0]).argmax(axis=1)
    assert conf.shape == (10, 10) and conf.sum() == TEST_SIZE
    assert conf[3].sum() == np.sum(lab.y_test == 3)  # rows are the true class
    assert conf[3, 5] == np.sum((lab.y_test == 3) & (pred == 5))
    assert np.trace(conf) / TEST_SIZE == pytest.approx(frame["metrics"]["accuracy"]["test"])
    assert frame["gallery"] == pred[lab.gallery].tolist()


@pytest.mark.parametrize(("hidden", "units"), [((100,), 32), ((12, 30), 12)])
def test_detail_weights_mlp_first_layer(hidden: tuple[int, ...], units: int) -> None:
    frame = make(model="mlp", hidden=hidden).frame(detail=True)
    assert frame["weights"].shape == (units, 64) and frame["weights"].dtype == np.float32


def test_ordinary_frame_fields() -> None:
    frame = make().frame(detail=False)
    assert set(frame) == {"type", "step", "epoch", "loss", "metrics", "diverged", "lr"}
    assert frame["loss"]["train"] == pytest.approx(math.log(10))  # zero weights: uniform


def test_predict_matches_the_model_without_dropout() -> None:
    lab = make(model="mlp", hidden=(20,), dropout=0.5)
    lab.step(100)
    pixels = tuple(float(v) for v in lab.raw_test[0])
    reply = predict(lab, PredictArgs(pixels))
    assert reply["type"] == "prediction" and len(reply["probs"]) == 10
    assert sum(reply["probs"]) == pytest.approx(1.0, abs=1e-12)
    assert reply["label"] == int(np.argmax(reply["probs"]))
    assert isinstance(lab.net, MLP)
    H = np.maximum(lab.X_test[:1] @ lab.net.W[0] + lab.net.b[0], 0)  # no dropout, no rescaling
    Z = (H @ lab.net.W[1] + lab.net.b[1])[0]
    np.testing.assert_allclose(reply["probs"], np.exp(Z) / np.exp(Z).sum(), rtol=1e-10)
    assert predict(lab, PredictArgs(pixels)) == reply  # deterministic: no dropout draw


def test_predict_rejects_bad_pixels_when_called_directly() -> None:
    lab = make()
    for bad in ((1.0,) * 63, (math.nan, *(1.0,) * 63), (17.0, *(1.0,) * 63)):
        with pytest.raises(OpError):
            predict(lab, PredictArgs(bad))
    assert Digits.ops["predict"] == (PredictArgs, predict)


# -- learning, by step count on fixed seeds ------------------------------------------


def test_softmax_passes_90_percent() -> None:
    assert accuracy_after(make(), 150) >= 0.90


def test_mlp_passes_95_percent() -> None:
    assert accuracy_after(make(model="mlp"), 400) >= 0.95


def test_relu_deep_learns_while_sigmoid_deep_is_stuck() -> None:
    relu = Digits(DigitsParams(**PRESETS["relu_deep"]))
    sigmoid = Digits(DigitsParams(**PRESETS["sigmoid_deep"]))
    assert accuracy_after(relu, 300) >= 0.90
    assert accuracy_after(sigmoid, 300) <= 0.40


def test_decay_calms_the_noisy_curves() -> None:
    def jitter(preset: str) -> float:
        lab = Digits(DigitsParams(**PRESETS[preset]))
        lab.step(1000)
        losses = []
        for _ in range(50):
            lab.step(10)
            losses.append(lab.evaluate().test_loss)
        return float(np.mean(np.abs(np.diff(losses))))

    assert jitter("decay") < jitter("lr_high") / 3


@cache
def curves(preset: str, steps: int = 3000, every: int = 50) -> np.ndarray:
    lab = Digits(DigitsParams(**PRESETS[preset]))
    rows = []
    for _ in range(steps // every):
        lab.step(every)
        ev = lab.evaluate()
        rows.append((ev.train_loss, ev.test_loss))
    return np.array(rows)  # (steps/every, 2)


def test_overfit_test_loss_turns_up_while_train_loss_falls() -> None:
    train, test = curves("overfit").T
    low = int(test.argmin())
    assert low < len(test) // 2
    assert test[-1] > test[low] + 0.05
    assert np.all(np.diff(train[low:]) < 0)  # train loss keeps falling
    assert train[-1] < train[low] / 10


def test_cure_keeps_the_test_loss_down() -> None:
    _, overfit = curves("overfit").T
    _, cured = curves("cure").T
    assert cured[-1] < overfit[-1] - 0.05
    assert cured[-1] < cured.min() + 0.03
