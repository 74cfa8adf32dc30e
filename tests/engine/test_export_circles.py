"""Export → As Python, circles: the script replays a live session to the same state.

The oracle is the live lab itself: a session with live changes, added and
cleared points, resets and new data is exported, the script runs in a fresh
interpreter that cannot import ``engine``, and its last line must give the
lab's step count and exactly (``==``) the training loss of its frame. The many
combinations of datasets, activations, losses and optimizers run the script
body in-process; a few whole scripts run as subprocesses.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from engine.export import circles as body
from engine.export import python_script
from engine.labs import registry
from engine.labs.circles import AddPointArgs, Circles, CirclesParams, NoArgs
from tests.engine.export_checks import check_standalone, run_script

ALL_FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1", "sin_x2")


def lab(**changes: Any) -> Circles:
    return Circles(replace(CirclesParams(), **changes))


def live(c: Circles, **changes: Any) -> None:
    c.apply(replace(c.params, **changes))


def add(c: Circles, x1: float, x2: float, label: int) -> None:
    c.call_op("add_point", AddPointArgs(x1=x1, x2=x2, label=label))


def expected(c: Circles) -> dict[str, Any]:
    """What the export must print: the lab's step and its frame's training loss."""
    return {"step": c.steps, "loss": c.frame()["loss"]["train"]}


def replay(c: Circles) -> dict[str, Any]:
    """The script body in this process, on the lab's record of the run."""
    return body.run(c.log.params, c.log.events, c.steps)


# -- whole scripts -------------------------------------------------------------------


def test_script_replays_live_changes_and_points(tmp_path: Path) -> None:
    c = lab()  # the notes' 2 → 25 → 50 → 50 → 25 → 1 network, Adam
    c.step(8)
    live(c, lr=0.02, batch_size=7)
    c.step(9)
    add(c, 0.5, -1.0, 0)
    add(c, 1.5, 2.0, 1)  # two changes of the training set before the next update
    c.step(6)
    live(c, optimizer="momentum", loss="mse", l1=0.001, l2=0.01, dropout=0.2)
    c.step(11)
    c.call_op("clear_points", NoArgs())
    c.step(4)
    kinds = [kind for _, kind, _ in c.log.events]
    assert kinds == ["params", "add_point", "add_point", "params", "clear_points"]
    assert run_script(c, tmp_path) == expected(c) == replay(c)


def test_a_reset_keeps_added_points_and_the_replay_adds_them_at_step_0(tmp_path: Path) -> None:
    c = lab(n=100, hidden=(8, 8))
    c.step(5)
    add(c, 1.0, 2.0, 0)
    add(c, -3.0, 0.5, 1)
    c.step(7)
    c.restart()  # the reset op: the model starts over, the points stay
    assert c.log.events == [
        (0, "add_point", {"x1": 1.0, "x2": 2.0, "label": 0}),
        (0, "add_point", {"x1": -3.0, "x2": 0.5, "label": 1}),
    ]
    live(c, batch_size=9)  # at step 0, after the carried points
    c.step(12)
    live(c, lr=0.05)
    add(c, 0.0, 0.0, 1)
    c.step(13)
    add(c, 2.0, -2.0, 0)  # after the last update: only the loss sees it
    assert c.steps == 25 and c.log.events[2][:2] == (0, "params")
    assert c.log.events[-1][0] == 25
    assert run_script(c, tmp_path) == expected(c)


def test_new_data_restarts_the_record(tmp_path: Path) -> None:
    c = lab(n=120, hidden=(6,))
    c.step(10)
    add(c, 1.0, 1.0, 1)
    live(c, lr=0.1)
    live(c, dataset="spiral", noise=0.3)  # new data drops the added points
    assert c.log.params["dataset"] == "spiral" and c.log.events == []
    c.step(15)
    live(c, optimizer="sgd", lr=0.3)
    c.step(15)
    assert run_script(c, tmp_path) == expected(c)


def test_a_diverged_run_exports_valid_json(tmp_path: Path) -> None:
    squares = ("x1^2", "x2^2", "x1x2")
    c = lab(optimizer="sgd", lr=10.0, activation="linear", hidden=(16, 16), features=squares)
    while c.step(5) == 5 and c.steps < 500:
        pass
    assert c.diverged and c.steps < 500
    result = run_script(c, tmp_path)  # strict: a NaN would not parse
    assert result == expected(c) == {"step": c.steps, "loss": None}


def test_the_script_is_standalone_and_states_its_settings() -> None:
    c = lab(n=50, hidden=(4,))
    c.step(3)
    live(c, lr=0.5)
    c.step(2)
    assert registry()["circles"] is Circles
    name, source = python_script(c)
    assert name == "circles_step5.py"
    check_standalone(
        source,
        params=c.log.params,
        changes=[(3, "params", {"lr": 0.5})],
        steps=5,
        docstring="Descent Playground: the circles lab",
        stdlib={"collections", "itertools", "json", "math", "typing"},
    )


# -- every dataset, feature, activation, loss and optimizer, in-process ------------------


@pytest.mark.parametrize(
    ("dataset", "activation"),
    [
        ("circles", "relu"),
        ("xor", "tanh"),
        ("gauss", "sigmoid"),
        ("spiral", "linear"),
        ("moons", "leaky_relu"),
    ],
)
def test_datasets_features_and_activations(dataset: str, activation: str) -> None:
    c = lab(dataset=dataset, noise=0.2, n=150, test_ratio=0.3, data_seed=7, init_seed=3,
            features=ALL_FEATURES, hidden=(6, 5), activation=activation)  # fmt: skip
    c.step(12)
    live(c, dropout=0.25, batch_size=16)
    c.step(12)
    add(c, -2.0, 4.5, 1)
    c.step(6)
    assert replay(c) == expected(c)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_losses_optimizers_and_penalties(loss: str, optimizer: str) -> None:
    c = lab(n=80, hidden=(7,), loss=loss, optimizer=optimizer, lr=0.05, l1=0.002, l2=0.01)
    c.step(17)  # epochs of 40 points in batches of 10
    live(c, l1=0.0, batch_size=3, lr=0.1)
    c.step(20)
    assert replay(c) == expected(c)


def test_logistic_regression_and_a_reset_by_a_new_model() -> None:
    c = lab(hidden=(), features=("x1^2", "x2^2"), optimizer="sgd", lr=0.5)
    c.step(10)
    add(c, 0.1, 0.1, 1)
    live(c, activation="tanh", hidden=(3,))  # a new model: the record restarts, the point stays
    assert [kind for _, kind, _ in c.log.events] == ["add_point"]
    c.step(10)
    live(c, optimizer="adam", lr=0.01)
    c.step(10)
    assert replay(c) == expected(c)
    assert math.isfinite(replay(c)["loss"])


def test_a_long_run_past_subnormal_moments_replays_exactly() -> None:
    """After ~7000 updates dead units' Adam moments go subnormal; the lab flushes them to 0,
    the script does not, and both reach the same loss bit for bit."""
    c = lab()
    c.step(9000)
    assert c.opt.t > 7000  # type: ignore[attr-defined]
    assert replay(c) == expected(c)
