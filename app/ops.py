"""A session's ops: what each client message does to its lab, and the first message.

``Session`` (app/session.py) mixes this in; the methods run on its runner, which
alone touches the lab (through ``call``, on the scheduler's threads).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, TypeVar

from app.labspec import LabSpec
from app.pacing import Pacer, StepJob
from app.protocol import (
    CLASSROOM_OPS,
    CORE_OPS,
    PROTOCOL_VERSION,
    ProtocolError,
    encode,
    shown,
)
from app.upload import UPLOAD_OPS, Uploads, accepts
from engine.lab import Effect, Lab, Message

if TYPE_CHECKING:
    from app.classroom import Classroom
    from app.outbox import Outbox
    from app.rewind import Rewinder
    from app.settings import Settings

T = TypeVar("T")


class Ops:
    """The ops of one session: configure, play, pause, step, seek, reset and the lab's own."""

    spec: LabSpec
    settings: Settings
    lab: Lab[Any]
    speed: float
    running: bool
    stepping: StepJob | None
    pacer: Pacer
    outbox: Outbox
    classroom: Classroom
    uploads: Uploads
    rewind: Rewinder

    if TYPE_CHECKING:  # the session's own (app/session.py)

        async def call(self, fn: Callable[..., T], *args: Any) -> T: ...
        async def _handle(self, item: Any) -> bool: ...
        async def _end_step(self) -> None: ...
        def data_and_frame(self, msg_id: Any, with_data: bool) -> list[str]: ...

    def hello(self, params: dict[str, Any], **extra: Any) -> Message:
        """The first message: the protocol, the params in force and the limits."""
        return {
            "type": "hello",
            "protocol": PROTOCOL_VERSION,
            "lab": self.spec.id,
            "params": params,
            "limits": self._limits(),
            # ack each frame drawn with {"op":"ack"}: then at most `window` are in flight
            "flow": {"ack": True, "window": self.settings.frame_window},
            **extra,
        }

    def _limits(self) -> dict[str, Any]:
        s = self.settings
        return {
            "max_steps": s.max_steps,
            "max_speed": s.max_speed,
            "fps": s.fps,
            "frame_budget_ms": s.frame_budget_ms,
            "max_message_bytes": s.max_message_bytes,
            "upload": {"max_bytes": s.max_upload_bytes, "max_rows": s.max_upload_rows},
            "params": self.spec.limits,
        }

    async def act(self, msg: dict[str, Any]) -> None:
        """An op the server asks for (a teacher's pause or push), answered as any op."""
        await self._handle(msg)

    async def _dispatch(self, msg: dict[str, Any], msg_id: Any) -> bool:
        op = msg["op"]
        if await self.classroom.handle(op, msg, msg_id):
            return False
        if op in CORE_OPS and self.stepping is not None:
            await self._end_step()  # any control op ends a step under way, answered first
        if op == "configure":
            return await self._configure(msg.get("params"), msg_id)
        if op in ("play", "pause"):
            self._set_running(op == "play", msg_id)
        elif op == "step":
            self.stepping = StepJob(self._step_count(msg.get("steps", 1)), msg_id)
        elif op == "seek":
            await self.rewind.seek(msg, msg_id)
        elif op == "reset":
            self.pacer.forget()
            self.outbox.put(*await self.call(self._reset_and_frame, msg_id))
        elif op in self.spec.lab.ops:
            args = self.spec.validate_op(op, msg)
            self.outbox.put(*await self.call(self._lab_op, op, args, msg_id))
        elif op in UPLOAD_OPS and accepts(self.lab):
            if self.stepping is not None:
                await self._end_step()
            await self.uploads.handle(op, msg, msg_id)
        else:
            uploads = UPLOAD_OPS if accepts(self.lab) else ()
            known = ", ".join([*CORE_OPS, "ack", *CLASSROOM_OPS, *self.spec.lab.ops, *uploads])
            raise ProtocolError("unknown_op", f"unknown op {shown(op)}; expected one of: {known}")
        return False

    def _step_count(self, steps: Any) -> int:
        top = self.settings.max_steps
        if isinstance(steps, int) and not isinstance(steps, bool) and 1 <= steps <= top:
            return steps
        message = f"expected an integer in [1, {top}], got {shown(steps)}"
        error = {"field": "steps", "message": message}
        raise ProtocolError("invalid_params", "bad step count", [error])

    async def _configure(self, changes: Any, msg_id: Any) -> bool:
        params, session = self.spec.validate(self.lab.params, changes)
        if "speed" in session:
            self.speed = session["speed"]
        effect = await self.call(self.lab.apply, params)
        self.pacer.forget()  # the cost of a step may have changed: measure it again
        config = {"type": "config", "params": self.params(), "reset": effect is not Effect.LIVE}
        texts = [self.encode_reply(config, msg_id)]
        if effect is Effect.LIVE:
            texts += [self.encode_reply(m, msg_id) for m in self.lab.take_messages()]
        else:
            texts += await self.call(self.data_and_frame, msg_id, effect is Effect.DATA)
        self.outbox.put(*texts)
        return True

    def _set_running(self, running: bool, msg_id: Any) -> None:
        reason = None
        if running and self.lab.diverged:
            running, reason = False, "diverged"
        self.running = running
        self.pacer.credit = 0.0
        self.reply(msg_id, self.state(reason))

    def _reset_and_frame(self, msg_id: Any) -> list[str]:
        self.lab.restart()
        return self.data_and_frame(msg_id, False)

    def _lab_op(self, op: str, args: Any, msg_id: Any) -> list[str]:
        reply = self.lab.call_op(op, args)
        return [self.encode_reply(m, msg_id) for m in [reply, *self.lab.take_messages()]]

    # -- replies ------------------------------------------------------------------------

    def encode_reply(self, message: Message, msg_id: Any) -> str:
        return encode(message if msg_id is None else {**message, "id": msg_id})

    def reply(self, msg_id: Any, message: Message) -> None:
        self.outbox.put(self.encode_reply(message, msg_id))

    def state(self, reason: str | None = None) -> Message:
        return {"type": "state", "running": self.running, "reason": reason}

    def params(self) -> dict[str, Any]:
        return {**asdict(self.lab.params), "speed": self.speed}
