"""Rewind (issue 15): going back to step k and on to step n is never having gone back.

The oracle is the run itself, never rewound: every lab is driven with live changes
(and circles' added points) at set steps, frame by frame as a session does, while a
timeline keeps checkpoints. A seek to step k, then the same changes at the same steps
up to step n, must give the very same training state, bit for bit: every array, every
number, every random generator's state. Exported scripts of rewound, branched runs
replay to the live numbers.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.lab import Lab, OpError
from engine.labs import registry
from engine.labs.beans import PRESETS, Beans
from engine.rewind import Timeline
from engine.runlog import Event
from tests.engine.export_checks import run_script

# what a lab shows rather than trains with: caches, frame counters, the path since the
# last frame and the view's window (widened frame by frame)
SHOWN = {"log", "_outbox", "boundary", "_scratch", "frames", "trail", "window", "_evaluation"}

# (params, the changes of the run as (step, kind, values), its length)
RUNS: dict[str, tuple[dict[str, Any], list[Event], int]] = {
    "beans": (
        {"n": 60},
        [(7, "params", {"lr": 0.1}), (13, "params", {"method": "sgd"}),
         (21, "params", {"method": "minibatch"}), (21, "params", {"batch_size": 4}),
         (30, "params", {"shuffle": False, "step_size": 0.02, "method": "fixed_step"})],
        40,
    ),
    "circles": (
        {"n": 80, "hidden": (8, 8), "dropout": 0.1, "resolution": 16},
        [(5, "add_point", {"x1": 0.5, "x2": -0.5, "label": 1}), (9, "params", {"lr": 0.03}),
         (14, "params", {"optimizer": "sgd"}),
         (14, "add_point", {"x1": 1.0, "x2": 2.0, "label": 0}),
         (20, "clear_points", {}), (26, "params", {"optimizer": "momentum", "l2": 0.001})],
        36,
    ),
    "neuron": ({}, [(10, "params", {"lr": 0.3}), (25, "params", {"costs": "both"})], 45),
    "digits": (
        {"model": "mlp", "hidden": (16,), "train_size": 300, "batch_size": 40, "dropout": 0.2,
         "lr_decay": 0.999},
        [(6, "params", {"lr": 0.05}), (10, "params", {"optimizer": "adam"}),
         (17, "params", {"l2": 0.001, "dropout": 0.0})],
        24,
    ),
}  # fmt: skip


def make(lab_id: str) -> Lab[Any]:
    cls = registry()[lab_id]
    params, _, _ = RUNS[lab_id]
    return cls(dataclasses.replace(cls.Params(), **params))


def apply(lab: Lab[Any], kind: str, values: dict[str, Any]) -> None:
    """A change as the session makes it: new params, or a lab op."""
    if kind == "params":
        lab.apply(dataclasses.replace(lab.params, **values))
    else:
        args, _ = lab.ops[kind]
        lab.call_op(kind, args(**values))


def drive(
    lab: Lab[Any], changes: list[Event], until: int, timeline: Timeline | None, chunk: int = 3
) -> None:
    """Step to ``until`` in chunks, a frame after each (noted), each change at its step;
    as a session, which shows the run's first frame too."""
    if timeline is not None:
        timeline.note(lab, lab.frame())
    while True:
        for step, kind, values in changes:
            if step == lab.steps:
                apply(lab, kind, values)
        if lab.steps >= until:
            break
        to = min(until, lab.steps + chunk, *[s for s, _, _ in changes if s > lab.steps])
        lab.step(to - lab.steps)
        frame = lab.frame()
        if timeline is not None:
            timeline.note(lab, frame)


def state(obj: Any, path: str = "", seen: set[int] | None = None) -> dict[str, Any]:
    """Every array, number and generator state the object holds, flattened by path."""
    seen = set() if seen is None else seen
    out: dict[str, Any] = {}
    if isinstance(obj, np.ndarray):
        return {path: (obj.dtype.str, obj.shape, obj.tobytes())}
    if isinstance(obj, np.random.Generator):
        return {path: obj.bit_generator.state}
    if isinstance(obj, float):
        return {path: obj.hex() if math.isfinite(obj) else repr(obj)}
    if obj is None or isinstance(obj, int | str | bool | np.generic):
        return {path: obj}
    if id(obj) in seen:
        return {}
    seen.add(id(obj))
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, list | tuple):
        items = enumerate(obj)  # type: ignore[assignment]
    elif hasattr(obj, "__getstate__") and isinstance(obj.__getstate__(), dict):
        items = obj.__getstate__().items()
    else:
        items = vars(obj).items()
    for key, value in items:
        if key not in SHOWN:
            out |= state(value, f"{path}.{key}", seen)
    return out


def reference(lab_id: str, step: int) -> Lab[Any]:
    """The run, never rewound, at ``step`` (with the changes made at that step)."""
    lab = make(lab_id)
    drive(lab, RUNS[lab_id][1], step, None)
    return lab


