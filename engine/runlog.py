"""The record of a run that an export replays: where it started and what changed since.

A run starts at the last reset (or data change): ``params`` are the params in
force then, with step 0. ``events`` are what the learner did while it trained,
in order, as ``(k, kind, values)``: applied after ``k`` updates, where kind is
``"params"`` (values: the params that changed, new values) or the name of a
state-changing lab op (values: its arguments). ``history`` keeps the loss and
metrics of the frames the learner saw, by step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

Event = tuple[int, str, dict[str, Any]]
MAX_HISTORY = 1000  # frames kept; past this every other one is dropped, keeping the shape
# (even: halving 1001 rows keeps the newest)
# (a learning curve needs no more points; at 30 frames/s the record stops growing in 35 s)
# live changes kept: a replay needs every one, so past this the record stops (``full_at``)
# rather than grow without bound; changes made at one step are merged into one first
MAX_EVENTS = 2000


def _number(value: Any) -> Any:
    """A NumPy scalar as JSON writes a Python one."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def plain(value: Any) -> Any:
    """A param value as JSON and a Python literal write it: tuples become lists."""
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


@dataclass
class RunLog:
    """Initial params, live changes and frame history of the current run."""

    params: dict[str, Any]
    events: list[Event] = field(default_factory=list)
    # the history as JSON texts: nested dicts took about 900 bytes a frame, 3.5 MB a
    # session once full; a text takes a fifth of that
    rows: list[str] = field(default_factory=list)
    # thinning: the rows are every ``stride``-th distinct step seen, ``seen`` of them so far
    stride: int = 1
    seen: int = 0
    last_step: int | None = None  # the newest step seen, kept or not
    # the step of the first change the record could not keep: a replay stops there
    full_at: int | None = None

    @classmethod
    def start(cls, params: dict[str, Any], carried: list[tuple[str, dict[str, Any]]]) -> RunLog:
        """A new run at step 0; ``carried`` ops (e.g. added points) outlive the restart."""
        log = cls({k: plain(v) for k, v in params.items()})
        log.events = [(0, kind, values) for kind, values in carried]
        return log

    def change(self, step: int, changed: dict[str, Any]) -> None:
        """New params after ``step`` updates; several at one step (a slider dragged while
        paused) merge into one event, which a replay applies the same way."""
        if not changed:
            return
        values = {k: plain(v) for k, v in changed.items()}
        last = self.events[-1] if self.events else None
        if last is not None and last[0] == step and last[1] == "params" and self.full_at is None:
            last[2].update(values)
        else:
            self._append((step, "params", values))

    def op(self, step: int, name: str, args: dict[str, Any]) -> None:
        self._append((step, name, {k: plain(v) for k, v in args.items()}))

    def _append(self, event: Event) -> None:
        if self.full_at is not None:
            return
        if len(self.events) >= MAX_EVENTS:
            self.full_at = event[0]
            return
        self.events.append(event)

    def replayable(self, steps: int) -> int:
        """How many of ``steps`` updates a replay of this record reproduces."""
        return steps if self.full_at is None else min(steps, self.full_at)

    def record(self, frame: dict[str, Any]) -> None:
        """Keep a frame's step, loss and metrics: once per step (the newest view of a step
        wins, as a live change re-evaluates it), every ``stride``-th step once thinned."""
        step = frame["step"]
        if step != self.last_step:
            self.last_step = step
            self.seen += 1
        elif self._kept(self.seen):
            self.rows.pop()
        if not self._kept(self.seen):
            return
        row = {"step": step, "loss": frame["loss"], "metrics": frame["metrics"]}
        self.rows.append(json.dumps(row, separators=(",", ":"), default=_number))
        if len(self.rows) > MAX_HISTORY:  # evenly: every other row, and half as often
            self.rows = self.rows[::2]
            self.stride *= 2

    def _kept(self, nth: int) -> bool:
        return (nth - 1) % self.stride == 0

    def __setstate__(self, state: dict[str, Any]) -> None:
        # a snapshot pickled before the rows (a room's final state outlives a deploy)
        if "history" in state:
            history = state.pop("history")
            state["rows"] = [json.dumps(row, separators=(",", ":")) for row in history]
            state["last_step"] = history[-1]["step"] if history else None
            state["seen"] = len(history)
        self.__dict__.update({"stride": 1, "seen": 0, **state})

    @property
    def history(self) -> list[dict[str, Any]]:
        """Each kept frame's step, loss and metrics, oldest first."""
        return [json.loads(row) for row in self.rows]
