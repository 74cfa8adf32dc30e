"""Rewind: go back to any earlier step of the current run, and branch from there.

A run is deterministic: its record (``RunLog``: the params at step 0 and every
live change at its step) replays it bit for bit. So a few snapshots of the lab
(checkpoints) are enough to reach any step: restore the newest checkpoint at or
before it and replay the recorded changes up to it. Checkpoints are thinned as
the run grows (every other one goes, and they are taken half as often), so the
memory they take stays under a budget while the longest replay grows only with
the gap between two of them.

A seek returns a new lab at the step asked for, with a record that ends there:
an export made then replays to that step. The later history is kept until the
run changes (a step, a live change, a logged op); then the run has branched,
and the checkpoints past the branch point go.
"""

from __future__ import annotations

import copy
import io
import json
import math
import time
from dataclasses import replace
from typing import Any

from engine.lab import Lab, Message, OpError
from engine.runlog import Event, RunLog
from engine.snapshots import Blobs, Checkpoint, Loader, Saver

DEFAULT_BUDGET = 8 * 2**20  # bytes of checkpoints per session


class Timeline:
    """The checkpoints of one session's current run, under ``budget`` bytes."""

    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self.blobs = Blobs()
        self.points: list[Checkpoint] = []
        self.stride = 1  # steps between two checkpoints, at least
        self.log: RunLog | None = None  # the record of the run the checkpoints are of
        self.tip: int | None = None  # while rewound: the newest step of the run
        self._at: tuple[int, RunLog, int, Event | None] | None = None  # where a seek left it

    # -- keeping up with the run ---------------------------------------------------------

    def note(self, lab: Lab[Any], frame: Message | None = None) -> None:
        """The lab after a frame (``frame``) or a slice of updates: checkpoint it when due."""
        self._sync(lab)
        if self.tip is not None:
            return  # rewound: every step up to the tip is already reachable
        last = self.points[-1] if self.points else None
        if last is not None and last.step == lab.steps and frame is not None:
            self._update_view(last, lab, frame)
        elif last is None or lab.steps >= last.step + self.stride:
            self.points.append(self._take(lab, frame))
            self._thin()

    def _update_view(self, point: Checkpoint, lab: Lab[Any], frame: Message) -> None:
        """A frame at the checkpoint's step: it holds the loss; changes since are replayed."""
        point.loss, point.diverged = frame["loss"]["train"], bool(frame["diverged"])

    def _sync(self, lab: Lab[Any]) -> None:
        """Follow restarts (a new record) and branches (the rewound lab moved on)."""
        if self._at is not None:
            step, log, events, last = self._at
            if lab.log is log and lab.steps == step and _same(log.events, events, last):
                return  # still where the seek left it
            self._at, self.tip = None, None
            if lab.log is log:  # it moved on from there: the run branches
                self._drop(lambda p: p.step > step)
                self.log = log
                return
        if lab.log is not self.log:  # a reset, new data or a fork: a new run
            self._drop(lambda p: True)
            self.stride, self.log = 1, lab.log

    def _take(self, lab: Lab[Any], frame: Message | None) -> Checkpoint:
        buffer = io.BytesIO()
        saver = Saver(buffer, self.blobs, lab.log)
        self.blobs.fresh = {}
        saver.dump(lab)
        self.blobs.recent = self.blobs.fresh
        events = lab.log.events
        return Checkpoint(
            step=lab.steps,
            state=buffer.getvalue(),
            keys=saver.keys,
            events=len(events),
            last=copy.deepcopy(events[-1]) if events else None,
            loss=frame["loss"]["train"] if frame is not None else None,
            diverged=bool(frame["diverged"]) if frame is not None else lab.diverged,
        )

    def _thin(self) -> None:
        """Past the budget: checkpoints twice as far apart, the first always kept."""
        while self.nbytes > self.budget and len(self.points) > 2:
            self.stride *= 2
            kept, gone = [self.points[0]], []
            for point in self.points[1:]:
                if point.step >= kept[-1].step + self.stride or point is self.points[-1]:
                    kept.append(point)
                else:
                    gone.append(point)
            if not gone:
                continue
            self.points = kept
            for point in gone:
                self.blobs.release(point.keys)

    def _drop(self, which: Any) -> None:
        for point in [p for p in self.points if which(p)]:
            self.blobs.release(point.keys)
        self.points = [p for p in self.points if not which(p)]

    # -- going back ------------------------------------------------------------------------

    @property
    def nbytes(self) -> int:
        """Memory the checkpoints take: their pickles and the arrays they keep."""
        return sum(len(p.state) for p in self.points) + self.blobs.nbytes

    def span(self, lab: Lab[Any]) -> tuple[int, int]:
        """The first and last step a seek can reach."""
        self._sync(lab)
        first = self.points[0].step if self.points else lab.steps
        last = self.tip if self.tip is not None else lab.steps
        if self.log is not None and self.log.full_at is not None:
            last = min(last, max(first, self.log.full_at - 1))
        return first, last

    def healthy(self, lab: Lab[Any]) -> int:
        """The step of the newest checkpoint from before the run went bad: not diverged,
        and a training loss no higher than at the first checkpoint that has one."""
        first, last = self.span(lab)
        shown = [p for p in self.points if p.step <= last and _finite(p.loss) and not p.diverged]
        if not shown:
            return first
        start = shown[0].loss
        assert start is not None
        good = [p for p in shown if p.loss is not None and p.loss <= start]
        return good[-1].step

    def seek(self, lab: Lab[Any], step: int) -> Lab[Any]:
        """A new lab at ``step`` of this run, its record ending there; ``lab`` is untouched."""
        replay = self.begin(lab, step)
        while not replay.advance(math.inf):
            pass
        return self.end(lab, replay)

    def begin(self, lab: Lab[Any], step: int) -> Replay:
        """The lab of the newest checkpoint at or before ``step``, to be replayed up to it."""
        first, last = self.span(lab)
        if not first <= step <= last:
            raise OpError("invalid_params", f"step: expected {first}…{last}, got {step}", "step")
        assert self.log is not None
        point = max((p for p in self.points if p.step <= step), key=lambda p: p.step)
        loader = Loader(io.BytesIO(point.state), self.blobs)
        return Replay(loader.load(), self.log, point, step)

    def end(self, lab: Lab[Any], replay: Replay) -> Lab[Any]:
        """The replayed lab, with the record of the run up to its step; rewound there."""
        new, step = replay.lab, replay.step
        assert self.log is not None and new.steps == step
        new.take_messages()  # side messages of the replay: the session sends the data anew
        new.log = _branch_record(self.log, step)
        new.rewound()
        if self.tip is None:
            self.tip = lab.steps
        events = new.log.events
        self._at = (step, new.log, len(events), copy.deepcopy(events[-1]) if events else None)
        return new

    def info(self, lab: Lab[Any]) -> dict[str, Any]:
        """What a page's timeline shows, and what the checkpoints cost."""
        first, last = self.span(lab)
        return {
            "step": lab.steps,
            "first": first,
            "last": last,
            "checkpoints": len(self.points),
            "stride": self.stride,
            "bytes": self.nbytes,
            "budget": self.budget,
            "healthy": self.healthy(lab) if lab.diverged else None,
        }


