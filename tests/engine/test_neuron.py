"""The learning-slowdown lab against SEEDS.md section 3, closed forms and finite differences."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from engine.activations import sigmoid
from engine.lab import Effect
from engine.labs import registry
from engine.labs.neuron import (
    COSTS,
    PRESETS,
    Neuron,
    NeuronParams,
    cross_entropy_cost,
    cross_entropy_delta,
    sigmoid_prime,
)

EPOCHS = (0, 50, 100, 150, 200, 300)
# SEEDS.md section 3: a at each epoch, η = 0.15, x = 1, y = 0 (typed in from the table).
TABLE = {
    ("gentle", "quadratic"): (0.818, 0.387, 0.211, 0.153, 0.124, 0.094),
    ("gentle", "cross_entropy"): (0.818, 0.079, 0.037, 0.024, 0.018, 0.012),
    ("saturated", "quadratic"): (0.982, 0.976, 0.964, 0.933, 0.789, 0.203),
    ("saturated", "cross_entropy"): (0.982, 0.099, 0.041, 0.026, 0.019, 0.012),
}
STARTS = {"gentle": (0.6, 0.9), "saturated": (2.0, 2.0)}


def naive_sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def lab(**overrides: Any) -> Neuron:
    return Neuron(NeuronParams(**overrides))


def run_state(neuron: Neuron, cost: str) -> dict[str, Any]:
    state: dict[str, Any] = neuron.frame()["runs"][cost]
    return state


# -- the reference table ---------------------------------------------------------


@pytest.mark.parametrize("start", ["gentle", "saturated"])
def test_presets_are_the_tables_starts(start: str) -> None:
    w0, b0 = STARTS[start]
    assert PRESETS[start] == {"w0": w0, "b0": b0, "race": [], "race_cost": [], "race_lr": []}


@pytest.mark.parametrize("start", ["gentle", "saturated"])
def test_both_runs_reproduce_the_seeds_table(start: str) -> None:
    w0, b0 = STARTS[start]
    neuron = lab(x=1.0, y=0.0, lr=0.15, w0=w0, b0=b0, costs="both")
    done = 0
    for i, epoch in enumerate(EPOCHS):
        neuron.step(epoch - done)
        done = epoch
        frame = neuron.frame()
        assert frame["step"] == epoch and frame["epoch"] == epoch
        for cost in ("quadratic", "cross_entropy"):
            # The table prints 3 decimals: agreeing to half a unit is the tightest fair test.
            assert frame["runs"][cost]["a"] == pytest.approx(TABLE[start, cost][i], abs=5e-4)


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
def test_one_cost_alone_matches_the_table_at_300(cost: str) -> None:
    neuron = lab(w0=2.0, b0=2.0, costs=cost)
    neuron.step(300)
    frame = neuron.frame()
    assert set(frame["runs"]) == {cost}
    assert frame["runs"][cost]["a"] == pytest.approx(TABLE["saturated", cost][-1], abs=5e-4)
    assert frame["loss"]["train"] == frame["runs"][cost]["cost"]


def test_headline_loss_is_cross_entropy_when_both_run() -> None:
    neuron = lab()
    neuron.step(7)
    frame = neuron.frame()
    a = frame["runs"]["cross_entropy"]["a"]
    assert frame["loss"] == {"train": pytest.approx(-math.log(1 - a), rel=1e-12), "test": None}


# -- the math: values against the textbook forms, gradients against differences --

MODERATE = [(0.6, 0.9, 1.0, 0.0), (-1.2, 0.4, 2.0, 1.0), (0.3, -0.2, -1.5, 0.35)]
SATURATED = [
    (2.0, 2.0, 1.0, 0.0),
    (5.0, 5.0, 1.0, 0.0),
    (-4.0, -3.0, 1.0, 1.0),
    (3.0, 1.0, -3.0, 0.0),
]


@pytest.mark.parametrize(("w", "b", "x", "y"), MODERATE)
def test_frame_values_match_the_textbook_formulas(w: float, b: float, x: float, y: float) -> None:
    neuron = lab(w0=w, b0=b, x=x, y=y)
    z = w * x + b
    a = naive_sigmoid(z)
    quad, ce = run_state(neuron, "quadratic"), run_state(neuron, "cross_entropy")
    for state in (quad, ce):
        assert state["z"] == pytest.approx(z, rel=1e-12)
        assert state["a"] == pytest.approx(a, rel=1e-12)
        assert state["sigma_prime"] == pytest.approx(a * (1 - a), rel=1e-12)
    assert quad["cost"] == pytest.approx((a - y) ** 2 / 2, rel=1e-12)
    assert ce["cost"] == pytest.approx(-(y * math.log(a) + (1 - y) * math.log(1 - a)), rel=1e-12)


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
@pytest.mark.parametrize(("w", "b", "x", "y"), MODERATE + SATURATED)
def test_gradients_match_finite_differences(
    cost: str, w: float, b: float, x: float, y: float
) -> None:
    value = COSTS[cost].value
    h = 1e-5
    dw = (value((w + h) * x + b, y) - value((w - h) * x + b, y)) / (2 * h)
    db = (value(w * x + b + h, y) - value(w * x + b - h, y)) / (2 * h)
    grad = run_state(lab(w0=w, b0=b, x=x, y=y), cost)["grad"]
    assert grad["w"] == pytest.approx(float(dw), rel=1e-6, abs=1e-11)
    assert grad["b"] == pytest.approx(float(db), rel=1e-6, abs=1e-11)


def test_quadratic_gradient_vanishes_when_saturated_and_cross_entropy_does_not() -> None:
    quad = run_state(lab(w0=5.0, b0=5.0), "quadratic")["grad"]["w"]
    ce = run_state(lab(w0=5.0, b0=5.0), "cross_entropy")["grad"]["w"]
    assert quad < 1e-4 < 0.99 < ce  # σ′(10) ≈ 4.5e-5; a − y ≈ 1


@pytest.mark.parametrize(("z", "y", "expected"), [
    (40.0, 0.0, 40.0 + math.exp(-40.0)),  # ln(1 + e^40) = 40 + ln(1 + e^−40)
    (-40.0, 0.0, math.exp(-40.0)),  # ln(1 + e^−40) ≈ e^−40, error ~e^−80
    (-40.0, 1.0, 40.0 + math.exp(-40.0)),
    (40.0, 1.0, math.exp(-40.0)),
])  # fmt: skip
def test_cross_entropy_is_stable_when_saturated(z: float, y: float, expected: float) -> None:
    with np.errstate(all="raise"):  # no overflow, no log(0), no 0/0 on the way
        c = float(cross_entropy_cost(z, y))
        delta = float(cross_entropy_delta(z, y))
        sp = float(sigmoid_prime(z))
    assert c == pytest.approx(expected, rel=1e-12)
    assert delta == pytest.approx((1.0 if z > 0 else 0.0) - y, abs=1e-15)
    assert sp == pytest.approx(math.exp(-40.0), rel=1e-12)


def test_sigmoid_does_not_overflow_far_out() -> None:
    with np.errstate(all="raise", under="ignore"):  # e^−800 underflowing to 0 is right
        values = sigmoid(np.array([-800.0, -40.0, 0.0, 40.0, 800.0]))
    assert values == pytest.approx([0.0, math.exp(-40.0), 0.5, 1.0, 1.0], rel=1e-12, abs=0.0)


# -- live changes, reset, which costs run -----------------------------------------


def test_live_learning_rate_change_continues_the_run() -> None:
    neuron = lab()
    neuron.step(10)
    before = run_state(neuron, "cross_entropy")
    assert neuron.apply(replace(neuron.params, lr=0.5)) is Effect.LIVE
    assert neuron.frame()["step"] == 10
    neuron.step(1)
    after = run_state(neuron, "cross_entropy")
    delta = naive_sigmoid(before["w"] + before["b"]) - 0.0  # ∂C/∂z = a − y, x = 1
    assert after["w"] == pytest.approx(before["w"] - 0.5 * delta, rel=1e-12)
    assert after["b"] == pytest.approx(before["b"] - 0.5 * delta, rel=1e-12)
    assert neuron.frame()["step"] == 11


def test_reset_returns_to_the_start() -> None:
    neuron = lab(w0=2.0, b0=2.0)
    neuron.step(37)
    neuron.reset()
    frame = neuron.frame()
    assert frame["step"] == 0 and frame["epoch"] == 0
    for state in frame["runs"].values():
        assert (state["w"], state["b"]) == (2.0, 2.0)
        assert state["a"] == pytest.approx(naive_sigmoid(4.0), rel=1e-12)
        assert state["path"] == {"w": [2.0], "b": [2.0]}


def test_start_and_costs_changes_reset() -> None:
    neuron = lab()
    neuron.step(5)
    assert neuron.apply(replace(neuron.params, w0=2.0, b0=2.0)) is Effect.RESET
    assert run_state(neuron, "quadratic")["w"] == 2.0
    neuron.step(5)
    assert neuron.apply(replace(neuron.params, costs="quadratic")) is Effect.RESET
    frame = neuron.frame()
    assert frame["step"] == 0 and set(frame["runs"]) == {"quadratic"}


def test_changing_the_sample_resends_data_and_surfaces() -> None:
    neuron = lab()
    neuron.step(5)
    assert neuron.apply(replace(neuron.params, x=2.0, y=1.0)) is Effect.DATA
    assert neuron.frame()["step"] == 0
    data, *surfaces = neuron.data_messages()
    assert data == {"type": "data", "train": {"x": [2.0], "y": [1.0]}, "test": {"x": [], "y": []}}
    quad = next(s for s in surfaces if s["cost_name"] == "quadratic")
    i, j = 7, 50  # any grid point: the cost there is the formula's at z = w·2 + b
    z = quad["w"][j] * 2.0 + quad["b"][i]
    assert quad["cost"][i, j] == pytest.approx((naive_sigmoid(z) - 1.0) ** 2 / 2, rel=1e-6)


# -- what the page draws ---------------------------------------------------------


def test_surfaces_cover_both_starts_and_show_the_plateau() -> None:
    data, *surfaces = lab().data_messages()
    assert data["train"] == {"x": [1.0], "y": [0.0]}
    assert sorted(s["cost_name"] for s in surfaces) == ["cross_entropy", "quadratic"]
    for s in surfaces:
        assert s["type"] == "surface" and s["w"].dtype == np.float64
        assert s["cost"].dtype == np.float32 and s["cost"].shape == (len(s["b"]), len(s["w"]))
        for w, b in STARTS.values():
            assert s["w"][0] <= w <= s["w"][-1] and s["b"][0] <= b <= s["b"][-1]
        z = s["w"][None, :] + s["b"][:, None]
        naive = 1 / (1 + np.exp(-z))
        expected = naive**2 / 2 if s["cost_name"] == "quadratic" else -np.log1p(-naive)
        np.testing.assert_allclose(s["cost"], expected, rtol=1e-5)
    quad = next(s for s in surfaces if s["cost_name"] == "quadratic")
    assert quad["cost"].max() > 0.49  # the flat top where a ≈ 1 is in view


@pytest.mark.parametrize("start", ["gentle", "saturated"])
def test_notes_run_stays_on_the_surface(start: str) -> None:
    neuron = lab(**PRESETS[start])
    neuron.take_messages()
    neuron.step(300)
    assert neuron.take_messages() == []


def test_a_run_leaving_the_window_gets_wider_surfaces() -> None:
    neuron = lab(lr=5.0, costs="cross_entropy")
    neuron.step(100)
    posted = neuron.take_messages()
    assert [m["cost_name"] for m in posted] == ["quadratic", "cross_entropy"]
    state = run_state(neuron, "cross_entropy")
    assert posted[0]["w"][0] <= state["w"] and posted[0]["b"][0] <= state["b"]


def test_path_holds_every_point_since_the_last_frame_thinned() -> None:
    neuron = lab()
    neuron.frame()
    neuron.step(3)
    path = run_state(neuron, "quadratic")["path"]
    assert len(path["w"]) == 4  # the last frame's point and three updates
    neuron.step(1000)
    state = run_state(neuron, "quadratic")
    assert 2 <= len(state["path"]["w"]) <= 64
    assert (state["path"]["w"][-1], state["path"]["b"][-1]) == (state["w"], state["b"])
    assert run_state(neuron, "quadratic")["path"]["w"] == [state["w"]]


def test_registered_third_in_the_lessons_order() -> None:
    labs = list(registry())
    known = [lab for lab in labs if lab in ("beans", "circles", "neuron", "digits")]
    assert "neuron" in known and registry()["neuron"] is Neuron
    # PROTOCOL.md's order of the labs, whichever of the others exist yet
    assert known == [lab for lab in ("beans", "circles", "neuron", "digits") if lab in known]