@pytest.mark.parametrize("lab_id", list(RUNS))
def test_rewinding_to_k_and_replaying_to_n_is_bit_identical(lab_id: str) -> None:
    _, changes, n = RUNS[lab_id]
    live = make(lab_id)
    timeline = Timeline()
    drive(live, changes, n, timeline)
    final = state(live)
    assert len(final) > 5  # the walk sees the model
    for k in sorted({0, 1, 5, 7, 13, 14, 20, 21, n // 2 + 1, n - 1, n}):
        back = timeline.seek(live, k)
        assert back.steps == k and back is not live
        assert state(back) == state(reference(lab_id, k)), f"at step {k}"
        # on to n with the same changes, in other chunks than the live run took
        drive(back, [c for c in changes if c[0] > k], n, None, chunk=1)
        assert state(back) == final, f"rewound to {k}"
        assert back.log.events == live.log.events and back.log.params == live.log.params


@pytest.mark.parametrize("lab_id", list(RUNS))
def test_scrubbing_forward_and_back_lands_on_each_step(lab_id: str) -> None:
    """A seek from a rewound lab (forward, then back) reaches the run's own states."""
    _, changes, n = RUNS[lab_id]
    lab = make(lab_id)
    timeline = Timeline()
    drive(lab, changes, n, timeline)
    for k in (3, n - 2, 11, n):
        lab = timeline.seek(lab, k)
        assert state(lab) == state(reference(lab_id, k)), f"at step {k}"


@pytest.mark.parametrize("lab_id", list(RUNS))
def test_a_branched_run_exports_a_script_that_replays_it(lab_id: str, tmp_path: Path) -> None:
    """Back to step 9, a new rate, 8 more updates: the script prints the live numbers."""
    _, changes, n = RUNS[lab_id]
    lab = make(lab_id)
    timeline = Timeline()
    drive(lab, changes, n, timeline)
    lab = timeline.seek(lab, 9)
    assert all(e[0] <= 9 for e in lab.log.events)
    apply(lab, "params", {"lr": lab.params.lr * 0.5})
    lab.step(8)
    timeline.note(lab, lab.frame())  # the run moved on: it has branched
    assert timeline.span(lab) == (0, 17)
    with pytest.raises(OpError):
        timeline.seek(lab, 18)  # the old future is gone
    result = run_script(lab, tmp_path)
    assert result["step"] == 17
    assert result["loss"] == lab.frame()["loss"]["train"]


def test_the_checkpoints_stay_within_their_budget_and_any_step_is_still_exact() -> None:
    lab = registry()["beans"](registry()["beans"].Params(n=60))
    timeline = Timeline(budget=60_000)  # a few dozen beans checkpoints
    timeline.note(lab, lab.frame())
    for _ in range(1500):
        lab.step(1)
        timeline.note(lab, lab.frame())
        assert timeline.nbytes <= 60_000
    steps = [p.step for p in timeline.points]
    assert steps[0] == 0 and timeline.stride > 1
    assert max(b - a for a, b in itertools.pairwise(steps)) <= 2 * timeline.stride
    twin = registry()["beans"](registry()["beans"].Params(n=60))
    twin.step(777)
    assert state(timeline.seek(lab, 777)) == state(twin)


def test_going_back_before_a_divergence_and_halving_the_rate_converges() -> None:
    """Beans' "too large" lesson blows up; the healthy step is before the cost started
    to climb, and from there half the rate reaches the least-squares optimum."""
    cls = registry()["beans"]
    preset = {k: v for k, v in PRESETS["too_large"].items() if k != "speed"}
    lab = cls(cls.Params(**preset))
    timeline = Timeline()
    start = lab.frame()["loss"]["train"]
    timeline.note(lab, lab.frame())
    while not lab.diverged:
        lab.step(1)
        timeline.note(lab, lab.frame())
    healthy = timeline.healthy(lab)
    assert 0 < healthy < lab.steps
    back = timeline.seek(lab, healthy)
    assert isinstance(back, Beans)
    loss = back.frame()["loss"]["train"]
    assert not back.diverged and loss <= start
    back.apply(dataclasses.replace(back.params, lr=back.params.lr / 2))
    back.step(3000)
    w, b = back.optimum
    assert not back.diverged and abs(back.w - w) < 1e-6 and abs(back.b - b) < 1e-6


def test_a_reset_starts_a_new_timeline_and_steps_outside_it_are_refused() -> None:
    lab = make("neuron")
    timeline = Timeline()
    drive(lab, [], 12, timeline)
    lab.restart()
    lab.step(4)
    timeline.note(lab, lab.frame())
    assert timeline.span(lab) == (4, 4)  # the old run's checkpoints are gone
    for bad in (3, 5):
        with pytest.raises(OpError) as refused:
            timeline.seek(lab, bad)
        assert refused.value.field == "step"


def test_a_change_merged_into_a_checkpoints_last_change_is_replayed() -> None:
    """Two changes at one step are one event; a checkpoint between them still replays both."""
    lab = make("beans")
    timeline = Timeline()
    timeline.note(lab, lab.frame())
    lab.step(5)
    apply(lab, "params", {"lr": 0.1})
    timeline.note(lab, lab.frame())  # checkpoint at step 5, after the first change
    apply(lab, "params", {"batch_size": 3})  # merged into the event of step 5
    assert lab.log.events == [(5, "params", {"lr": 0.1, "batch_size": 3})]
    lab.step(6)
    assert state(timeline.seek(lab, 11)) == state(lab)
    assert state(timeline.seek(lab, 5)) == state(reference_with(5, {"lr": 0.1, "batch_size": 3}))


def reference_with(step: int, values: dict[str, Any]) -> Lab[Any]:
    lab = make("beans")
    lab.step(step)
    apply(lab, "params", values)
    return lab
