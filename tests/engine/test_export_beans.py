"""Export a beans run as Python (issue 6): the script replays the live lab bit for bit.

The oracle is the engine itself: a session is played with live changes, resets and
new data, exported, and the script is run in a fresh interpreter (``-I``, in a
directory without ``engine/``); its last line must be the live lab's step, training
loss, w and b, exactly. The many-combination checks call the script body's ``run``
in-process, which is the same code the script runs.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.export import beans as body
from engine.export import python_script
from engine.lab import Effect
from engine.labs import registry
from engine.labs.beans import Beans, BeansParams
from tests.engine.export_checks import assignments, check_standalone, run_script

METHODS = ["sgd", "minibatch", "batch", "fixed_step"]
OPTIMIZERS = ["gd", "momentum", "nesterov", "rmsprop", "adam"]


def make(**kw: Any) -> Beans:
    lab = registry()["beans"](dataclasses.replace(BeansParams(), **kw))
    assert isinstance(lab, Beans)
    return lab


def change(lab: Beans, **kw: Any) -> Effect:
    return lab.apply(dataclasses.replace(lab.params, **kw))


def number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def expected(lab: Beans) -> dict[str, Any]:
    """What the export must print: the live lab's state, as JSON can hold it."""
    frame = lab.frame()
    loss = frame["loss"]["train"]
    out = {"step": lab.steps, "loss": loss, "w": number(lab.w), "b": number(lab.b)}
    if frame["race"] is not None:
        out["race"] = [{"loss": r["loss"], "w": number(r["params"]["w"]),
                        "b": number(r["params"]["b"]), "finish": r["finish"]}
                       for r in frame["race"]]  # fmt: skip
        out["winners"] = frame["finish"]["winners"]
    return out


def replay(lab: Beans) -> dict[str, Any]:
    return body.run(lab.log.params, lab.log.events, lab.steps)


def test_script_replays_live_changes_of_every_method(tmp_path: Path) -> None:
    lab = make()  # minibatch of 10, lr 0.3
    lab.step(7)
    assert change(lab, lr=0.1) is Effect.LIVE
    lab.step(5)
    change(lab, method="sgd")
    lab.step(13)  # mid-epoch: the next batches go on from sample 13 + 50
    change(lab, method="minibatch", batch_size=7)
    lab.step(9)
    change(lab, method="batch", lr=0.25)
    lab.step(4)
    change(lab, method="fixed_step", step_size=0.02)
    lab.step(6)
    change(lab, lr=0.05)  # fixed step ignores lr: a change that changes nothing
    lab.step(3)
    change(lab, method="sgd", step_size=0.5)
    lab.step(2)
    change(lab, lr=0.2)  # after the last update
    assert [k for k, _, _ in lab.log.events] == [7, 12, 25, 34, 38, 44, 47, 49]
    assert run_script(lab, tmp_path) == expected(lab)
    # the changes matter: without them the same steps end elsewhere
    assert body.run(lab.log.params, [], lab.steps)["w"] != lab.w


def test_a_reset_or_new_data_restarts_the_record(tmp_path: Path) -> None:
    lab = make(n=12, shuffle=True, method="sgd", lr=0.1, data_seed=3)
    lab.step(20)
    change(lab, method="minibatch", batch_size=5)
    lab.step(4)
    assert change(lab, model="w") is Effect.RESET
    assert (lab.log.params["model"], lab.log.events, lab.steps) == ("w", [], 0)
    lab.step(11)  # minibatches of 5, 5, 2 from fresh permutations
    change(lab, method="sgd", lr=0.3)
    lab.step(9)
    assert run_script(lab, tmp_path) == expected(lab)

    assert change(lab, data_seed=8, n=30, noise=0.4) is Effect.DATA
    assert (lab.log.params["data_seed"], lab.log.events) == (8, [])
    lab.step(31)
    change(lab, method="minibatch", batch_size=100)  # more than n: whole epochs
    lab.step(3)
    assert run_script(lab, tmp_path) == expected(lab)


def test_the_reset_op_restarts_the_record() -> None:
    lab = make(shuffle=True, method="sgd")
    lab.step(150)
    change(lab, lr=0.05)
    lab.step(10)
    lab.restart()
    assert (lab.log.events, lab.steps) == ([], 0)
    lab.step(70)
    change(lab, method="minibatch")
    lab.step(5)
    assert replay(lab) == expected(lab)


def test_a_diverged_run_exports_valid_json(tmp_path: Path) -> None:
    lab = make(method="batch", lr=10.0)
    assert lab.step(500) < 500
    assert lab.diverged
    change(lab, lr=0.01)  # after it blew up: nothing trains any more
    lab.step(5)
    out = run_script(lab, tmp_path)
    assert out == expected(lab)
    assert out["loss"] is None
    assert out["step"] == lab.steps < 500


def test_script_is_standalone_and_states_its_settings() -> None:
    lab = make(method="sgd")
    lab.step(3)
    change(lab, lr=0.5)
    lab.step(2)
    name, source = python_script(lab)
    assert name == "beans_step5.py"
    check_standalone(
        source,
        params={**dataclasses.asdict(BeansParams()), "method": "sgd", "race": [], "race_lr": []},
        changes=[(3, "params", {"lr": 0.5})],
        steps=5,
        docstring="Descent Playground: the beans lab",
    )


