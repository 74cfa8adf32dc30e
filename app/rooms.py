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
slow follower skips frames and never slows the class. The presenter's side,
``Presented``, is in app/presented.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from app.bus import Bus, BusDown
from app.kept import Kept
from app.presented import ROOM_TTL, SEP, Presented, key_hash, room_key
from app.protocol import ProtocolError

if TYPE_CHECKING:
    from app.limits import JoinRate
    from app.outbox import Outbox

log = logging.getLogger("descent.rooms")
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread off a projector
CODE_LENGTH = 5  # 32⁵ ≈ 33 million codes
CODE = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")
FORK_TIMEOUT = 5.0  # seconds for the presenter's process to answer a fork
UNAVAILABLE = "classroom rooms are unavailable right now (the room service is down); "


def unavailable(what: str) -> ProtocolError:
    return ProtocolError("rooms_unavailable", UNAVAILABLE + what)


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
        self.lingering: set[asyncio.Task[None]] = set()  # rooms whose presenter may come back

    @staticmethod
    def normal(code: str) -> str | None:
        """A code as typed (any case, spaces) in canonical form; None if it cannot be one."""
        code = re.sub(r"\s+", "", code).upper()
        return code if CODE.fullmatch(code) else None

    async def open(self, lab_id: str, params: Callable[[], dict[str, Any]], kept: Kept,
                   on_fork: Callable[[str], None], on_taken: Callable[[], None],
                   back: tuple[str, str] | None = None) -> tuple[Presented, str]:  # fmt: skip
        """A new room (its code is new), or ``back``: (code, hashed key) of a room this
        presenter takes over again. Returns the room and its key ("" when taken over)."""
        key = "" if back else secrets.token_urlsafe(16)
        try:
            if back is None:
                while True:
                    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
                    if await self.bus.set(room_key(code), b"{}", ROOM_TTL, only_new=True):
                        break
            code, hashed = back or (code, key_hash(key))
            if back is not None:  # the old owner's state is not ours: latecomers get ours
                await self.bus.delete(room_key(code, "kept"), room_key(code, "final"))
            room = Presented(self.bus, code, lab_id, params, kept, on_fork, hashed, on_taken)
        except BusDown as exc:
            raise unavailable("present later, or ask the operator") from exc
        try:
            await room.start()
        except BusDown as exc:
            room.task.cancel()
            raise unavailable("present later, or ask the operator") from exc
        return room, key

    async def reclaim(self, code: str, lab_id: str, key: str) -> tuple[str, str, bytes] | None:
        """A presenter's page back with its room's key: (code, hashed key, the presenter's
        state now), asked of the presenting session if it is still there, else its last
        state; None if there is no such room, the key is wrong or the room service is down."""
        canonical = self.normal(code)
        if canonical is None or not key:
            return None
        try:
            meta = json.loads(await self.bus.get(room_key(canonical)) or b"{}")
            hashed = str(meta.get("key", ""))
            if meta.get("lab") != lab_id or not hmac.compare_digest(hashed, key_hash(key)):
                return None
            state = await self._ask_presenter(canonical)
            state = state or await self.bus.get(room_key(canonical, "final")) or b""
        except BusDown:
            return None
        return (canonical, hashed, state) if state else None

    def linger(self, room: Presented, grace: float, end: Callable[[], Awaitable[None]]) -> None:
        """A room whose presenter's socket closed: ``end`` it after ``grace`` seconds unless
        its page came back (wherever it landed) and took it over."""
        task = asyncio.create_task(self._linger(room, grace, end))
        self.lingering.add(task)
        task.add_done_callback(self.lingering.discard)

    async def _linger(
        self, room: Presented, grace: float, end: Callable[[], Awaitable[None]]
    ) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(room.retired.wait(), grace)
        if room.retired.is_set() or not await self._owns(room):
            await room.retire()
        else:
            await end()

    async def _owns(self, room: Presented) -> bool:
        """Is ``room`` still its room's owner? (An announcement missed while a host was cut
        off must not close a room another host presents.) When in doubt, yes."""
        with contextlib.suppress(BusDown, ValueError):
            meta = json.loads(await self.bus.get(room_key(room.code)) or b"{}")
            return bool(meta.get("owner", room.owner) == room.owner)
        return True

    async def join(
        self, code: str, lab_id: str, outbox: Outbox, address: str
    ) -> tuple[Watch, dict[str, Any], list[str]]:
        """Follow room ``code``: its watch, the presenter's params and what to catch up on."""
        canonical = self.normal(code)
        try:
            if not await self._may_join(address):
                raise ProtocolError("rate_limited", "too many attempts to join; wait a minute")
            meta = await self.bus.get(room_key(canonical)) if canonical else None
            info = json.loads(meta) if meta else {}
            if info.get("lab") != lab_id or canonical is None:
                shown = code[:16]
                raise ProtocolError("no_such_room", f"no {lab_id} room {shown!r} is open")
            if await self.bus.add(room_key(canonical, "n"), 1, ROOM_TTL) > self.max_followers:
                await self.bus.add(room_key(canonical, "n"), -1, ROOM_TTL)
                raise ProtocolError("room_full", f"room {canonical} is full")
            watch = await self._watch(canonical)
            catch_up = Kept()
            catch_up.load(await self.bus.fields(room_key(canonical, "kept")))
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
            meta = await self.bus.get(room_key(canonical)) if canonical else None
            if canonical is None or json.loads(meta or b"{}").get("lab") != lab_id:
                raise ProtocolError("no_such_room", f"no {lab_id} room {code[:16]!r} is open")
            if await self.bus.add(room_key(canonical, "n"), 1, ROOM_TTL) > self.max_followers:
                await self.bus.add(room_key(canonical, "n"), -1, ROOM_TTL)
                raise ProtocolError("room_full", f"room {canonical} is full")
        except BusDown as exc:
            raise unavailable("your class needs it; your own lab works") from exc
        return canonical

    async def free_seat(self, code: str) -> None:
        with contextlib.suppress(BusDown):
            await self.bus.add(room_key(code, "n"), -1, ROOM_TTL)

    async def lab_of(self, code: str) -> tuple[str, str] | None:
        """(canonical code, lab) of an open room, for ``/join/CODE``; None if there is none."""
        canonical = self.normal(code)
        if canonical is None:
            return None
        meta = await self.bus.get(room_key(canonical))
        lab = json.loads(meta or b"{}").get("lab")
        return (canonical, lab) if isinstance(lab, str) else None

    async def _watch(self, code: str) -> Watch:
        watch = self.watches.get(code)
        if watch is None:
            watch = self.watches[code] = Watch(code)
            try:
                await self.bus.subscribe(room_key(code), watch.on_message)
                watch.kept.load(await self.bus.fields(room_key(code, "kept")))
            except BusDown:
                await self._unwatch(watch)
                raise
        return watch

    async def leave(self, watch: Watch, outbox: Outbox, keep_seat: bool = False) -> None:
        """Stop following; ``keep_seat``: a forked student stays in the class (and counts)."""
        watch.followers.discard(outbox)
        with contextlib.suppress(BusDown):
            if not watch.closed and not keep_seat:
                await self.bus.add(room_key(watch.code, "n"), -1, ROOM_TTL)
        if not watch.followers:
            await self._unwatch(watch)

    async def _unwatch(self, watch: Watch) -> None:
        if self.watches.get(watch.code) is watch:
            del self.watches[watch.code]
        with contextlib.suppress(BusDown):
            await self.bus.unsubscribe(room_key(watch.code), watch.on_message)

    async def fork(self, watch: Watch) -> bytes:
        """The presenter's state now, pickled; its last state if it has left."""
        try:
            if not watch.closed:
                snapshot = await self._ask_presenter(watch.code, watch.forks)
                if snapshot:
                    return snapshot
            final = await self.bus.get(room_key(watch.code, "final"))
        except BusDown as exc:
            raise unavailable("forking needs it; try again in a moment") from exc
        if final is None:
            raise ProtocolError("no_such_room", f"room {watch.code} is gone; open the lab anew")
        return final

    async def _ask_presenter(
        self, code: str, pending: set[asyncio.Future[bytes]] | None = None
    ) -> bytes:
        request = secrets.token_hex(8)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        pending = set() if pending is None else pending
        channel = room_key(code, f"fork:{request}")

        def answered(data: bytes) -> None:
            if not future.done():
                future.set_result(data)

        pending.add(future)
        await self.bus.subscribe(channel, answered)
        try:
            await self.bus.publish(room_key(code, "fork"), request.encode())
            return await asyncio.wait_for(future, FORK_TIMEOUT)
        except TimeoutError:
            return b""  # the presenter's process did not answer: its last state, if any
        finally:
            pending.discard(future)
            await self.bus.unsubscribe(channel, answered)
