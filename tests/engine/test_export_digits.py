"""Export → As Python, digits: the script replays a live session to the same state.

The oracle is the live lab itself: a session with live changes, resets and a
new training set is exported, the script (the digits data pasted inside it)
runs in a fresh interpreter that cannot import ``engine``, and its last line
must give the lab's step count and exactly (``==``) the float32 training loss
of its frame. Models, activations and optimizers are combined in-process on
the script body; a few whole scripts run as subprocesses.
"""

from __future__ import annotations

import ast
import base64
import math
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import engine
from engine import optdigits
from engine.export import digits as digits_body
from engine.export import python_script
from engine.labs import registry
from engine.labs.digits import Digits, DigitsParams
from tests.engine.export_checks import assignments, check_standalone, first_def, run_script

DATA = Path(engine.__file__).parent / "data" / "optdigits.csv.gz"


def lab(**changes: Any) -> Digits:
    return Digits(replace(DigitsParams(), **changes))


def live(d: Digits, **changes: Any) -> None:
    d.apply(replace(d.params, **changes))


def expected(d: Digits) -> dict[str, Any]:
    """What the export must print: the lab's step and its frame's training loss (None if
    not finite: the frame keeps NaN, JSON cannot)."""
    loss = d.frame()["loss"]["train"]
    return {"step": d.steps, "loss": loss if math.isfinite(loss) else None}


