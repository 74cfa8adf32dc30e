"""The neuron lab's race (issue 15): costs and optimizers from the saturated start.

The oracles are independent of the lab: each optimizer's recurrence and each cost's
∂C/∂z typed in again here with ``math`` (σ(z) = 1/(1 + e^−z)); a race against each of
its racers run alone, one epoch at a time, with the finish line measured here; and a
plain run, which must be today's run exactly (SEEDS.md §3 is in test_neuron.py).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from engine.lab import Effect
from engine.labs.neuron import PRESETS, Neuron, NeuronParams
from engine.rewind import Timeline
from tests.engine.test_rewind import drive, state

OPTIMIZERS = ["gd", "momentum", "nesterov", "rmsprop", "adam"]
COSTS = ["quadratic", "cross_entropy"]
SATURATED = {"w0": 2.0, "b0": 2.0}


def make(**kw: Any) -> Neuron:
    return Neuron(dataclasses.replace(NeuronParams(), **kw))


def by_hand(name: str, cost: str, x: float, y: float, lr: float, w: float, b: float,
            steps: int) -> list[tuple[float, float]]:  # fmt: skip
    """(w, b) after each epoch, the optimizer's recurrence written out per coordinate."""
    v, m, s = [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]
    theta = [w, b]
    out = []
    for t in range(1, steps + 1):
        z = theta[0] * x + theta[1]
        a = 1 / (1 + math.exp(-z))
        dz = (a - y) * a * (1 - a) if cost == "quadratic" else a - y
        for i, g in enumerate((dz * x, dz)):
            if name == "gd":
                theta[i] -= lr * g
            elif name in ("momentum", "nesterov"):
                v[i] = 0.9 * v[i] + g
                theta[i] -= lr * (v[i] if name == "momentum" else g + 0.9 * v[i])
            elif name == "rmsprop":
                s[i] = 0.9 * s[i] + 0.1 * g * g
                theta[i] -= lr * g / (math.sqrt(s[i]) + 1e-8)
            else:
                m[i] = 0.9 * m[i] + 0.1 * g
                s[i] = 0.999 * s[i] + 0.001 * g * g
                m_hat, s_hat = m[i] / (1 - 0.9**t), s[i] / (1 - 0.999**t)
                theta[i] -= lr * m_hat / (math.sqrt(s_hat) + 1e-8)
        out.append((theta[0], theta[1]))
    return out


@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize(("x", "y", "lr"), [(1.0, 0.0, 0.15), (-2.5, 0.7, 0.05)])
def test_each_optimizer_is_its_recurrence_on_the_neuron(
    name: str, cost: str, x: float, y: float, lr: float
) -> None:
    lab = make(x=x, y=y, lr=lr, race=(name,), race_cost=(cost,), **SATURATED)
    expected = by_hand(name, cost, x, y, lr, 2.0, 2.0, 80)
    for k in range(80):
        lab.step(1)
        r = lab.racers[0]
        assert r.w == pytest.approx(expected[k][0], rel=1e-12, abs=1e-12), f"epoch {k + 1}"
        assert r.b == pytest.approx(expected[k][1], rel=1e-12, abs=1e-12), f"epoch {k + 1}"
    entry = lab.frame()["race"][0]
    assert (entry["optimizer"], entry["cost_name"], entry["lr"]) == (name, cost, None)


def alone_steps_to(cost: str, name: str, lr: float, eps: float, limit: int) -> int | None:
    """Epochs until |a − y| ≤ ε for one racer alone, stepped one epoch at a time."""
    lab = make(race=(name,), race_cost=(cost,), race_lr=(lr,), race_eps=0.5, **SATURATED)
    for k in range(1, limit + 1):
        lab.step(1)
        z = lab.racers[0].w * 1.0 + lab.racers[0].b
        if abs(1 / (1 + math.exp(-z))) <= eps:  # y = 0
            return k
    return None


def test_a_race_from_the_saturated_start_finishes_as_each_racer_alone() -> None:
    racers = [("quadratic", "gd", 0.15), ("cross_entropy", "gd", 0.15),
              ("quadratic", "adam", 0.15), ("quadratic", "momentum", 0.15),
              ("cross_entropy", "rmsprop", 0.05)]  # fmt: skip
    costs, names, rates = (tuple(col) for col in zip(*racers, strict=True))
    lab = make(race=names, race_cost=costs, race_lr=rates, race_eps=0.05, **SATURATED)
    lab.step(400)
    frame = lab.frame()
    alone = [alone_steps_to(c, n, lr, 0.05, 400) for c, n, lr in racers]
    assert [r["finish"] for r in frame["race"]] == alone
    assert alone[0] is None  # plain descent on the quadratic cost is still on its plateau
    best = min(k for k in alone if k is not None)
    winners = [i for i, k in enumerate(alone) if k == best]
    assert frame["finish"] == {"eps": 0.05, "step": best, "winners": winners}


