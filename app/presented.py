"""The presenter's side of a room: what its session sends, published on the bus.

See app/rooms.py for the room's keys and channels. ``Presented`` publishes from a
task of its own, so the presenter's session never waits on the bus: frames waiting
there are replaced by newer ones, replies keep their order, and what changed for
latecomers is stored in the same batch.

A room outlives a presenter's reload. When the presenting socket closes, the room
is ``away``: it keeps the presenter's last state (forks get it) for a grace
period, and a page that comes back with the room's key takes it over with that
state (``Rooms.reclaim``). Each presenting session is an ``owner`` (a token in
the room's meta); a new one announces itself on ``room:CODE:owner``, and the old
one retires (or, if its socket is still open, learns the room was taken).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import secrets
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from app.bus import Batch, Bus, BusDown
from app.kept import Kept

log = logging.getLogger("descent.rooms")
ROOM_TTL = 6 * 3600.0  # a room not refreshed for this long is gone (its process died)
FINAL_TTL = 2 * 3600.0  # forks of a closed room, this long after the presenter left
AWAY_MARGIN = 30.0  # seconds a waiting room outlives its grace if its process died
SEP = "\x1e"  # between texts on the channel: JSON escapes every control character


def room_key(code: str, part: str = "") -> str:
    return f"room:{code}{':' + part if part else ''}"


def key_hash(key: str) -> str:
    """What the bus keeps of a room's key: enough to check one, not to use it."""
    return hashlib.sha256(key.encode()).hexdigest()