def _same(events: list[Event], count: int, last: Event | None) -> bool:
    return len(events) == count and (events[-1] if events else None) == last


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


class Replay:
    """From a checkpoint's lab to ``step``: the updates, and each change at its step, in
    slices of about a given time (a long replay must not hold a worker thread)."""

    def __init__(self, lab: Lab[Any], log: RunLog, point: Checkpoint, step: int) -> None:
        self.lab, self.step = lab, step
        start = point.events
        if start and log.events[start - 1] != point.last:
            # a live change at the checkpoint's step merged into its newest event afterwards:
            # setting those params again is harmless, and brings in the merged ones
            _apply(lab, log.events[start - 1])
        self.changes = [e for e in log.events[start:] if e[0] <= step]

    def advance(self, seconds: float) -> bool:
        """Replay for about ``seconds`` (at least one update); True once at ``step``."""
        lab, start, chunk = self.lab, time.perf_counter(), 1
        while True:
            while self.changes and self.changes[0][0] == lab.steps:
                _apply(lab, self.changes.pop(0))
            if lab.steps >= self.step:
                return True
            stop = self.changes[0][0] if self.changes else self.step
            want = min(chunk, stop - lab.steps)
            if lab.step(want) != want:  # the run it replays went on from here: it cannot stop
                raise RuntimeError(f"replay stopped at step {lab.steps}, short of {stop}")
            if time.perf_counter() - start >= seconds:
                return False
            chunk *= 2


def _apply(lab: Lab[Any], event: Event) -> None:
    _, kind, values = event
    if kind == "params":
        now = lab.params
        typed = {
            k: tuple(v) if isinstance(getattr(now, k), tuple) else v for k, v in values.items()
        }
        lab.apply(replace(now, **typed))
    else:
        args, _ = lab.ops[kind]
        lab.call_op(kind, args(**values))


def _branch_record(full: RunLog, step: int) -> RunLog:
    """The record of the run up to ``step``: what an export of the rewound lab replays."""
    log = RunLog(dict(full.params))
    log.events = [copy.deepcopy(e) for e in full.events if e[0] <= step]
    log.rows = [row for row in full.rows if json.loads(row)["step"] <= step]
    log.stride = full.stride
    log.seen = max(1, (len(log.rows) - 1) * full.stride + 1) if log.rows else 0
    log.last_step = json.loads(log.rows[-1])["step"] if log.rows else None
    log.full_at = full.full_at if full.full_at is not None and full.full_at <= step else None
    return log