def schedule(seed: int) -> list[tuple[int, dict[str, Any]]]:
    """A seeded session: (updates, then a live change) pairs touching every live param."""
    rnd = random.Random(seed)
    draws: list[Callable[[], dict[str, Any]]] = [
        lambda: {"method": rnd.choice(METHODS)},
        lambda: {"lr": rnd.choice([0.02, 0.1, 0.4, 1.1])},
        lambda: {"batch_size": rnd.choice([1, 3, 8, 40])},
        lambda: {"step_size": rnd.choice([0.003, 0.05])},
        lambda: {"optimizer": rnd.choice(OPTIMIZERS)},  # a fresh optimizer, or no change
        lambda: {"method": rnd.choice(METHODS), "lr": rnd.choice([0.05, 0.2])},
    ]
    return [(rnd.randrange(0, 25), rnd.choice(draws)()) for _ in range(8)]


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("model", ["w", "wb"])
@pytest.mark.parametrize("method", METHODS)
def test_replay_is_exact_for_every_method_model_and_order(
    method: str, model: str, shuffle: bool
) -> None:
    seed = METHODS.index(method) * 4 + 2 * (model == "wb") + shuffle
    lab = make(method=method, model=model, shuffle=shuffle, n=23, data_seed=seed,
               slope=-1.3, intercept=2.0, noise=0.3, w0=1.5, b0=-0.5,
               optimizer=OPTIMIZERS[seed % 5])  # fmt: skip
    for updates, live in schedule(seed):
        lab.step(updates)
        assert change(lab, **live) is Effect.LIVE
    lab.step(17)
    assert replay(lab) == expected(lab)


def test_the_body_refuses_what_the_lab_would_not_do_live() -> None:
    params = dataclasses.asdict(BeansParams())
    with pytest.raises(ValueError, match="not a change"):
        body.run(params, [(2, "params", {"model": "w"})], 5)
    with pytest.raises(ValueError, match="method"):
        body.run(params, [(2, "params", {"method": "adam"})], 5)
    with pytest.raises(ValueError, match="not a change"):
        body.run(params, [(2, "params", {"race": ["gd", "adam"]})], 5)
    with pytest.raises(ValueError, match="race must be"):
        body.run({**params, "race": ["adam", "sgd"]}, [], 5)
    with pytest.raises(ValueError, match="race_lr must be"):
        body.run({**params, "race": ["adam", "gd"], "race_lr": [0.1, 0.0]}, [], 5)
    with pytest.raises(ValueError, match="not a change"):
        body.run(params, [(0, "add_point", {"x": 1.0})], 5)


# -- optimizers and races (issue 15) ----------------------------------------------------


def test_script_replays_live_optimizer_changes(tmp_path: Path) -> None:
    lab = make(method="batch", lr=0.1, w0=0.1, b0=0.1, optimizer="momentum")
    lab.step(9)
    change(lab, optimizer="adam")  # fresh moments from here
    lab.step(11)
    change(lab, lr=0.03, method="minibatch")  # the moments carry on at the new rate
    lab.step(7)
    change(lab, optimizer="nesterov")
    lab.step(5)
    change(lab, optimizer="rmsprop", method="sgd")
    lab.step(12)
    assert run_script(lab, tmp_path) == expected(lab)
    # the fresh starts matter: one optimizer throughout ends elsewhere
    assert body.run(lab.log.params, [], lab.steps)["w"] != lab.w


def test_script_replays_a_race_and_its_finish_line(tmp_path: Path) -> None:
    lab = make(method="batch", lr=0.1, w0=0.1, b0=0.1, race=tuple(OPTIMIZERS))
    lab.step(60)
    change(lab, lr=0.05)  # every racer runs at lr: all slow down
    lab.step(40)
    change(lab, method="minibatch", batch_size=7)
    lab.step(30)
    out = run_script(lab, tmp_path)
    assert out == expected(lab)
    assert [r["finish"] for r in out["race"]].count(None) < 5 and out["winners"]
    _, source = python_script(lab)
    stated = ast.literal_eval(assignments(ast.parse(source))["PARAMS"].value)
    assert stated["race"] == OPTIMIZERS  # the racers are among the run's stated settings


def test_script_replays_a_race_of_rates_with_a_racer_that_blows_up(tmp_path: Path) -> None:
    lab = make(method="batch", w0=0.1, b0=0.1, race=("gd", "gd", "adam"),
               race_lr=(0.3, 1.5, 0.05), race_eps=0.002)  # fmt: skip
    lab.step(80)
    assert lab.racers[1].diverged and not lab.diverged
    out = run_script(lab, tmp_path)
    assert out == expected(lab)
    assert out["race"][1]["loss"] is None


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shuffle", [False, True])
def test_race_replay_is_exact_for_every_method(method: str, shuffle: bool) -> None:
    seed = METHODS.index(method) * 2 + shuffle
    rnd = random.Random(seed)
    racers = tuple(rnd.choice(OPTIMIZERS) for _ in range(rnd.randrange(2, 6)))
    rates = tuple(rnd.choice([0.02, 0.1, 0.5]) for _ in racers) if seed % 2 else ()
    lab = make(method=method, shuffle=shuffle, n=31, data_seed=seed, w0=-1.0, b0=1.5,
               race=racers, race_lr=rates, model="wb" if seed % 3 else "w")  # fmt: skip
    for updates, live in schedule(seed):
        lab.step(updates)
        change(lab, **live)
    lab.step(23)
    assert replay(lab) == expected(lab)


def test_a_time_trial_and_a_short_rate_list_replay_exactly() -> None:
    for race, rates in ((("adam",), ()), (("gd", "nesterov", "rmsprop"), (0.4,))):
        lab = make(method="batch", lr=0.05, w0=0.1, b0=0.1, race=race, race_lr=rates)
        lab.step(30)
        change(lab, lr=0.2)  # the racers without a rate of their own speed up
        lab.step(30)
        assert replay(lab) == expected(lab)
