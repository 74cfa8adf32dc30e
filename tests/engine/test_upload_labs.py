"""Uploaded beans: the lab fits them, keeps them through resets, and the export replays them.

Oracles: least squares on the uploaded points (the bottom of the cost bowl),
and the exported script run in a fresh interpreter.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.export import beans as body
from engine.labs.beans import Beans, BeansParams
from engine.userdata import parse
from tests.engine.export_checks import run_script

CSV = "size,toxicity\n" + "".join(
    f"{0.1 * i},{2.0 - 0.3 * i + 0.01 * (i % 3)}\n" for i in range(25)
)


def make(**kw: Any) -> Beans:
    return Beans(dataclasses.replace(BeansParams(), **kw))


def test_uploaded_beans_replace_the_data_and_the_optimum_is_least_squares() -> None:
    lab = make()
    messages = lab.upload(parse(CSV, "beans"))
    data = messages[0]
    assert data["type"] == "data" and data["upload"] == {"rows": 25}
    assert np.array_equal(data["train"]["x"], 0.1 * np.arange(25))
    x, y = lab.x, lab.y
    w, b = np.polyfit(x, y, 1)
    assert lab.optimum == pytest.approx((w, b), rel=1e-9)
    surface = next(m for m in messages if m["type"] == "surface")
    assert surface["optimum"]["w"] == pytest.approx(w)


def test_uploaded_beans_stay_through_a_reset_and_go_with_new_data() -> None:
    lab = make()
    lab.upload(parse(CSV, "beans"))
    lab.step(5)
    lab.restart()
    assert len(lab.x) == 25 and [kind for _, kind, _ in lab.log.events] == ["upload"]
    lab.apply(dataclasses.replace(lab.params, lr=0.05))  # live: kept
    assert len(lab.x) == 25
    lab.apply(dataclasses.replace(lab.params, noise=0.2))  # new generated data
    assert lab.table is None and len(lab.x) == 100 and lab.log.events == []


@pytest.mark.parametrize("method", ["sgd", "minibatch", "batch", "fixed_step"])
def test_an_uploaded_run_replays_in_process(method: str) -> None:
    lab = make(method=method, batch_size=7, lr=0.05, shuffle=True)
    lab.upload(parse(CSV, "beans"))
    lab.step(13)
    lab.apply(dataclasses.replace(lab.params, lr=0.02))
    lab.step(9)
    loss = lab.frame()["loss"]["train"]
    assert body.run(lab.log.params, lab.log.events, lab.steps) == {
        "step": lab.steps, "loss": loss, "w": lab.w, "b": lab.b}  # fmt: skip


def test_an_uploaded_run_replays_as_a_script(tmp_path: Path) -> None:
    lab = make(method="batch", lr=0.1)
    lab.upload(parse(CSV.replace(",", "\t"), "beans"))  # a spreadsheet paste
    lab.step(40)
    result = run_script(lab, tmp_path)
    assert result == {"step": 40, "loss": lab.frame()["loss"]["train"], "w": lab.w, "b": lab.b}
