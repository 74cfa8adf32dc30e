"""The ``seek`` op: one session's way back to an earlier step of its run (engine/rewind.py).

The session keeps a timeline of checkpoints as it makes frames and runs slices of a
long ``step``; ``seek`` swaps the session's lab for the one at the step asked for and
answers with its frame, like any op. What it sends goes to a presenter's followers too,
as ordinary messages. Resuming from there is any op that changes the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.pacing import Pacer, StepJob
from app.protocol import ProtocolError, encode, shown
from engine.lab import Lab, Message
from engine.rewind import Replay, Timeline

if TYPE_CHECKING:
    from app.session import Session

SEEK_ARGS = ("step", "to")
HEALTHY = "healthy"  # `to`: the newest checkpoint from before the run went bad


class Rewinder:
    """The timeline of one session, fed by its frames and step slices."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.timeline = Timeline(int(session.settings.rewind_budget_mb * 2**20))

    # -- on the scheduler's threads --------------------------------------------------

    def noted(self, lab: Lab[Any], frame: Message) -> None:
        self.timeline.note(lab, frame)

    def slice(self, pacer: Pacer, lab: Lab[Any], job: StepJob) -> bool:
        """A slice of a ``step`` op, then a checkpoint if one is due: a long step has them too."""
        done = pacer.slice(lab, job)
        self.timeline.note(lab)
        return done

    def _begin(self, target: int | str) -> tuple[Replay, list[str]]:
        """The replay to the step asked for, and the data messages the client has now."""
        lab = self.session.lab
        step = self.timeline.healthy(lab) if target == HEALTHY else int(target)
        return self.timeline.begin(lab, step), [encode(m) for m in lab.data_messages()]

    def _end(self, replay: Replay, before: list[str], msg_id: Any) -> list[str]:
        s = self.session
        new = s.lab = self.timeline.end(s.lab, replay)
        data = new.data_messages()
        # the data only when it differs (circles' points, beans' widened bowl): a scrub
        # through a digits run must not send its data each time
        changed = [encode(m) for m in data] != before
        texts = [s.encode_reply(m, msg_id) for m in data] if changed else []
        frame = s._frame()
        frame["rewind"] = self.timeline.info(new)
        return [*texts, s.encode_reply(frame, msg_id)]

    # -- on the event loop ---------------------------------------------------------------

    async def seek(self, msg: dict[str, Any], msg_id: Any) -> None:
        """``{"op": "seek", "step": k}`` or ``{"op": "seek", "to": "healthy"}``."""
        s = self.session
        target = _target(msg)
        was_running = s.running
        s.running = False  # a step back is looked at, not played through
        s.pacer.forget()
        replay, before = await s.call(self._begin, target)
        # in slices of a frame's budget: a long replay shares the worker threads fairly
        budget = s.settings.frame_budget_ms / 1000
        while not await s.call(replay.advance, budget):
            pass
        s.outbox.put(*await s.call(self._end, replay, before, msg_id))
        if was_running:
            s.reply(None, s.state())


def _target(msg: dict[str, Any]) -> int | str:
    unknown = [k for k in msg if k not in (*SEEK_ARGS, "op", "id")]
    if unknown:
        errors = [{"field": str(k)[:60], "message": "unknown argument for seek"} for k in unknown]
        raise ProtocolError("invalid_params", "invalid params: " + ", ".join(unknown), errors)
    step, to = msg.get("step"), msg.get("to")
    if to == HEALTHY and step is None:
        return HEALTHY
    if to is not None:
        error = {"field": "to", "message": f"expected 'healthy', got {shown(to)}"}
        raise ProtocolError("invalid_params", "bad seek target", [error])
    if isinstance(step, int) and not isinstance(step, bool) and step >= 0:
        return step
    error = {"field": "step", "message": f"expected an integer ≥ 0, got {shown(step)}"}
    raise ProtocolError("invalid_params", "bad seek step", [error])
