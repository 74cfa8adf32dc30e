"""The circles lab: learning, live changes vs resets, frames, ops, divergence."""

from __future__ import annotations

import copy
import json
import typing
from dataclasses import replace

import numpy as np
import pytest
from annotated_types import Le, Len

from engine.classifier import Grid, to_uint8
from engine.lab import Effect, OpError
from engine.labs import registry
from engine.labs.circles import (
    EXTENT,
    MAX_ADDED,
    MAX_LAYERS,
    MAX_WIDTH,
    PRESETS,
    WEIGHTS_EVERY,
    AddPointArgs,
    AddPointsArgs,
    Circles,
    CirclesParams,
    InspectArgs,
    NoArgs,
)


def lab(**changes: typing.Any) -> Circles:
    return Circles(replace(CirclesParams(), **changes))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


# -- the lesson ----------------------------------------------------------------


def test_registered_with_the_notes_network() -> None:
    assert registry()["circles"] is Circles
    c = lab()
    assert c.net.sizes == (2, 25, 50, 50, 25, 1)
    assert (c.params.activation, c.params.loss, c.params.dataset) == ("relu", "bce", "circles")


def test_default_net_reaches_97_percent_test_accuracy() -> None:
    c = lab()
    for _ in range(60):  # at most 600 updates; the defaults need about 100
        c.step(10)
        if c.frame()["metrics"]["accuracy"]["test"] >= 0.97:
            break
    assert c.frame()["metrics"]["accuracy"]["test"] >= 0.97


def test_logistic_regression_cannot_separate_circles_from_x1_x2() -> None:
    c = lab(hidden=())
    c.step(1000)
    frame = c.frame()
    assert frame["metrics"]["accuracy"]["test"] < 0.7
    assert frame["loss"]["train"] > 0.65  # ln 2 ≈ 0.693 is a coin flip


def test_logistic_regression_on_squares_solves_circles() -> None:
    c = lab(hidden=(), features=("x1^2", "x2^2"))
    c.step(1000)
    assert c.frame()["metrics"]["accuracy"]["test"] >= 0.95


# -- data ----------------------------------------------------------------------


def test_split_and_data_message() -> None:
    c = lab(n=300, test_ratio=0.2)
    data, _ = c.data_messages()
    assert data["type"] == "data"
    assert data["train"]["x"].shape == (240, 2) and data["train"]["x"].dtype == np.float32
    assert data["test"]["x"].shape == (60, 2) and data["test"]["y"].dtype == np.uint8
    r = np.hypot(*data["train"]["x"].T)
    np.testing.assert_array_equal(data["train"]["y"] == 1, r < 2.5)  # circles, no noise


def test_activation_curve_rides_with_the_data_and_follows_a_change() -> None:
    c = lab(activation="tanh")
    _, act = c.data_messages()
    assert act["type"] == "activation" and act["name"] == "tanh"
    z = np.linspace(-5, 5, 101)
    np.testing.assert_allclose(act["z"], z, atol=1e-6)
    np.testing.assert_allclose(act["f"], np.tanh(z), atol=1e-6)
    np.testing.assert_allclose(act["df"], 1 / np.cosh(z) ** 2, atol=1e-6)  # sech²
    assert c.take_messages() == []  # the opening sends it with the data, not twice
    c.reset()
    assert c.take_messages() == []
    c.apply(replace(c.params, activation="relu"))
    (posted,) = c.take_messages()
    assert posted["name"] == "relu"
    np.testing.assert_array_equal(posted["f"], np.maximum(z, 0).astype(np.float32))
    np.testing.assert_array_equal(posted["df"][[0, 100]], [0, 1])


def test_data_reproducible_from_the_seed() -> None:
    a, b, other = lab(data_seed=3), lab(data_seed=3), lab(data_seed=4)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_train, other.X_train)


def test_same_seeds_same_run() -> None:
    a, b = lab(dropout=0.3), lab(dropout=0.3)
    np.testing.assert_array_equal(a.net.theta, b.net.theta)
    a.step(30)
    b.step(30)
    np.testing.assert_array_equal(a.net.theta, b.net.theta)
    a.reset()
    a.step(30)
    np.testing.assert_array_equal(a.net.theta, b.net.theta)


