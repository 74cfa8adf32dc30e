"""Export a neuron run as Python (issue 6): the script replays the live lab bit for bit.

The oracle is the engine itself: a session is played with live changes of the
learning rate, resets and new data, exported, and the script is run in a fresh
interpreter (``-I``, in a directory without ``engine/``); its last line must be the
live lab's step and training loss, exactly. The many-combination checks call the
script body's ``run`` in-process, which is the same code the script runs.
"""

from __future__ import annotations

import dataclasses
import math
import random
from pathlib import Path
from typing import Any

import pytest

from engine.export import neuron as body
from engine.export import python_script
from engine.lab import Effect
from engine.labs import registry
from engine.labs.neuron import PRESETS, Neuron, NeuronParams
from tests.engine.export_checks import check_standalone, run_script


def make(**kw: Any) -> Neuron:
    lab = registry()["neuron"](dataclasses.replace(NeuronParams(), **kw))
    assert isinstance(lab, Neuron)
    return lab


def change(lab: Neuron, **kw: Any) -> Effect:
    return lab.apply(dataclasses.replace(lab.params, **kw))


def expected(lab: Neuron) -> dict[str, Any]:
    """What the export must print: the live lab's state, as JSON can hold it."""
    loss = lab.frame()["loss"]["train"]
    return {"step": lab.steps, "loss": loss if math.isfinite(loss) else None}


def replay(lab: Neuron) -> dict[str, Any]:
    return body.run(lab.log.params, lab.log.events, lab.steps)


def test_script_replays_live_changes_of_the_learning_rate(tmp_path: Path) -> None:
    lab = make()  # the notes' gentle start, both costs, η = 0.15
    lab.step(40)
    assert change(lab, lr=0.5) is Effect.LIVE
    lab.step(60)
    change(lab, lr=0.05)
    lab.step(3)
    change(lab, lr=1.0)  # after the last update
    assert lab.log.events == [(40, "params", {"lr": 0.5}), (100, "params", {"lr": 0.05}),
                              (103, "params", {"lr": 1.0})]  # fmt: skip
    assert run_script(lab, tmp_path) == expected(lab)
    # the changes matter: without them the same epochs end elsewhere
    assert body.run(lab.log.params, [], lab.steps)["loss"] != expected(lab)["loss"]


def test_a_reset_or_new_data_restarts_the_record(tmp_path: Path) -> None:
    lab = make(**PRESETS["saturated"], costs="quadratic")
    lab.step(120)
    change(lab, lr=0.3)
    lab.step(30)
    assert expected(lab) == replay(lab)  # the loss shown is the quadratic run's
    assert change(lab, costs="cross_entropy") is Effect.RESET
    assert (lab.log.params["costs"], lab.log.events, lab.steps) == ("cross_entropy", [], 0)
    lab.step(25)
    change(lab, lr=2.0)
    lab.step(25)
    assert run_script(lab, tmp_path) == expected(lab)

    assert change(lab, x=-2.5, y=0.7, costs="both") is Effect.DATA
    assert (lab.log.params["x"], lab.log.params["y"], lab.log.events) == (-2.5, 0.7, [])
    lab.step(80)
    change(lab, lr=0.02)
    lab.step(20)
    assert run_script(lab, tmp_path) == expected(lab)


def test_the_reset_op_restarts_the_record() -> None:
    lab = make(**PRESETS["saturated"])
    lab.step(200)
    change(lab, lr=0.4)
    lab.step(10)
    lab.restart()
    assert (lab.log.events, lab.steps) == ([], 0)
    lab.step(70)
    change(lab, lr=0.6)
    lab.step(5)
    assert replay(lab) == expected(lab)


def test_the_largest_rate_and_a_blown_up_run_export_valid_json(tmp_path: Path) -> None:
    lab = make(x=5.0, y=0.3, w0=-5.0, b0=5.0, lr=10.0)  # the largest step the controls allow
    lab.step(500)
    assert not lab.diverged  # ∂C/∂z is at most 1 in size: within bounds a neuron never blows up
    assert run_script(lab, tmp_path) == expected(lab)
    # Past the controls' bound (a learner may edit PARAMS), w leaves every float: the
    # script stops where the engine stops, and reports a loss JSON cannot hold as null.
    lab = make(x=5.0, y=0.0, lr=1e308)
    assert lab.step(10) == 1
    assert lab.diverged
    out = run_script(lab, tmp_path)
    assert out == expected(lab) == {"step": 1, "loss": None}


