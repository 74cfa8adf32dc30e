"""One WebSocket, one private training session.

Three tasks share a session: the receiver turns client text into inbox
items, the runner is the only code that touches the lab (every CPU-heavy call
runs in a worker thread, one at a time, so the lab needs no lock), and the
sender writes the outbox to the socket. Replies queue in order; play frames go
through a one-slot mailbox, and no new frame is computed while one still waits:
a slow client gets fewer frames (and slower training), never a growing queue,
and no frame's path is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import asdict
from typing import Any, TypeVar

from starlette.websockets import WebSocket, WebSocketDisconnect

from app.classroom import Classroom, ForkRequest
from app.outbox import Outbox, RateLimit
from app.protocol import (
    CLASSROOM_OPS,
    CORE_OPS,
    PROTOCOL_VERSION,
    LabSpec,
    ProtocolError,
    encode,
    parse_client,
)
from app.rooms import Rooms
from app.settings import Settings
from engine.lab import Effect, Lab, Message, OpError

T = TypeVar("T")


class Session:
    """Adapts one WebSocket to one lab: receive → validate → call the lab → encode → send."""

    def __init__(
        self,
        ws: WebSocket,
        spec: LabSpec,
        settings: Settings,
        executor: Executor,
        rooms: Rooms,
    ) -> None:
        self.ws, self.spec, self.settings, self.executor = ws, spec, settings, executor
        self.classroom = Classroom(self, rooms)
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self.outbox = Outbox()
        self.running = False
        self.speed = spec.lab.default_speed
        self.credit = 0.0  # fractional steps carried between frames at low speed
        self.seconds_per_step = 1e-4  # running estimate, to size chunks to the budget
        self.lab: Lab[Any]
        self.work: Future[Any] | None = None  # the worker thread's current call

    async def run(self, query: dict[str, str]) -> None:
        """Serve until the client leaves; whatever happens, tasks are cleaned up."""
        sender = asyncio.create_task(self.outbox.drain(self.ws))
        receiver = asyncio.create_task(self._receive())
        tasks = {sender, receiver}
        try:
            if "follow" in query:
                if not await self.classroom.follow(query["follow"]):
                    return
            else:
                await self._start(query)
            tasks.add(asyncio.create_task(self._run_loop()))
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if not task.cancelled() and isinstance(task.exception(), Exception):
                    raise task.exception()  # type: ignore[misc]
        except (WebSocketDisconnect, RuntimeError):
            pass  # the client left mid-send; nothing to report to it
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.gather(*tasks, return_exceptions=True)
            self.running = False
            if self.work is not None and not self.work.done():
                # cancelling the task does not stop the thread: let the lab settle before a
                # closing room hands it to forks
                with contextlib.suppress(Exception):
                    await asyncio.wrap_future(self.work)
            self.classroom.leave()

    # -- tasks ---------------------------------------------------------------------

    async def _receive(self) -> None:
        limit = RateLimit(self.settings.max_messages_per_second)
        async for text in self.ws.iter_text():
            if len(text.encode()) > self.settings.max_message_bytes:
                await self.ws.close(1008, "message too large")
                return
            if not limit.allow():
                await self.ws.close(1008, "too many messages")
                return
            try:
                await self.inbox.put(parse_client(text))
            except ProtocolError as exc:
                await self.inbox.put(exc)

    async def _run_loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        while True:
            timeout = max(0.0, next_tick - loop.time()) if self.running else None
            try:
                item = await asyncio.wait_for(self.inbox.get(), timeout)
            except TimeoutError:
                next_tick = max(next_tick + 1 / self.settings.fps, loop.time())
                await self._tick()
                continue
            tweaked = await self._handle(item)
            if tweaked and self.running:
                next_tick = loop.time()  # show a live change at once, not a frame later

    # -- ops -------------------------------------------------------------------------

    async def _start(self, query: dict[str, str]) -> None:
        params, session, errors = self.spec.from_query(query)
        self.speed = session["speed"]
        self.lab = await self.call(self.spec.lab, params)
        texts = [encode(self.hello(self.params()))]
        if errors:
            texts.append(
                encode(
                    ProtocolError(
                        "invalid_params", "ignored invalid URL params", errors
                    ).to_message()
                )
            )
        texts += await self.call(self.data_and_frame, None, True)
        self.outbox.put(*texts)

    def hello(self, params: dict[str, Any], **extra: Any) -> Message:
        """The first message: the protocol, the params in force and the limits."""
        return {
            "type": "hello",
            "protocol": PROTOCOL_VERSION,
            "lab": self.spec.id,
            "params": params,
            "limits": self._limits(),
            **extra,
        }

    async def _handle(self, item: Any) -> bool:
        """Carry out one client message; True when it changed the training live."""
        msg_id = None
        try:
            if isinstance(item, ProtocolError):
                raise item
            if isinstance(item, ForkRequest):
                await self.classroom.answer_fork(item)
                return False
            msg_id = item.get("id")
            return await self._dispatch(item, msg_id)
        except ProtocolError as exc:
            self._error(msg_id, exc)
        except OpError as exc:
            errors = [{"field": exc.field, "message": exc.message}] if exc.field else []
            self._error(msg_id, ProtocolError(exc.code, exc.message, errors))
        except Exception as exc:  # a lab bug must not end the session
            self._internal_error(msg_id, exc)
        return False

    async def _dispatch(self, msg: dict[str, Any], msg_id: Any) -> bool:
        op = msg["op"]
        if await self.classroom.handle(op, msg, msg_id):
            return False
        if op == "configure":
            return await self._configure(msg.get("params"), msg_id)
        if op in ("play", "pause"):
            self._set_running(op == "play", msg_id)
            return False
        if op == "step":
            steps = msg.get("steps", 1)
            if (
                not isinstance(steps, int)
                or isinstance(steps, bool)
                or not (1 <= steps <= self.settings.max_steps)
            ):
                raise ProtocolError(
                    "invalid_params",
                    "bad step count",
                    [
                        {
                            "field": "steps",
                            "message": f"expected an integer in [1, {self.settings.max_steps}], "
                            f"got {steps!r}",
                        }
                    ],
                )
            texts = await self.call(self._step_and_frame, steps, msg_id)
            self.outbox.put(*texts)
            return False
        if op == "reset":
            texts = await self.call(self._reset_and_frame, msg_id)
            self.outbox.put(*texts)
            return False
        if op in self.spec.lab.ops:
            args = self.spec.validate_op(op, msg)
            texts = await self.call(self._lab_op, op, args, msg_id)
            self.outbox.put(*texts)
            return False
        known = ", ".join([*CORE_OPS, *CLASSROOM_OPS, *self.spec.lab.ops])
        raise ProtocolError("unknown_op", f"unknown op {op!r}; expected one of: {known}")

    async def _configure(self, changes: Any, msg_id: Any) -> bool:
        params, session = self.spec.validate(self.lab.params, changes)
        if "speed" in session:
            self.speed = session["speed"]
        effect = await self.call(self.lab.apply, params)
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
        self.credit = 0.0
        self.reply(msg_id, self.state(reason))

    async def _tick(self) -> None:
        if self.outbox.frame_pending:
            return  # the client has not taken the last frame: wait for it, train no further
        try:
            result = await self.call(self._advance)
        except Exception as exc:  # a lab bug must not end the session
            self._internal_error(None, exc)
            self.reply(None, self.state("error"))
            return
        if result is None:
            return
        side, frame, stop = result
        if side:
            self.outbox.put(*side)
        self.outbox.put_frame(frame)
        if stop:
            self.running = False
            self.reply(None, self.state(stop))

    # -- work in the worker thread ----------------------------------------------------

    def _advance(self) -> tuple[list[str], str, str | None] | None:
        """As many steps as the speed asks and the CPU budget allows, then one frame."""
        self.credit += self.speed
        want = int(self.credit)
        self.credit -= want
        if want == 0:
            return None
        budget = self.settings.frame_budget_ms / 1000
        start = time.perf_counter()
        done = 0
        while done < want and not self.lab.diverged:
            left = budget - (time.perf_counter() - start)
            if left <= 0:
                break
            chunk = max(1, min(want - done, int(left / self.seconds_per_step)))
            t0 = time.perf_counter()
            done += self.lab.step(chunk)
            self.seconds_per_step = 0.7 * self.seconds_per_step + 0.3 * (
                (time.perf_counter() - t0) / chunk
            )
        frame = self._frame()
        side = [encode(m) for m in self.lab.take_messages()]
        stop = "diverged" if self.lab.diverged else None
        return side, encode(frame), stop

    def data_and_frame(self, msg_id: Any, with_data: bool) -> list[str]:
        msgs = self.lab.data_messages() if with_data else []
        msgs += self.lab.take_messages()
        return [self.encode_reply(m, msg_id) for m in [*msgs, self._frame()]]

    def _step_and_frame(self, steps: int, msg_id: Any) -> list[str]:
        self.lab.step(steps)
        return self.data_and_frame(msg_id, False)

    def _frame(self) -> Message:
        """The lab's frame, kept in the run's history for the JSON export."""
        frame = self.lab.frame()
        self.lab.log.record(frame)
        return frame

    def _reset_and_frame(self, msg_id: Any) -> list[str]:
        self.lab.restart()
        return self.data_and_frame(msg_id, False)

    def _lab_op(self, op: str, args: Any, msg_id: Any) -> list[str]:
        reply = self.lab.call_op(op, args)
        return [self.encode_reply(m, msg_id) for m in [reply, *self.lab.take_messages()]]

    # -- helpers ------------------------------------------------------------------------

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` in a worker thread; the lab is touched only this way, one call at a time."""
        self.work = self.executor.submit(fn, *args)
        return await asyncio.wrap_future(self.work)

    def encode_reply(self, message: Message, msg_id: Any) -> str:
        return encode(message if msg_id is None else {**message, "id": msg_id})

    def _internal_error(self, msg_id: Any, exc: Exception) -> None:
        """Report a bug in the lab's code and stop playing; the session stays open."""
        self.running = False
        self._error(msg_id, ProtocolError("internal", f"{type(exc).__name__}: {exc}"))

    def _error(self, msg_id: Any, exc: ProtocolError) -> None:
        """An error answers this client only, not a presenter's followers."""
        self.outbox.put(self.encode_reply(exc.to_message(), msg_id), mirror=False)

    def reply(self, msg_id: Any, message: Message) -> None:
        self.outbox.put(self.encode_reply(message, msg_id))

    def state(self, reason: str | None = None) -> Message:
        return {"type": "state", "running": self.running, "reason": reason}

    def state_text(self) -> str:
        return encode(self.state())

    def params(self) -> dict[str, Any]:
        return {**asdict(self.lab.params), "speed": self.speed}

    def _limits(self) -> dict[str, Any]:
        s = self.settings
        return {
            "max_steps": s.max_steps,
            "max_speed": s.max_speed,
            "fps": s.fps,
            "frame_budget_ms": s.frame_budget_ms,
            "max_message_bytes": s.max_message_bytes,
            "params": self.spec.limits,
        }