class Presented:
    """The presenter's side of a room: publishes what its session sends, answers forks."""

    def __init__(self, bus: Bus, code: str, lab_id: str, params: Callable[[], dict[str, Any]],
                 kept: Kept, on_fork: Callable[[str], None], hashed_key: str = "",
                 on_taken: Callable[[], None] | None = None) -> None:  # fmt: skip
        self.bus, self.code, self.lab_id, self.params, self.kept = bus, code, lab_id, params, kept
        self.on_fork, self.on_taken, self.hashed_key = on_fork, on_taken, hashed_key
        self.queue: deque[bytes] = deque()
        self.frame: str | None = None
        self.wake = asyncio.Event()
        self.task = asyncio.create_task(self._publish())
        self.failures = 0  # rounds lost to the bus being down, for the log
        self.owner = secrets.token_hex(8)
        self.final: bytes | None = None  # the presenter's last state, while it is away
        self.retired = asyncio.Event()  # another session took the room over
        self.answering: set[asyncio.Task[None]] = set()
        self.unanswered: set[str] = set()  # fork requests passed to the session

    @property
    def follow_url(self) -> str:
        return f"/labs/{self.lab_id}?follow={self.code}"

    def broadcast(self, texts: Iterable[str]) -> None:
        if self.retired.is_set():
            return  # another page presents the room now: nothing of this one goes there
        if self.frame is not None:  # an older frame goes first, as in the outbox
            self.queue.append(b"F" + self.frame.encode())
            self.frame = None
        self.queue.append(b"T" + SEP.join(texts).encode())
        self.wake.set()

    def broadcast_frame(self, text: str) -> None:
        if self.retired.is_set():
            return
        self.frame = text
        self.wake.set()

    async def _publish(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            await self._round()

    def _waiting(self) -> list[bytes]:
        """What waits to be published, in order: replies, then the newest frame."""
        items = list(self.queue)
        self.queue.clear()
        if self.frame is not None:
            items.append(b"F" + self.frame.encode())
            self.frame = None
        return items

    async def _round(self) -> None:
        """Publish what waits, and store what changed for latecomers, in one batch."""
        items = self._waiting()
        if self.retired.is_set():
            return  # the room's state and meta are the new owner's
        batch = Batch([(room_key(self.code), data) for data in items])
        if self.kept.dirty:
            dirty = {name: self.kept.fields[name].encode() for name in self.kept.dirty}
            batch.fields.append((room_key(self.code, "kept"), dirty, ROOM_TTL))
            self.kept.dirty.clear()
        if any(item.startswith(b"T") for item in items):
            batch.sets.append((room_key(self.code), self._meta(), ROOM_TTL))
        try:
            await self.bus.run(batch)
        except BusDown as exc:
            self.failures += 1
            if self.failures in (1, 100) or self.failures % 1000 == 0:
                log.warning("room %s: cannot publish (%s); its followers miss it", self.code, exc)

    def _meta(self) -> bytes:
        meta = {"lab": self.lab_id, "params": self.params(), "owner": self.owner,
                "key": self.hashed_key}  # fmt: skip
        return json.dumps(meta).encode()

    async def start(self) -> None:
        await self.bus.set(room_key(self.code), self._meta(), ROOM_TTL)
        await self.bus.subscribe(room_key(self.code, "fork"), self._fork_asked)
        await self.bus.subscribe(room_key(self.code, "owner"), self._owner_changed)
        await self.bus.publish(room_key(self.code, "owner"), self.owner.encode())
        self.kept.dirty.update(self.kept.fields)  # what the session sent so far: for latecomers
        self.wake.set()

    def _fork_asked(self, data: bytes) -> None:
        request = data.decode(errors="replace")[:32]
        if self.final is None:
            self.unanswered.add(request)
            self.on_fork(request)
        else:
            self._answer_later(request, self.final)  # away: its last state

    def _answer_later(self, request: str, snapshot: bytes) -> None:
        task = asyncio.ensure_future(self.answer(request, snapshot))
        self.answering.add(task)
        task.add_done_callback(self.answering.discard)

    def _owner_changed(self, data: bytes) -> None:
        if data.decode(errors="replace") == self.owner or self.retired.is_set():
            return
        self.retired.set()
        self.task.cancel()  # publish nothing more: the room is the new owner's
        if self.final is None and self.on_taken is not None:
            self.on_taken()  # still presenting: its session gives the room up

    async def away(self, final: bytes, grace: float) -> None:
        """The presenter's socket closed: publish what waits, keep its last state for forks
        and for its page coming back (``Rooms.linger`` decides when the room closes). The
        room's meta expires soon after the grace, should this process die meanwhile."""
        await self._stop()
        self.final = final
        for request in list(self.unanswered):  # asked as the session ended: it never will
            self._answer_later(request, final)
        with contextlib.suppress(BusDown):
            await self._round()
            await self.bus.set(room_key(self.code, "final"), final, FINAL_TTL)
            if not self.retired.is_set():
                await self.bus.set(room_key(self.code), self._meta(), grace + AWAY_MARGIN)

    async def retire(self) -> None:
        """Another session presents this room now: stop, and leave the room to it."""
        await self._stop()
        self.retired.set()
        with contextlib.suppress(BusDown):
            await self.bus.unsubscribe(room_key(self.code, "fork"), self._fork_asked)
            await self.bus.unsubscribe(room_key(self.code, "owner"), self._owner_changed)

    async def _stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    async def answer(self, request: str, snapshot: bytes) -> None:
        self.unanswered.discard(request)
        with contextlib.suppress(BusDown):
            await self.bus.publish(room_key(self.code, f"fork:{request}"), snapshot)

    async def close(self, final: bytes) -> None:
        """The presenter left: keep its last state for forks, tell the followers."""
        await self._stop()
        with contextlib.suppress(BusDown):
            await self._round()
            await self.bus.unsubscribe(room_key(self.code, "fork"), self._fork_asked)
            await self.bus.unsubscribe(room_key(self.code, "owner"), self._owner_changed)
            await self.bus.set(room_key(self.code, "final"), final, FINAL_TTL)
            await self.bus.delete(
                room_key(self.code), room_key(self.code, "kept"), room_key(self.code, "n")
            )
            await self.bus.publish(room_key(self.code), b"C")