def test_the_race_preset_is_won_by_adam_on_the_quadratic_cost() -> None:
    preset = {k: tuple(v) if isinstance(v, list) else v for k, v in PRESETS["race"].items()}
    lab = make(**preset)
    lab.step(300)
    frame = lab.frame()
    assert frame["runs"] == {} and len(frame["race"]) == 3
    assert frame["finish"]["winners"] == [2]
    assert [r["finish"] for r in frame["race"]] == [None, 85, 25]
    assert frame["loss"]["train"] == frame["race"][0]["cost"]  # the headline is racer 0's


def test_racers_past_the_lists_use_the_quadratic_cost_and_the_live_rate() -> None:
    lab = make(race=("gd", "gd", "adam"), race_cost=("cross_entropy",), race_lr=(0.5,))
    assert [(r.cost_name, r.lr) for r in lab.racers] == [
        ("cross_entropy", 0.5), ("quadratic", None), ("quadratic", None)]  # fmt: skip
    lab.step(5)
    assert lab.apply(dataclasses.replace(lab.params, lr=1.0)) is Effect.LIVE
    lab.step(5)
    plain = make(costs="quadratic")  # racer 1 is the plain quadratic run, with its lr change
    plain.step(5)
    plain.apply(dataclasses.replace(plain.params, lr=1.0))
    plain.step(5)
    assert lab.frame()["race"][1]["w"] == plain.frame()["runs"]["quadratic"]["w"]


def test_a_plain_run_is_unchanged_and_has_no_race() -> None:
    lab = make(**SATURATED)
    lab.step(300)
    frame = lab.frame()
    assert frame["race"] is None and set(frame["runs"]) == set(COSTS)
    # the notes' 300 epochs from (2, 2): a = 0.012 with cross-entropy (within 0.05 at 85)
    assert round(frame["runs"]["cross_entropy"]["a"], 3) == 0.012
    assert frame["finish"] == {"eps": 0.05, "winners": [1], "step": 85}


def test_race_params_restart_and_a_start_on_the_line_finishes_at_zero() -> None:
    lab = make(**SATURATED)
    lab.step(10)
    assert lab.apply(dataclasses.replace(lab.params, race=("gd", "adam"))) is Effect.RESET
    assert lab.steps == 0 and lab.racing
    near = make(w0=-3.0, b0=-3.0, race=("gd", "momentum"), race_eps=0.01)  # a = σ(−6) ≈ 0.0025
    assert near.frame()["finish"] == {"eps": 0.01, "winners": [0, 1], "step": 0}
    assert lab.apply(dataclasses.replace(lab.params, race=())) is Effect.RESET
    assert not lab.racing and lab.frame()["race"] is None


def test_entries_carry_the_optimizers_state() -> None:
    lab = make(race=("gd", "momentum", "adam"), **SATURATED)
    first = lab.frame()["race"]
    assert all(r["velocity"] is None and r["step"] is None and r["update"] is None for r in first)
    lab.step(3)
    gd, momentum, adam = lab.frame()["race"]
    assert gd["velocity"] is None and momentum["velocity"] is not None
    assert adam["update"]["state"]["after"]["t"] == 3
    for r in (gd, momentum, adam):
        assert r["step"]["w"] == pytest.approx(r["update"]["to"]["w"] - r["update"]["from"]["w"])
        assert r["gap"] == pytest.approx(r["a"])  # y = 0
        assert len(r["path"]["w"]) == 4  # the start and three epochs


def test_rewinding_a_race_and_replaying_is_bit_identical() -> None:
    changes = [(9, "params", {"lr": 0.4}), (17, "params", {"lr": 0.05})]
    params = {"race": ("gd", "momentum", "adam"), "race_cost": ("quadratic", "cross_entropy"),
              **SATURATED}  # fmt: skip
    live = make(**params)
    timeline = Timeline()
    drive(live, changes, 30, timeline)
    final = state(live)
    for k in (0, 5, 9, 16, 29):
        back = timeline.seek(live, k)
        assert back.steps == k
        drive(back, [c for c in changes if c[0] > k], 30, None, chunk=1)
        assert state(back) == final, f"rewound to {k}"
