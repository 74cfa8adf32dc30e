"""Classroom rooms: a presenter's session mirrored, read-only, to followers anywhere.

A room lives on the bus (app/bus.py), so a follower may land on any worker
process or host. On the bus, for room ``CODE``:

- key ``room:CODE`` holds the lab and the presenter's params (for a follower's
  hello); key ``room:CODE:kept`` the newest message of each kind, for
  latecomers; ``room:CODE:n`` the followers' count; and, once the presenter
  has left, ``room:CODE:final`` its last state for forks.
- channel ``room:CODE`` carries what the presenter sends (``T`` replies, ``F`` a
  frame, ``C`` closed); ``room:CODE:fork`` fork requests to the presenter's
  process, answered on ``room:CODE:fork:ID`` with a pickled snapshot.

Each process subscribes once per room it has followers in (a ``Watch``) and
hands messages to their outboxes: frames through their one-slot mailboxes, so a
slow follower skips frames and never slows the class. The presenter's
``Presented`` publishes from a task of its own: frames waiting there are
replaced by newer ones, replies keep their order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from app.bus import Batch, Bus, BusDown
from app.kept import Kept
from app.protocol import ProtocolError

if TYPE_CHECKING:
    from app.limits import JoinRate
    from app.outbox import Outbox

log = logging.getLogger("descent.rooms")
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread off a projector
CODE_LENGTH = 5  # 32⁵ ≈ 33 million codes
CODE = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")
ROOM_TTL = 6 * 3600.0  # a room not refreshed for this long is gone (its process died)
FINAL_TTL = 2 * 3600.0  # forks of a closed room, this long after the presenter left
FORK_TIMEOUT = 5.0  # seconds for the presenter's process to answer a fork
SEP = "\x1e"  # between texts on the channel: JSON escapes every control character
UNAVAILABLE = "classroom rooms are unavailable right now (the room service is down); "


def unavailable(what: str) -> ProtocolError:
    return ProtocolError("rooms_unavailable", UNAVAILABLE + what)


def _key(code: str, part: str = "") -> str:
    return f"room:{code}{':' + part if part else ''}"


class Presented:
    """The presenter's side of a room: publishes what its session sends, answers forks."""

    def __init__(self, bus: Bus, code: str, lab_id: str, params: Callable[[], dict[str, Any]],
                 kept: Kept, on_fork: Callable[[str], None]) -> None:  # fmt: skip
        self.bus, self.code, self.lab_id, self.params, self.kept = bus, code, lab_id, params, kept
        self.on_fork = on_fork
        self.queue: deque[bytes] = deque()
        self.frame: str | None = None
        self.wake = asyncio.Event()
        self.task = asyncio.create_task(self._publish())
        self.failures = 0  # rounds lost to the bus being down, for the log

    @property
    def follow_url(self) -> str:
        return f"/labs/{self.lab_id}?follow={self.code}"

    def broadcast(self, texts: Iterable[str]) -> None:
        if self.frame is not None:  # an older frame goes first, as in the outbox
            self.queue.append(b"F" + self.frame.encode())
            self.frame = None
        self.queue.append(b"T" + SEP.join(texts).encode())
        self.wake.set()

    def broadcast_frame(self, text: str) -> None:
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
        batch = Batch([(_key(self.code), data) for data in items])
        if self.kept.dirty:
            dirty = {name: self.kept.fields[name].encode() for name in self.kept.dirty}
            batch.fields.append((_key(self.code, "kept"), dirty, ROOM_TTL))
            self.kept.dirty.clear()
        if any(item.startswith(b"T") for item in items):
            batch.sets.append((_key(self.code), self._meta(), ROOM_TTL))
        try:
            await self.bus.run(batch)
        except BusDown as exc:
            self.failures += 1
            if self.failures in (1, 100) or self.failures % 1000 == 0:
                log.warning("room %s: cannot publish (%s); its followers miss it", self.code, exc)

    def _meta(self) -> bytes:
        return json.dumps({"lab": self.lab_id, "params": self.params()}).encode()

    async def start(self) -> None:
        await self.bus.set(_key(self.code), self._meta(), ROOM_TTL)
        await self.bus.subscribe(_key(self.code, "fork"), self._fork_asked)

    def _fork_asked(self, data: bytes) -> None:
        self.on_fork(data.decode(errors="replace")[:32])

    async def answer(self, request: str, snapshot: bytes) -> None:
        with contextlib.suppress(BusDown):
            await self.bus.publish(_key(self.code, f"fork:{request}"), snapshot)

    async def close(self, final: bytes) -> None:
        """The presenter left: keep its last state for forks, tell the followers."""
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        with contextlib.suppress(BusDown):
            await self._round()
            await self.bus.unsubscribe(_key(self.code, "fork"), self._fork_asked)
            await self.bus.set(_key(self.code, "final"), final, FINAL_TTL)
            await self.bus.delete(_key(self.code), _key(self.code, "kept"), _key(self.code, "n"))
            await self.bus.publish(_key(self.code), b"C")