@pytest.fixture
def body(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The script body in this process, with the data pasted in as the export does."""
    monkeypatch.setattr(
        digits_body, "OPTDIGITS_CSV_GZ_B64", base64.b64encode(DATA.read_bytes()).decode()
    )
    return digits_body


def replay(body: ModuleType, d: Digits) -> dict[str, Any]:
    result: dict[str, Any] = body.run(d.log.params, d.log.events, d.steps)
    return result


# -- whole scripts -------------------------------------------------------------------


def test_script_replays_softmax_regression_with_live_changes(tmp_path: Path) -> None:
    d = lab()  # the notes' softmax regression, sgd at 0.1, batches of 100
    d.step(12)
    live(d, lr=0.4, lr_decay=0.995, batch_size=37)
    d.step(20)
    live(d, hidden=(5,), activation="sigmoid")  # no hidden layers to shape: nothing happens
    live(d, optimizer="momentum", l2=0.01)
    d.step(30)
    live(d, optimizer="adam", lr=0.01, batch_size=1400)
    d.step(5)
    assert d.log.events == [
        (12, "params", {"batch_size": 37, "lr": 0.4, "lr_decay": 0.995}),
        (32, "params", {"l2": 0.01, "optimizer": "momentum"}),
        (62, "params", {"batch_size": 1400, "lr": 0.01, "optimizer": "adam"}),
    ]
    assert run_script(d, tmp_path) == expected(d)


def test_a_reset_restarts_the_record(tmp_path: Path) -> None:
    d = lab(model="mlp", hidden=(32, 16), dropout=0.3, optimizer="adam", lr=0.003, train_size=200)
    d.step(15)
    live(d, init_seed=4)  # a new initialisation: the record restarts at step 0
    assert d.steps == 0 and d.log.events == [] and d.log.params["init_seed"] == 4
    live(d, lr=0.002)  # at step 0
    d.step(9)
    live(d, dropout=0.0, l2=0.001, batch_size=64)  # 64 does not divide 200: batches wrap
    d.step(12)
    assert run_script(d, tmp_path) == expected(d)


def test_a_diverged_run_exports_valid_json(tmp_path: Path) -> None:
    d = lab(model="mlp", hidden=(64, 64, 64), optimizer="momentum", lr=10.0)
    while d.step(5) == 5 and d.steps < 500:
        pass
    assert d.diverged and d.steps < 500
    assert run_script(d, tmp_path) == expected(d)  # strict: a NaN would not parse


def test_the_script_is_standalone_and_carries_the_data() -> None:
    assert registry()["digits"] is Digits
    d = lab(batch_size=10)
    d.step(2)
    live(d, lr=0.05)
    name, source = python_script(d)
    assert name == "digits_step2.py"
    assert '= ""  # paste:' not in source
    tree = check_standalone(
        source,
        params=d.log.params,
        changes=[(2, "params", {"lr": 0.05})],
        steps=2,
        docstring="Descent Playground: the digits lab",
        stdlib={"base64", "collections", "gzip", "itertools", "json", "math", "typing"},
    )
    blob = assignments(tree)["OPTDIGITS_CSV_GZ_B64"]
    assert base64.b64decode(ast.literal_eval(blob.value)) == DATA.read_bytes()
    assert blob.lineno > first_def(tree)  # the blob is out of the way


# -- models, activations, optimizers and data, in-process ------------------------------


def test_the_body_reads_the_same_digits(body: ModuleType) -> None:
    X, y = body.load_digits()
    X_engine, y_engine = optdigits.load()
    np.testing.assert_array_equal(X, X_engine)
    np.testing.assert_array_equal(y, y_engine)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_networks_activations_and_optimizers(
    body: ModuleType, activation: str, optimizer: str
) -> None:
    model = {"model": "mlp", "hidden": (20, 10), "activation": activation, "optimizer": optimizer}
    d = lab(**model, lr=0.05, dropout=0.3, l2=0.001, train_size=300, batch_size=64, data_seed=3)
    d.step(20)
    live(d, dropout=0.0, lr_decay=0.99, batch_size=1000)  # a batch larger than the set: all of it
    d.step(6)
    assert replay(body, d) == expected(d)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_softmax_regression_with_every_optimizer(body: ModuleType, optimizer: str) -> None:
    d = lab(optimizer=optimizer, lr=0.02, batch_size=50, l2=0.01, dropout=0.5)  # no hidden units
    d.step(10)
    live(d, optimizer="sgd" if optimizer != "sgd" else "adam")
    d.step(10)
    assert replay(body, d) == expected(d)


def test_a_new_training_set_restarts_the_record(body: ModuleType) -> None:
    d = lab(model="mlp", hidden=(16,), lr=0.2)
    d.step(10)
    live(d, train_size=120, data_seed=9)
    assert d.log.events == [] and d.log.params["train_size"] == 120
    d.step(8)
    live(d, lr=0.5)
    d.step(8)
    assert replay(body, d) == expected(d)


# -- the convolutional network ------------------------------------------------------


def test_script_replays_a_two_layer_cnn_with_live_changes(tmp_path: Path) -> None:
    d = lab(model="cnn", filters=(4, 6), optimizer="adam", lr=0.01, batch_size=32, dropout=0.2)
    d.step(15)
    live(d, hidden=(7,), activation="sigmoid")  # not the CNN's: nothing happens
    live(d, lr=0.003, l2=0.001, dropout=0.0, lr_decay=0.995)
    d.step(12)
    live(d, optimizer="momentum", batch_size=1400)
    d.step(4)
    assert [k for k, _, _ in d.log.events] == [15, 27]
    assert run_script(d, tmp_path) == expected(d)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_cnns_with_every_optimizer(body: ModuleType, optimizer: str) -> None:
    d = lab(model="cnn", filters=(5,), optimizer=optimizer, lr=0.02, dropout=0.3, l2=0.01,
            train_size=300, batch_size=64, data_seed=2, init_seed=7)  # fmt: skip
    d.step(12)
    live(d, dropout=0.0, lr_decay=0.99)
    d.step(6)
    assert replay(body, d) == expected(d)


def test_a_cnn_reset_by_new_filters_restarts_the_record(body: ModuleType) -> None:
    d = lab(model="mlp", hidden=(16,))
    d.step(5)
    live(d, model="cnn", filters=(3, 2))
    assert d.steps == 0 and d.log.params["filters"] == [3, 2]
    d.step(10)
    assert replay(body, d) == expected(d)
    live(d, filters=(2,), lr=0.3)
    d.step(7)
    assert d.log.params["filters"] == [2] and replay(body, d) == expected(d)