def test_script_is_standalone_and_states_its_settings() -> None:
    lab = make(costs="quadratic")
    lab.step(3)
    change(lab, lr=0.5)
    lab.step(2)
    name, source = python_script(lab)
    assert name == "neuron_step5.py"
    check_standalone(
        source,
        params={
            **dataclasses.asdict(NeuronParams()),
            "costs": "quadratic",
            "race": [],
            "race_cost": [],
            "race_lr": [],
        },
        changes=[(3, "params", {"lr": 0.5})],
        steps=5,
        docstring="Descent Playground: the neuron lab",
    )


@pytest.mark.parametrize("costs", ["both", "quadratic", "cross_entropy"])
@pytest.mark.parametrize(
    ("x", "y", "w0", "b0"),
    [(1.0, 0.0, 0.6, 0.9), (1.0, 0.0, 2.0, 2.0), (-3.7, 1.0, 4.0, -5.0), (0.4, 0.35, -1.2, 3.3)],
)
def test_replay_is_exact_for_every_cost_and_sample(
    costs: str, x: float, y: float, w0: float, b0: float
) -> None:
    rnd = random.Random(f"{costs} {x} {y}")
    lab = make(x=x, y=y, w0=w0, b0=b0, costs=costs)
    for _ in range(6):
        lab.step(rnd.randrange(0, 60))
        assert change(lab, lr=rnd.choice([0.001, 0.15, 0.8, 3.0, 10.0])) is Effect.LIVE
    lab.step(40)
    assert replay(lab) == expected(lab)


def test_the_notes_table_from_the_script() -> None:
    """SEEDS.md §3: the cross-entropy run's a after 300 epochs, from either start, is 0.012."""
    for start in (PRESETS["gentle"], PRESETS["saturated"]):
        params = {**dataclasses.asdict(NeuronParams()), **start}
        out = body.run(params, [], 300)
        a = 1 - math.exp(-out["loss"])  # with y = 0, C = −ln(1 − a)
        assert round(a, 3) == 0.012


def test_the_body_refuses_what_the_lab_would_not_do_live() -> None:
    params = dataclasses.asdict(NeuronParams())
    with pytest.raises(ValueError, match="not a change"):
        body.run(params, [(2, "params", {"w0": 1.0})], 5)
    with pytest.raises(ValueError, match="costs"):
        body.run({**params, "costs": "hinge"}, [], 5)


def expected_race(lab: Neuron) -> dict[str, Any]:
    """What the export of a race prints: each racer's numbers and the winners."""
    frame = lab.frame()
    race = [{"loss": r["cost"], "w": r["w"], "b": r["b"], "finish": r["finish"]}
            for r in frame["race"]]  # fmt: skip
    return {"step": lab.steps, "loss": race[0]["loss"], "race": race,
            "winners": frame["finish"]["winners"]}  # fmt: skip


def test_a_race_exports_a_script_that_replays_it(tmp_path: Path) -> None:
    preset = {k: tuple(v) if isinstance(v, list) else v for k, v in PRESETS["race"].items()}
    lab = make(**preset)
    lab.step(30)
    change(lab, lr=0.4)  # racers without their own rate follow the live lr
    lab.step(70)
    out = run_script(lab, tmp_path)
    assert out == expected_race(lab)
    assert out["winners"] == [2] and out["race"][1]["finish"] is not None


@pytest.mark.parametrize("seed", range(12))
def test_replay_of_a_race_is_exact_for_any_racers(seed: int) -> None:
    rnd = random.Random(seed)
    n = rnd.randint(1, 5)
    race = tuple(rnd.choice(["gd", "momentum", "nesterov", "rmsprop", "adam"]) for _ in range(n))
    costs = tuple(rnd.choice(["quadratic", "cross_entropy"]) for _ in range(rnd.randint(0, n)))
    rates = tuple(rnd.choice([0.01, 0.15, 1.0, 10.0]) for _ in range(rnd.randint(0, n)))
    lab = make(x=rnd.uniform(-5, 5), y=rnd.uniform(0, 1), w0=rnd.uniform(-5, 5),
               b0=rnd.uniform(-5, 5), race=race, race_cost=costs, race_lr=rates,
               race_eps=rnd.choice([0.01, 0.1]))  # fmt: skip
    for _ in range(4):
        lab.step(rnd.randrange(0, 60))
        change(lab, lr=rnd.choice([0.001, 0.15, 0.8, 3.0]))
    lab.step(20)
    assert replay(lab) == expected_race(lab)


def test_the_body_refuses_a_race_the_lab_does_not_have() -> None:
    params = {**dataclasses.asdict(NeuronParams()), "race": ["gd"]}
    with pytest.raises(ValueError, match="race must"):
        body.run({**params, "race": ["sgd"]}, [], 5)
    with pytest.raises(ValueError, match="race_cost"):
        body.run({**params, "race_cost": ["hinge"]}, [], 5)
    with pytest.raises(ValueError, match="race_lr"):
        body.run({**params, "race_lr": [0.0]}, [], 5)