# -- live changes and resets -----------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [{"lr": 0.001}, {"batch_size": 7}, {"l1": 0.01}, {"l2": 0.01}, {"dropout": 0.2},
     {"loss": "mse"}, {"optimizer": "sgd"}, {"resolution": 32}],
)  # fmt: skip
def test_live_changes_do_not_reset(change: dict[str, typing.Any]) -> None:
    c = lab()
    c.step(20)
    theta = c.net.theta.copy()
    assert c.apply(replace(c.params, **change)) is Effect.LIVE
    assert c.steps == 20
    np.testing.assert_array_equal(c.net.theta, theta)
    assert c.step(5) == 5 and c.steps == 25


def test_optimizer_switch_starts_fresh_state() -> None:
    c = lab(optimizer="momentum")
    c.step(10)
    old = c.opt
    c.apply(replace(c.params, optimizer="adam"))
    assert c.opt is not old and type(c.opt).__name__ == "Adam"
    assert c.opt.t == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "effect"),
    [({"hidden": (4,)}, Effect.RESET), ({"features": ("x1",)}, Effect.RESET),
     ({"activation": "tanh"}, Effect.RESET), ({"init_seed": 9}, Effect.RESET),
     ({"n": 100}, Effect.DATA), ({"noise": 0.1}, Effect.DATA), ({"dataset": "xor"}, Effect.DATA),
     ({"test_ratio": 0.3}, Effect.DATA), ({"data_seed": 2}, Effect.DATA)],
)  # fmt: skip
def test_shape_and_data_changes_reset(change: dict[str, typing.Any], effect: Effect) -> None:
    c = lab()
    c.step(5)
    assert c.apply(replace(c.params, **change)) is effect
    assert c.steps == 0 and c.frame()["step"] == 0
    assert c.net.sizes[0] == len(c.params.features)


# -- frames ----------------------------------------------------------------------


def test_frame_fields_and_epoch() -> None:
    c = lab(n=400, test_ratio=0.5, batch_size=10)
    first = c.frame()
    assert first["type"] == "frame" and first["step"] == 0 and first["diverged"] is False
    assert first["grad_norms"] == [None] * 5
    c.step(30)
    frame = c.frame()
    assert frame["step"] == 30 and frame["epoch"] == pytest.approx(30 * 10 / 200)
    assert set(frame["metrics"]["accuracy"]) == {"train", "test"}
    assert frame["boundary"]["extent"] == list(EXTENT)
    z = frame["boundary"]["z"]
    assert z.shape == (48, 48) and z.dtype == np.uint8


def test_grad_norms_are_those_of_the_last_update() -> None:
    c = lab(optimizer="sgd", lr=0.01)
    c.step(3)
    before = [W.copy() for W in c.net.W]
    c.step(1)
    moved = [np.linalg.norm(b - W) / 0.01 for b, W in zip(before, c.net.W, strict=True)]  # ‖η·dW‖/η
    np.testing.assert_allclose(c.frame()["grad_norms"], moved, rtol=1e-6)


def test_frame_loss_is_the_bce_of_the_predictions() -> None:
    c = lab()
    c.step(15)
    p = c.net.predict(c.F_test)[:, 0]
    y = c.y_test
    bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    frame = c.frame()
    assert frame["loss"]["test"] == pytest.approx(bce, rel=1e-9)
    assert frame["metrics"]["accuracy"]["test"] == pytest.approx(np.mean((p > 0.5) == (y == 1)))


def test_boundary_orientation_and_values() -> None:
    c = lab(hidden=(), resolution=8)
    c.net.theta[...] = 0.0
    c.net.params["W1"][1, 0] = 1.0  # P(class 1) = σ(x2): rises with y
    z = c.frame()["boundary"]["z"]
    centres = -6 + 1.5 * (np.arange(8) + 0.5)  # cell centres of 8 cells over [−6, 6]
    expected = np.round(255 * sigmoid(centres))
    np.testing.assert_array_equal(z[:, 3], expected)  # row 0 at ymin
    assert np.all(z == z[:, :1])  # no change along x


def fresh_boundary(c: Circles) -> np.ndarray:
    """The boundary computed the plain way, from scratch, at the lab's current step."""
    grid = Grid(EXTENT, c.params.resolution)
    with np.errstate(all="ignore"):
        P = c.net.predict(grid.features(c.params.features))  # (res², 1)
    return to_uint8(P.reshape(grid.res, grid.res))


