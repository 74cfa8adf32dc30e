"""One WebSocket, one private training session.

Three tasks share a session: the receiver turns client text into inbox items,
the runner is the only code that touches the lab, and the sender writes the
outbox to the socket. Every CPU-heavy call runs on the shared fair scheduler,
one at a time per session, so the lab needs no lock.

The runner never lets work stand between a client and its answer: it takes
every waiting op before it trains, and training comes in short slices (a
frame's CPU budget), so Pause, a slider or Reset is answered within a frame
however big the network, and a long ``step`` runs across slices. A slow client
gets fewer frames and slower training, never a growing queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from starlette.websockets import WebSocket, WebSocketDisconnect

from app.classmates import ClassCommand
from app.classroom import Classroom, ForkRequest, RoomTaken
from app.inbox import POLICY_VIOLATION, WAKE, Inbox
from app.labspec import LabSpec
from app.ops import Ops
from app.outbox import Outbox, RateLimit, StalledError
from app.pacing import Pacer, StepJob
from app.protocol import (
    ProtocolError,
    encode,
)
from app.rewind import Rewinder
from app.rooms import Rooms
from app.scheduler import Scheduler
from app.settings import Settings
from app.upload import Uploads
from engine.lab import Lab, Message, OpError

T = TypeVar("T")
log = logging.getLogger("descent.session")


class Session(Ops):
    """Adapts one WebSocket to one lab: receive → validate → call the lab → encode → send."""

    def __init__(
        self,
        ws: WebSocket,
        spec: LabSpec,
        settings: Settings,
        scheduler: Scheduler,
        rooms: Rooms,
    ) -> None:
        self.ws, self.spec, self.settings, self.scheduler = ws, spec, settings, scheduler
        self.tenant = scheduler.tenant()
        self.classroom = Classroom(self, rooms)
        self.outbox = Outbox(
            settings.max_outbox_bytes, settings.send_timeout_s, settings.frame_window
        )
        self.inbox = Inbox(settings.max_inbox, self.outbox.ack, self._log_bug)
        self.outbox.on_free = self.inbox.wake
        self.running = False
        self.speed = spec.lab.default_speed
        self.pacer = Pacer(settings.frame_budget_ms / 1000)
        self.stepping: StepJob | None = None  # a `step` op still under way
        self.lab: Lab[Any]
        self.work: Future[Any] | None = None  # the scheduler's current job for this session
        self.log_limit = RateLimit(1 / 60)  # a bad client must not flood the server's log
        # each frame made, with its lab, on the scheduler's thread (a class member's summary)
        self.on_frame: Callable[[Lab[Any], Message], None] | None = None
        self.uploads = Uploads(self)  # a learner's own data, sent in parts
        self.rewind = Rewinder(self)  # checkpoints of the run, for `seek`

    async def run(self, query: dict[str, str]) -> None:
        """Serve until the client leaves; whatever happens, tasks are cleaned up."""
        sender = asyncio.create_task(self.outbox.drain(self.ws))
        s = self.settings
        receiver = asyncio.create_task(
            self.inbox.read(self.ws, s.max_message_bytes, s.max_messages_per_second)
        )
        tasks = {sender, receiver}
        try:
            if "follow" in query:
                if not await self.classroom.follow(query["follow"], query):
                    return
            elif "present" in query and await self.classroom.reclaim(query):
                pass  # a presenter's page back: its room and its run
            else:
                await self._start(query)
                if "present" in query:  # too late, or not its room: presenting is over
                    closed = {"type": "room_closed", "room": query["present"][:16]}
                    self.outbox.put(encode(closed), mirror=False)
                if "class" in query:  # a class member's page, back after a blip
                    await self.classroom.rejoin(query)
            tasks.add(asyncio.create_task(self._run_loop()))
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if not task.cancelled() and isinstance(task.exception(), Exception):
                    raise task.exception()  # type: ignore[misc]
        except StalledError as exc:
            await self._close(POLICY_VIOLATION, str(exc))
        except (WebSocketDisconnect, RuntimeError):
            pass  # the client left mid-send; nothing to report to it
        finally:
            await self._end(tasks)

    async def _end(self, tasks: set[asyncio.Task[Any]]) -> None:
        for task in tasks:
            task.cancel()
        self.running, self.stepping = False, None
        # Leaving a room must finish even if this task is being cancelled (anyio, as in
        # TestClient, cancels every await that follows): it runs in a task of its own.
        leaving = asyncio.ensure_future(self._leave(tasks))
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(leaving)

    async def _leave(self, tasks: set[asyncio.Task[Any]]) -> None:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        if self.work is not None and not self.work.cancel():
            # a job already running finishes its slice: let the lab settle before a
            # closing room hands it to forks
            with contextlib.suppress(Exception):
                await asyncio.wrap_future(self.work)
        try:
            await self.classroom.leave()
        except Exception as exc:  # the room service may be gone; the session ends anyway
            self._log_bug("leaving its room", exc)

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code, reason[:120]), 2)

    # -- tasks ---------------------------------------------------------------------

    async def _run_loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        while True:
            if self.stepping is not None:
                wait: float | None = 0.0  # a long step goes on at once, between ops
            elif self.running and not self.outbox.frame_pending:
                wait = next_tick - loop.time()
            elif self.running and self.outbox.latest is None:
                wait = self.outbox.credit_wait()  # no ack yet: a frame goes anyway after this
            else:
                wait = None  # until an op, or until the client can take a frame (WAKE)
            item = await self.inbox.next(wait)
            if item is WAKE:
                continue
            if item is None:
                if self.stepping is None:
                    next_tick = max(next_tick + 1 / self.settings.fps, loop.time())
                await self._tick()
                continue
            await self.outbox.room_to_write()
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
            error = ProtocolError("invalid_params", "ignored invalid URL params", errors)
            texts.append(encode(error.to_message()))
        texts += await self.call(self.data_and_frame, None, True)
        self.outbox.put(*texts)

    async def _handle(self, item: Any) -> bool:
        """Carry out one client message; True when it changed the training live."""
        msg_id = None
        try:
            if isinstance(item, ProtocolError):
                msg_id = item.msg_id
                raise item
            if isinstance(item, ForkRequest):
                await self.classroom.answer_fork(item)
                return False
            if isinstance(item, ClassCommand):
                await self.classroom.command(item)
                return False
            if isinstance(item, RoomTaken):
                await self.classroom.taken()
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

    async def _tick(self) -> None:
        """One slice of work: a step under way, or one play frame."""
        job = self.stepping
        try:
            if job is not None:
                if await self.call(self.rewind.slice, self.pacer, self.lab, job):
                    await self._end_step()
                return
            if self.outbox.frame_pending:
                return  # the client has not taken the last frame: train no further
            result = await self.call(self._advance)
        except Exception as exc:  # a lab bug must not end the session
            self.stepping = None
            self._internal_error(job.msg_id if job is not None else None, exc)
            self.reply(None, self.state("error"))
            return
        if result is not None:
            self._show(*result)

    def _show(self, side: list[str], frame: str, stop: str | None) -> None:
        if side:
            self.outbox.put(*side)
        self.outbox.put_frame(frame)
        if stop:
            self.running = False
            self.reply(None, self.state(stop))

    async def _end_step(self) -> None:
        """Answer the step under way with a frame at the step it reached."""
        job, self.stepping = self.stepping, None
        if job is not None:
            self.outbox.put(*await self.call(self.data_and_frame, job.msg_id, False))

    # -- work on the scheduler's threads -------------------------------------------------

    def _advance(self) -> tuple[list[str], str, str | None] | None:
        """As many steps as the speed asks and the CPU budget allows, then one frame."""
        if not self.pacer.play_slice(self.lab, self.speed):
            return None
        frame = self.pacer.timed_frame(self._frame)
        side = [encode(m) for m in self.lab.take_messages()]
        return side, encode(frame), "diverged" if self.lab.diverged else None

    def data_and_frame(self, msg_id: Any, with_data: bool) -> list[str]:
        msgs = self.lab.data_messages() if with_data else []
        msgs += self.lab.take_messages()
        return [self.encode_reply(m, msg_id) for m in [*msgs, self._frame()]]

    def _frame(self) -> Message:
        """The lab's frame, kept in the run's history for the JSON export."""
        frame = self.lab.frame()
        self.lab.log.record(frame)
        self.rewind.noted(self.lab, frame)
        if self.on_frame is not None:
            self.on_frame(self.lab, frame)
        frame["t"] = round(time.time(), 3)  # when it was made (server clock): its age on arrival
        return frame

    # -- helpers ------------------------------------------------------------------------

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on the scheduler; the lab is touched only this way, one call at a time."""
        self.work = self.scheduler.submit(self.tenant, fn, *args)
        return await asyncio.wrap_future(self.work)

    def _internal_error(self, msg_id: Any, exc: Exception) -> None:
        """Report a bug in the lab's code and stop playing; the session stays open.

        The client learns that something failed, not the exception's text; the
        server's log has the traceback (at most one a minute per session).
        """
        self.running = False
        self._log_bug("running an op", exc)
        message = "internal error: the server could not do that; the session goes on"
        self._error(msg_id, ProtocolError("internal", message))

    def _log_bug(self, doing: str, exc: Exception) -> None:
        if self.log_limit.allow():
            log.error("bug in a %s session, %s", self.spec.id, doing, exc_info=exc)

    def _error(self, msg_id: Any, exc: ProtocolError) -> None:
        """An error answers this client only, not a presenter's followers."""
        self.outbox.put(self.encode_reply(exc.to_message(), msg_id), mirror=False)

    def state_text(self) -> str:
        return encode(self.state())