class Watch:
    """This process's followers of one room, fed from its channel."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.followers: set[Outbox] = set()
        self.kept = Kept()
        self.closed = False
        self.forks: set[asyncio.Future[bytes]] = set()  # forks waiting for the presenter

    def on_message(self, data: bytes) -> None:
        kind, body = data[:1], data[1:].decode()
        if kind == b"F":
            self.kept.note([body])
            for follower in self.followers:
                follower.put_frame(body)
        elif kind == b"T":
            texts = body.split(SEP)
            self.kept.note(texts)
            for follower in self.followers:
                follower.put(*texts)
        elif kind == b"C":
            self.closed = True
            closed = json.dumps({"type": "room_closed", "room": self.code})
            for follower in self.followers:
                follower.put(closed)
            for future in self.forks:  # the presenter will not answer now: use its last state
                if not future.done():
                    future.set_result(b"")


class Rooms:
    """Open, join, leave and fork rooms on the bus; this process's watches."""

    def __init__(self, bus: Bus, max_followers: int, joins: JoinRate | None = None) -> None:
        self.bus, self.max_followers, self.joins = bus, max_followers, joins
        self.watches: dict[str, Watch] = {}

    @staticmethod
    def normal(code: str) -> str | None:
        """A code as typed (any case, spaces) in canonical form; None if it cannot be one."""
        code = re.sub(r"\s+", "", code).upper()
        return code if CODE.fullmatch(code) else None

    async def open(self, lab_id: str, params: Callable[[], dict[str, Any]], kept: Kept,
                   on_fork: Callable[[str], None]) -> Presented:  # fmt: skip
        try:
            while True:
                code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
                if await self.bus.set(_key(code), b"{}", ROOM_TTL, only_new=True):
                    break
            room = Presented(self.bus, code, lab_id, params, kept, on_fork)
        except BusDown as exc:
            raise unavailable("present later, or ask the operator") from exc
        try:
            await room.start()
        except BusDown as exc:
            room.task.cancel()
            raise unavailable("present later, or ask the operator") from exc
        return room

    async def join(
        self, code: str, lab_id: str, outbox: Outbox, address: str
    ) -> tuple[Watch, dict[str, Any], list[str]]:
        """Follow room ``code``: its watch, the presenter's params and what to catch up on."""
        canonical = self.normal(code)
        try:
            if not await self._may_join(address):
                raise ProtocolError("rate_limited", "too many attempts to join; wait a minute")
            meta = await self.bus.get(_key(canonical)) if canonical else None
            info = json.loads(meta) if meta else {}
            if info.get("lab") != lab_id or canonical is None:
                shown = code[:16]
                raise ProtocolError("no_such_room", f"no {lab_id} room {shown!r} is open")
            if await self.bus.add(_key(canonical, "n"), 1, ROOM_TTL) > self.max_followers:
                await self.bus.add(_key(canonical, "n"), -1, ROOM_TTL)
                raise ProtocolError("room_full", f"room {canonical} is full")
            watch = await self._watch(canonical)
            catch_up = Kept()
            catch_up.load(await self.bus.fields(_key(canonical, "kept")))
        except BusDown as exc:
            log.warning("room %s: a follower could not join: %s", code[:16], exc)
            raise unavailable("following needs it; your own lab works") from exc
        watch.followers.add(outbox)
        return watch, info["params"], catch_up.catch_up()

    async def _may_join(self, address: str) -> bool:
        """This process's bucket first (no bus call for a flood), then, if processes share
        the bus, a count per minute there: tries spread over hosts get no more."""
        if self.joins is None:
            return True
        if not self.joins.allow_join(address):
            return False
        if not self.bus.shared:
            return True  # one process: its bucket is the whole count
        minute = int(time.time() // 60)
        tries = await self.bus.add(f"joins:{address}:{minute}", 1, 120.0)
        return tries <= self.joins.capacity

    async def take_seat(self, code: str, lab_id: str, address: str) -> str:
        """A seat in room ``code`` for a student coming back to its class; its canonical code."""
        canonical = self.normal(code)
        try:
            if not await self._may_join(address):
                raise ProtocolError("rate_limited", "too many attempts to join; wait a minute")
            meta = await self.bus.get(_key(canonical)) if canonical else None
            if canonical is None or json.loads(meta or b"{}").get("lab") != lab_id:
                raise ProtocolError("no_such_room", f"no {lab_id} room {code[:16]!r} is open")
            if await self.bus.add(_key(canonical, "n"), 1, ROOM_TTL) > self.max_followers:
                await self.bus.add(_key(canonical, "n"), -1, ROOM_TTL)
                raise ProtocolError("room_full", f"room {canonical} is full")
        except BusDown as exc:
            raise unavailable("your class needs it; your own lab works") from exc
        return canonical

    async def free_seat(self, code: str) -> None:
        with contextlib.suppress(BusDown):
            await self.bus.add(_key(code, "n"), -1, ROOM_TTL)

    async def lab_of(self, code: str) -> tuple[str, str] | None:
        """(canonical code, lab) of an open room, for ``/join/CODE``; None if there is none."""
        canonical = self.normal(code)
        if canonical is None:
            return None
        meta = await self.bus.get(_key(canonical))
        lab = json.loads(meta or b"{}").get("lab")
        return (canonical, lab) if isinstance(lab, str) else None

    async def _watch(self, code: str) -> Watch:
        watch = self.watches.get(code)
        if watch is None:
            watch = self.watches[code] = Watch(code)
            try:
                await self.bus.subscribe(_key(code), watch.on_message)
                watch.kept.load(await self.bus.fields(_key(code, "kept")))
            except BusDown:
                await self._unwatch(watch)
                raise
        return watch

    async def leave(self, watch: Watch, outbox: Outbox, keep_seat: bool = False) -> None:
        """Stop following; ``keep_seat``: a forked student stays in the class (and counts)."""
        watch.followers.discard(outbox)
        with contextlib.suppress(BusDown):
            if not watch.closed and not keep_seat:
                await self.bus.add(_key(watch.code, "n"), -1, ROOM_TTL)
        if not watch.followers:
            await self._unwatch(watch)

    async def _unwatch(self, watch: Watch) -> None:
        if self.watches.get(watch.code) is watch:
            del self.watches[watch.code]
        with contextlib.suppress(BusDown):
            await self.bus.unsubscribe(_key(watch.code), watch.on_message)

    async def fork(self, watch: Watch) -> bytes:
        """The presenter's state now, pickled; its last state if it has left."""
        try:
            if not watch.closed:
                snapshot = await self._ask_presenter(watch)
                if snapshot:
                    return snapshot
            final = await self.bus.get(_key(watch.code, "final"))
        except BusDown as exc:
            raise unavailable("forking needs it; try again in a moment") from exc
        if final is None:
            raise ProtocolError("no_such_room", f"room {watch.code} is gone; open the lab anew")
        return final

    async def _ask_presenter(self, watch: Watch) -> bytes:
        request = secrets.token_hex(8)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        channel = _key(watch.code, f"fork:{request}")

        def answered(data: bytes) -> None:
            if not future.done():
                future.set_result(data)

        watch.forks.add(future)
        await self.bus.subscribe(channel, answered)
        try:
            await self.bus.publish(_key(watch.code, "fork"), request.encode())
            return await asyncio.wait_for(future, FORK_TIMEOUT)
        except TimeoutError:
            return b""  # the presenter's process did not answer: its last state, if any
        finally:
            watch.forks.discard(future)
            await self.bus.unsubscribe(channel, answered)
