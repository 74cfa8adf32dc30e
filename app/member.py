"""A student's place in a class: announced to the teacher, summarised, reachable.

A student who follows a room is announced on the room's class channel; once they
fork, their own session keeps them in the class: while the teacher's class view
is open (it says so on the control channel, and again every few seconds), about
twice a second it publishes a small summary of their run (``app/summaries.py``);
otherwise only a heartbeat. It listens on the room's control channel for the teacher's
pause, push and spotlight. While spotlighted, a ``Relay`` publishes what their
session sends on a channel of that spotlight's own, which the teacher's process
passes on to the room's followers.

On the bus, for room ``CODE``: channel ``room:CODE:class`` carries members'
JSON (``kind`` ``hello`` / ``sum`` / ``gone``) to the teacher's process, and
``room:CODE:ctl`` the teacher's commands (``do``) to every member.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from app.bus import Batch, Bus, BusDown
from app.presented import SEP, Presented
from app.summaries import Summary

log = logging.getLogger("descent.class")
Status = Callable[[], tuple[bool, dict[str, Any]]]  # a member's session: running?, its params
PERIOD = 0.5  # seconds between a student's summaries: tiles update about twice a second
HEARTBEAT = 3.0  # an unchanged run is still announced this often (the teacher drops silent ones)
WATCH_EXPIRES = 3 * HEARTBEAT  # no word from an open class view for this long: nobody watches


def class_channel(code: str) -> str:
    return f"room:{code}:class"


def control_channel(code: str) -> str:
    return f"room:{code}:ctl"


def new_id() -> str:
    return secrets.token_urlsafe(9)


class Relay(Presented):
    """A spotlighted student's session mirrored onto one channel (same framing as a room's)."""

    def __init__(self, bus: Bus, channel: str) -> None:  # no room of its own: not super()'s
        self.bus, self.channel = bus, channel
        self.queue: deque[bytes] = deque()
        self.frame: str | None = None
        self.wake = asyncio.Event()
        self.task = asyncio.create_task(self._publish())
        self.failures = 0
        self.retired = asyncio.Event()  # never set: a relay has no owner to change

    async def _round(self) -> None:
        batch = Batch([(self.channel, data) for data in self._waiting()])
        with contextlib.suppress(BusDown):  # a spotlight may miss frames, never the session
            await self.bus.run(batch)

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    def catch_up(self, texts: list[str]) -> None:
        """What a follower needs first: the student's data, params and newest frame."""
        self.queue.append(b"T" + SEP.join(texts).encode())
        self.wake.set()


class Member:
    """One student in a class, as seen from their own session's process."""

    def __init__(self, bus: Bus, code: str, member_id: str, name: dict[str, str],
                 on_command: Callable[[dict[str, Any]], None]) -> None:  # fmt: skip
        self.bus, self.code, self.id, self.name = bus, code, member_id, name
        self.on_command = on_command
        self.state = "watching"
        self.seated = False  # counted among the room's seats (forked, or back after a blip)
        self.summary: Summary | None = None
        self.status: Status | None = None
        self.task: asyncio.Task[None] | None = None
        self.sent: dict[str, Any] = {}
        self.sent_at = 0.0
        self.params: dict[str, Any] | None = None
        self.closed = False  # the teacher left: the class is over
        self.relay: Relay | None = None
        self.spot_id: str | None = None
        self.watched_at: float | None = None  # when an open class view last said so

    def watched(self) -> bool:
        """Is the teacher's class view open? (A teacher's process that died stops saying.)"""
        at = self.watched_at
        return at is not None and time.monotonic() - at < WATCH_EXPIRES

    def public(self) -> dict[str, Any]:
        """What the student's page learns of itself (the id lets it come back after a blip)."""
        return {"room": self.code, "member": self.id, "name": self.name, "state": self.state}

    async def announce(self) -> None:
        """A watcher is announced now and every few seconds (the teacher drops silent ones)."""
        await self._publish({"kind": "hello", "state": self.state})
        self.task = asyncio.create_task(self._heartbeat())

    async def _heartbeat(self) -> None:
        while self.state == "watching":
            await asyncio.sleep(HEARTBEAT)
            with contextlib.suppress(BusDown):
                await self._publish({"kind": "hello", "state": self.state})

    async def fork(self, summary: Summary, status: Status) -> None:
        """From now on the student trains on their own: summaries, and the teacher's commands."""
        if self.task is not None:
            self.task.cancel()
        self.state, self.summary, self.status = "forked", summary, status
        await self.bus.subscribe(control_channel(self.code), self._command)
        await self.send(force=True, fresh=True)
        self.task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(PERIOD)
            with contextlib.suppress(BusDown):
                if self.watched():
                    await self.send()
                    continue
                if self.summary is not None and self.summary.active:
                    self.summary.stop()  # the view closed without a word: its process is gone
                if time.monotonic() - self.sent_at >= HEARTBEAT:
                    self.sent_at = time.monotonic()
                    await self._publish({"kind": "hello", "state": self.state})

    async def send(self, force: bool = False, fresh: bool = False) -> None:
        """A summary, if the run changed (or now and then, to say the student is still here)."""
        if self.summary is None or self.status is None:
            return
        latest, pic = self.summary.take()
        running, params = self.status()
        body: dict[str, Any] = {**latest, "running": running}
        now = time.monotonic()
        same = pic is None and body == self.sent and params == self.params
        if same and not force and now - self.sent_at < HEARTBEAT:
            return
        msg: dict[str, Any] = {"kind": "sum", "state": self.state, **body}
        if pic is not None:
            msg["pic"] = pic
        if params != self.params or force:
            msg["params"] = self.params = params
        if fresh:  # just forked or back: the teacher's view says at once whether it is open
            msg["fresh"] = True
        self.sent, self.sent_at = body, now
        await self._publish(msg)

    async def _publish(self, msg: dict[str, Any]) -> None:
        if self.closed:
            return
        data = {"id": self.id, "name": self.name, **msg}
        await self.bus.publish(class_channel(self.code), json.dumps(data).encode())

    def _command(self, data: bytes) -> None:
        try:
            command = json.loads(data)
        except ValueError:
            return
        if not isinstance(command, dict) or not isinstance(command.get("do"), str):
            return
        if command["do"] == "watch":
            was, self.watched_at = self.watched(), time.monotonic()
            if command.get("open") is not True:
                self.watched_at = None
            if was == self.watched():
                return  # the view's heartbeat: nothing changed
        elif command["do"] == "closed":
            self.closed = True
        self.on_command(command)

    async def leave(self) -> None:
        """Gone from the class: the teacher's tile goes, the commands stop."""
        if self.task is not None:
            self.task.cancel()
        with contextlib.suppress(BusDown):
            await self._publish({"kind": "gone"})
        self.closed = True
        if self.state == "forked":
            with contextlib.suppress(BusDown):
                await self.bus.unsubscribe(control_channel(self.code), self._command)
        if self.relay is not None:
            await self.relay.stop()
            self.relay = None