def play(c: Circles, frames: int, images: dict[int, np.ndarray]) -> tuple[list[bool], list[bool]]:
    """Frames as a playing session makes them; which carried a boundary, which a new one.

    Every boundary sent is checked: a new one against a fresh computation, an
    earlier one sent again against what it was when computed (``images``, by step).
    """
    carried, computed = [], []
    for _ in range(frames):
        c.step(2)
        keyframe = c.frames % WEIGHTS_EVERY == 0
        frame = c.frame()
        b = frame.get("boundary")
        carried.append(b is not None)
        computed.append(b is not None and b["step"] == frame["step"])
        if b is None:
            assert not keyframe  # the frames with weights always carry it
        elif computed[-1]:
            np.testing.assert_array_equal(b["z"], fresh_boundary(c))
            images[b["step"]] = b["z"]
        else:  # the frame after a new one, or a keyframe
            np.testing.assert_array_equal(b["z"], images[b["step"]])
    return carried, computed


def test_boundaries_sent_while_playing_are_exact_and_rare_once_trained() -> None:
    c, images = lab(), dict[int, np.ndarray]()
    carried, computed = play(c, 300, images)  # the first 10 s
    assert all(carried[:20]) and sum(computed[:20]) == 10  # learning fast: every other frame
    c.step(5000)
    carried, computed = play(c, 300, images)  # after 90 s: the net barely moves
    assert sum(computed) < 0.1 * 300 and sum(carried) < 0.3 * 300


def drain(c: Circles) -> None:
    """Frames without training until one leaves the boundary out."""
    for _ in range(2 * WEIGHTS_EVERY):
        if "boundary" not in c.frame():
            return
    raise AssertionError("every frame carried a boundary")


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.restart(),
        lambda c: c.apply(replace(c.params, init_seed=5)),  # a new model
        lambda c: c.apply(replace(c.params, noise=0.1)),  # new data
        lambda c: c.apply(replace(c.params, lr=0.003)),  # a live change
        lambda c: c.apply(replace(c.params, resolution=24)),
        lambda c: call(c, "add_point", AddPointArgs(x1=1.0, x2=-2.0, label=1)),
        lambda c: call(c, "clear_points", NoArgs()),
    ],
    ids=["reset", "model", "data", "live", "resolution", "add_point", "clear_points"],
)
def test_the_first_frame_after_a_change_carries_a_fresh_boundary(
    change: typing.Callable[[Circles], object],
) -> None:
    c = lab(hidden=(8, 8))
    assert c.frame()["boundary"]["step"] == 0  # the very first frame too
    c.step(50)
    drain(c)
    change(c)
    frame = c.frame()
    assert frame["boundary"]["step"] == frame["step"] == c.steps
    np.testing.assert_array_equal(frame["boundary"]["z"], fresh_boundary(c))


def test_the_boundary_op_answers_with_this_steps_boundary() -> None:
    c = lab()
    c.step(600)
    c.frame()
    drain(c)
    c.step(1)  # a step while paused: trained, the net barely moves
    assert "boundary" not in c.frame()
    reply = call(c, "boundary", NoArgs())
    assert reply["type"] == "boundary" and reply["step"] == c.steps
    assert reply["extent"] == list(EXTENT)
    np.testing.assert_array_equal(reply["z"], fresh_boundary(c))


def test_weights_ride_along_every_few_frames() -> None:
    c = lab()
    has = ["weights" in c.frame() for _ in range(2 * WEIGHTS_EVERY + 1)]
    assert has == [k % WEIGHTS_EVERY == 0 for k in range(2 * WEIGHTS_EVERY + 1)]
    c.reset()
    weights = c.frame()["weights"]
    assert [w.shape for w in weights["W"]] == [(2, 25), (25, 50), (50, 50), (50, 25), (25, 1)]
    assert weights["W"][0].dtype == np.float32 and len(weights["b"]) == 5


