"""The record of a run: restarts, live changes, logged ops and the frame history."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from engine.labs.beans import Beans, BeansParams
from engine.labs.circles import AddPointArgs, Circles, CirclesParams
from engine.runlog import MAX_HISTORY, RunLog


def frame(step: int, loss: float) -> dict[str, object]:
    return {"type": "frame", "step": step, "loss": {"train": loss}, "metrics": {}}


def test_live_changes_are_logged_at_their_step_and_resets_start_over() -> None:
    lab = Beans(BeansParams())
    lab.step(4)
    lab.apply(replace(lab.params, lr=0.1, batch_size=5))
    lab.apply(replace(lab.params))  # nothing changed: nothing logged
    lab.step(2)
    lab.apply(replace(lab.params, method="batch"))
    assert lab.log.params["lr"] == 0.3
    assert lab.log.events == [
        (4, "params", {"batch_size": 5, "lr": 0.1}),
        (6, "params", {"method": "batch"}),
    ]
    lab.apply(replace(lab.params, w0=1.0))  # a reset field: the run starts again
    assert lab.log.events == [] and lab.log.params["w0"] == 1.0
    assert lab.log.params["lr"] == 0.1 and lab.log.params["method"] == "batch"
    lab.step(3)
    lab.apply(replace(lab.params, lr=0.2))
    lab.restart()
    assert lab.log.events == [] and lab.log.params["lr"] == 0.2


def test_logged_ops_and_what_a_reset_carries() -> None:
    lab = Circles(CirclesParams(n=40))
    lab.step(2)
    lab.call_op("add_point", AddPointArgs(0.5, -0.5, 1))
    lab.call_op("weights", None)  # a query: not part of the run
    assert lab.log.events == [(2, "add_point", {"x1": 0.5, "x2": -0.5, "label": 1})]
    lab.restart()  # added points stay through a reset, so the replay adds them at step 0
    assert lab.log.events == [(0, "add_point", {"x1": 0.5, "x2": -0.5, "label": 1})]
    lab.apply(replace(lab.params, data_seed=3))  # new data drops them
    assert lab.log.events == []


def test_lists_are_stored_as_plain_lists() -> None:
    log = RunLog.start({"hidden": (4, 2)}, [])
    log.change(0, {"hidden": (3,)})
    assert log.params == {"hidden": [4, 2]} and log.events == [(0, "params", {"hidden": [3]})]


def test_history_keeps_one_entry_a_step_and_thins_itself() -> None:
    log = RunLog.start({}, [])
    log.record(frame(0, 3.0))
    log.record(frame(0, 2.0))  # the same step seen again (a live change): newest wins
    assert log.history == [{"step": 0, "loss": {"train": 2.0}, "metrics": {}}]
    for k in range(1, MAX_HISTORY + 1):
        log.record(frame(k, 1.0 / k))
    steps = [h["step"] for h in log.history]
    assert len(steps) <= MAX_HISTORY and steps[0] == 0 and steps == sorted(steps)
    assert steps[1] - steps[0] == 2  # every other one dropped, evenly


def test_a_long_history_stays_even_from_start_to_end() -> None:
    log = RunLog.start({}, [])
    total = 18 * MAX_HISTORY  # ten minutes at 30 frames/s
    for k in range(total):
        log.record(frame(k, 1.0))
        log.record(frame(k, 0.5))  # a second view of each step: never a second row
    steps = [h["step"] for h in log.history]
    gaps = {b - a for a, b in itertools.pairwise(steps)}
    assert len(gaps) == 1 and steps[0] == 0  # one spacing from the first step on
    assert total - steps[-1] <= gaps.pop()  # ... up to the newest
    assert MAX_HISTORY // 2 <= len(steps) <= MAX_HISTORY
    assert all(h["loss"]["train"] == 0.5 for h in log.history)


def test_numpy_scalars_and_old_snapshots() -> None:
    log = RunLog.start({}, [])
    log.record({"step": np.int64(1), "loss": {"train": np.float32(0.5)}, "metrics": {}})
    assert log.history == [{"step": 1, "loss": {"train": 0.5}, "metrics": {}}]
    old = RunLog.__new__(RunLog)  # as pickled before rows: a list of dicts
    old.__setstate__({"params": {}, "events": [], "full_at": None,
                      "history": [{"step": 3, "loss": {"train": 1.0}, "metrics": {}}]})  # fmt: skip
    old.record(frame(4, 0.9))
    assert [h["step"] for h in old.history] == [3, 4]