def packed_size(message: typing.Any) -> int:
    """Bytes of the JSON the app sends; arrays as base64 (4/3 of their bytes) with a header."""

    def pack(value: typing.Any) -> typing.Any:
        if isinstance(value, np.ndarray):
            return {"dtype": str(value.dtype), "shape": list(value.shape),
                    "b64": "A" * (4 * -(-value.nbytes // 3))}  # fmt: skip
        if isinstance(value, dict):
            return {k: pack(v) for k, v in value.items()}
        if isinstance(value, list):
            return [pack(v) for v in value]
        return value

    return len(json.dumps(pack(message)))


def test_default_frame_stays_small() -> None:
    c = lab()
    c.frame()  # the first frame carries the weights
    c.step(10)
    assert packed_size(c.frame()) <= 6 * 1024


# -- ops -------------------------------------------------------------------------


def test_ops_declared() -> None:
    assert {name: args for name, (args, _) in Circles.ops.items()} == {
        "inspect": InspectArgs, "weights": NoArgs, "boundary": NoArgs,
        "add_point": AddPointArgs, "add_points": AddPointsArgs, "clear_points": NoArgs,
    }  # fmt: skip


def call(c: Circles, op: str, args: typing.Any) -> dict[str, typing.Any]:
    return Circles.ops[op][1](c, args)


def test_inspect_an_input_feature() -> None:
    c = lab(features=("x1", "x2^2"), resolution=16)
    reply = call(c, "inspect", InspectArgs(layer=0, unit=0))
    assert reply["type"] == "inspect" and (reply["layer"], reply["unit"]) == (0, 0)
    assert reply["extent"] == list(EXTENT)
    half = 6 - 12 / 32  # the outermost cell centres
    np.testing.assert_allclose(reply["range"], [-half, half], rtol=1e-6)
    z = reply["z"]
    assert z.shape == (16, 16) and z[0, 0] == 0 and z[0, -1] == 255
    assert np.all(np.diff(z[5].astype(int)) > 0) and np.all(z == z[:1])


def test_inspect_a_hidden_unit() -> None:
    c = lab(hidden=(3, 4), resolution=8)
    c.step(20)
    reply = call(c, "inspect", InspectArgs(layer=2, unit=3))
    centres = -6 + 1.5 * (np.arange(8) + 0.5)
    gx, gy = np.meshgrid(centres, centres)
    X = np.stack([gx.ravel(), gy.ravel()], axis=1)
    h1 = np.maximum(X @ c.net.W[0] + c.net.b[0], 0)
    a = np.maximum(h1 @ c.net.W[1] + c.net.b[1], 0)[:, 3]
    np.testing.assert_allclose(reply["range"], [a.min(), a.max()], rtol=1e-5, atol=1e-6)
    span = max(a.max() - a.min(), 1e-12)
    expected = np.round((a - a.min()) / span * 255).reshape(8, 8)
    assert np.abs(reply["z"].astype(int) - expected).max() <= 1  # float32 rounding


@pytest.mark.parametrize(
    ("layer", "unit", "field"), [(4, 0, "layer"), (1, 3, "unit"), (3, 1, "unit")]
)
def test_inspect_missing_units(layer: int, unit: int, field: str) -> None:
    c = lab(hidden=(3, 4))  # layers: 0 (2 inputs), 1 (3), 2 (4), 3 (the output)
    with pytest.raises(OpError) as err:
        call(c, "inspect", InspectArgs(layer=layer, unit=unit))
    assert err.value.code == "invalid_params" and err.value.field == field


def test_inspect_the_output_is_the_boundary() -> None:
    c = lab(hidden=(5,))
    c.step(10)
    reply = call(c, "inspect", InspectArgs(layer=2, unit=0))
    p = c.net.predict(Grid(EXTENT, 48).features(c.params.features))[:, 0]
    np.testing.assert_allclose(reply["range"], [p.min(), p.max()], rtol=1e-6)


def test_add_point_survives_live_changes_and_resets() -> None:
    c = lab(n=100, test_ratio=0.5)
    c.step(5)
    reply = call(c, "add_point", AddPointArgs(x1=0.5, x2=-1.0, label=0))
    assert reply == {"type": "points", "added": 1}
    (data,) = c.take_messages()
    assert data["type"] == "data" and data["added"] == 1
    assert data["train"]["x"].shape == (51, 2)
    np.testing.assert_array_equal(data["train"]["x"][-1], [0.5, -1.0])
    assert data["train"]["y"][-1] == 0
    assert c.steps == 5  # training goes on, now over the point too
    assert len(c.F_train) == 51 and len(c.batches.Fs) == 51
    c.apply(replace(c.params, lr=0.002))
    c.apply(replace(c.params, hidden=(3,)))
    assert len(c.X_train) == 51 and len(c.F_train) == 51
    c.step(60)  # 51 points in batches of 10, 10, 10, 10, 10, 1: ten epochs
    assert c.frame()["epoch"] == pytest.approx(10.0)
    c.apply(replace(c.params, noise=0.1))
    assert len(c.X_train) == 50 and c.data_messages()[0]["added"] == 0


def test_clear_points_and_the_cap() -> None:
    c = lab(n=100)
    for k in range(MAX_ADDED):
        call(c, "add_point", AddPointArgs(x1=0.0, x2=k / 100, label=1))
    with pytest.raises(OpError) as err:
        call(c, "add_point", AddPointArgs(x1=1.0, x2=1.0, label=1))
    assert err.value.code == "invalid_params"
    assert len(c.X_train) == 50 + MAX_ADDED
    c.take_messages()
    assert call(c, "clear_points", NoArgs()) == {"type": "points", "added": 0}
    assert len(c.X_train) == 50 and c.take_messages()[0]["train"]["x"].shape == (50, 2)


def test_weights_op() -> None:
    c = lab(hidden=(3,))
    c.step(2)
    reply = call(c, "weights", NoArgs())
    assert reply["type"] == "weights" and reply["step"] == 2
    np.testing.assert_allclose(reply["W"][0], c.net.W[0], rtol=1e-6)


# -- divergence and limits -------------------------------------------------------


def test_divergence_stops_stepping_until_reset() -> None:
    c = lab()
    c.step(3)
    c.net.params["W2"][0, 0] = np.inf
    assert c.step(10) == 1 and c.diverged
    assert c.step(10) == 0
    frame = c.frame()
    assert frame["diverged"] is True and frame["loss"]["train"] is None
    assert frame["boundary"]["z"].dtype == np.uint8
    c.reset()
    assert not c.diverged and c.step(2) == 2


def test_huge_learning_rate_diverges_without_crashing() -> None:
    c = lab(optimizer="sgd", lr=10.0, hidden=(64,) * 6)
    assert c.step(300) < 300
    frame = c.frame()
    assert frame["diverged"] is True and frame["loss"] == {"train": None, "test": None}
    assert c.step(1) == 0 and frame["step"] == c.steps


def test_bounds_metadata() -> None:
    hints = typing.get_type_hints(CirclesParams, include_extras=True)
    hidden_meta = hints["hidden"].__metadata__
    assert Len(0, MAX_LAYERS) in hidden_meta
    (width,) = typing.get_args(typing.get_args(hints["hidden"])[0])[:1]
    assert Le(MAX_WIDTH) in typing.get_args(width)[1:]


def test_duplicate_features_rejected() -> None:
    with pytest.raises(ValueError, match="features"):
        CirclesParams(features=("x1", "x1"))


def test_a_deep_copy_trains_on_independently() -> None:
    c = lab(dropout=0.2)
    c.step(7)
    twin = copy.deepcopy(c)
    c.step(11)
    twin.step(11)
    np.testing.assert_array_equal(c.net.theta, twin.net.theta)
    twin.net.theta[0] += 1.0
    assert twin.net.params["W1"][0, 0] != c.net.params["W1"][0, 0]


# -- the lessons' presets ------------------------------------------------------------


def preset(name: str) -> Circles:
    p = {k: tuple(v) if isinstance(v, list) else v for k, v in PRESETS[name].items()}
    del p["speed"]  # a session param, not the lab's
    return Circles(CirclesParams(**p))


def test_presets_are_complete_and_the_notes_are_the_defaults() -> None:
    fields = set(CirclesParams.__dataclass_fields__) - {"data_seed", "init_seed", "resolution"}
    for name in PRESETS:
        assert set(PRESETS[name]) == fields | {"speed"}, name
        preset(name)  # valid
    assert preset("notes").params == CirclesParams()


def test_a_line_cannot_but_squares_can() -> None:
    linear, squares = preset("linear"), preset("squares")
    linear.step(300)
    squares.step(300)
    assert linear.frame()["metrics"]["accuracy"]["test"] < 0.75
    assert squares.frame()["metrics"]["accuracy"]["test"] >= 0.97


def test_sigmoid_gradients_vanish_where_relu_learns() -> None:
    sig, relu = preset("vanishing"), preset("relu_deep")
    sig.step(300)
    relu.step(1000)
    g = sig.net.grad_norms()
    assert g[0] < 1e-2 * g[-1]  # the first layer learns a hundred times slower, or worse
    assert sig.frame()["metrics"]["accuracy"]["test"] < 0.6
    assert relu.frame()["metrics"]["accuracy"]["test"] > 0.9


def test_overfit_preset_overfits() -> None:
    c = preset("overfit")
    c.step(200)
    early = c.frame()["loss"]
    c.step(1800)
    late = c.frame()["loss"]
    assert late["train"] < 0.5 * early["train"] and late["test"] > 2 * early["test"]


def test_activation_curve_is_sent_once_when_data_and_activation_change_together() -> None:
    lab = Circles(CirclesParams())
    assert lab.apply(replace(lab.params, activation="tanh", n=300)) is Effect.DATA
    assert lab.take_messages() == []  # the data messages carry the new curve
    assert [m["type"] for m in lab.data_messages()] == ["data", "activation"]
    assert lab.apply(replace(lab.params, activation="relu")) is Effect.RESET
    assert [m["name"] for m in lab.take_messages()] == ["relu"]
