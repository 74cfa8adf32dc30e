"""The teacher's class view: every student's run on one screen, and the teacher's actions.

The presenter's process listens on the room's class channel (``app/member.py``)
and keeps one tile per student. While the teacher's page has the class view open
(``{"op":"class","do":"view","open":true}``), it sends the tiles that changed
about twice a second as one ``class`` message, each loss curve as the points
added since the last message. The teacher's actions go out on the control
channel to every student's session, wherever it runs. A spotlight puts one
student's run on the followers' screens: the student's process relays its
session's messages, and this process publishes them in the room in place of
the teacher's own, then gives the room back with the teacher's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.bus import Bus, BusDown
from app.kept import Kept
from app.member import HEARTBEAT, PERIOD, class_channel, control_channel
from app.presented import SEP, Presented, room_key
from app.protocol import encode

if TYPE_CHECKING:
    from app.outbox import Outbox

SILENT = 10.0  # a student not heard of for this long has gone (their process died)
SERIES_POINTS = 64  # a tile's curve keeps this many points, thinned evenly as it grows
ANON_TTL = 6 * 3600.0  # as long as a room lives
MAX_SUMMARY = 8192  # bytes: anything larger on the class channel is not one of ours
TILE_FIELDS = ("state", "step", "loss", "acc", "diverged", "running", "changed")


def _thin(points: list[list[float]]) -> None:
    """Halve a curve that outgrew its budget, keeping its newest point."""
    if len(points) > SERIES_POINTS:
        last = points[-1]
        del points[1::2]
        if points[-1] is not last:
            points.append(last)


class ClassView:
    """The class of one presented room, as the teacher's process sees it."""

    def __init__(self, bus: Bus, room: Presented, outbox: Outbox,
                 send: Callable[[dict[str, Any]], None]) -> None:  # fmt: skip
        self.bus, self.room, self.outbox, self.send = bus, room, outbox, send
        self.code = room.code
        self.tiles: dict[str, dict[str, Any]] = {}
        self.dirty: set[str] = set()
        self.fresh: dict[str, dict[str, list[list[float]]]] = {}  # curve points not yet sent
        self.gone: set[str] = set()
        self.open = False
        self.told = 0.0  # when the students last heard that the view is open
        self.newcomer = False  # a student just forked (or came back): tell them now
        self.anonymous = False
        self.spot: tuple[str, str] | None = None  # (student id, relay channel)
        self.spot_kept: Kept | None = None
        self.task: asyncio.Task[None] | None = None
        self.ending: set[asyncio.Task[bool]] = set()  # spotlights ending because the student left

    async def start(self) -> None:
        # a teacher's page back after a reload keeps the class anonymised if it was
        self.anonymous = await self.bus.get(room_key(self.code, "anon")) == b"1"
        await self.bus.subscribe(class_channel(self.code), self._heard)
        self.task = asyncio.create_task(self._loop())

    # -- what students send ------------------------------------------------------------

    def _heard(self, data: bytes) -> None:
        if len(data) > MAX_SUMMARY:
            return
        try:
            msg = json.loads(data)
            sid = str(msg["id"])[:32]
        except (ValueError, KeyError, TypeError):
            return
        if msg.get("kind") == "gone":
            self._drop(sid)
            return
        tile = self.tiles.setdefault(sid, {"id": sid, "series": {}, "changed": None})
        tile["seen"] = time.monotonic()
        if msg.get("fresh") or (msg.get("state") == "forked" and tile.get("state") != "forked"):
            self.newcomer = True
        self.gone.discard(sid)
        if msg.get("name") != tile.get("name"):
            tile["name"], tile["name_new"] = msg.get("name"), True
        for field in ("state", "step", "loss", "acc", "diverged", "running"):
            if field in msg:
                tile[field] = msg[field]
        if "pic" in msg:
            tile["pic"], tile["pic_new"] = msg["pic"], True
        if isinstance(msg.get("params"), dict):
            if tile.get("params") not in (None, msg["params"]):
                tile["changed"] = round(time.time(), 1)
            tile["params"], tile["params_new"] = msg["params"], True
        self._grow(sid, tile, msg)
        self.dirty.add(sid)

    def _grow(self, sid: str, tile: dict[str, Any], msg: dict[str, Any]) -> None:
        step, series = msg.get("step"), msg.get("series")
        if not isinstance(step, int) or not isinstance(series, dict):
            return
        fresh = self.fresh.setdefault(sid, {})
        for name, value in list(series.items())[:4]:
            points = tile["series"].setdefault(str(name), [])
            if points and step < points[-1][0]:  # a reset: the curve starts over
                points.clear()
                fresh[name] = []
                tile["restart"] = True
            if value is None or (points and points[-1][0] == step):
                continue
            point = [step, float(f"{value:.4g}")]
            points.append(point)
            fresh.setdefault(name, []).append(point)
            _thin(points)

    def _drop(self, sid: str) -> None:
        if self.spot is not None and self.spot[0] == sid:
            task = asyncio.ensure_future(self.spotlight(None))
            self.ending.add(task)
            task.add_done_callback(self.ending.discard)
        if self.tiles.pop(sid, None) is not None:
            self.gone.add(sid)
            self.dirty.discard(sid)
            self.fresh.pop(sid, None)

    # -- what the teacher's page receives ------------------------------------------------

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(PERIOD)
            now = time.monotonic()
            for sid in [s for s, t in self.tiles.items() if now - t["seen"] > SILENT]:
                self._drop(sid)
            if not self.open:  # nothing kept for a view nobody looks at: opening sends all
                self.dirty.clear()
                self.fresh.clear()
                self.gone.clear()
                continue
            if self.newcomer or now - self.told >= HEARTBEAT:
                with contextlib.suppress(BusDown):
                    await self._tell(True)
            if self.dirty or self.gone:
                self.send(self.update(full=False))

    def update(self, full: bool) -> dict[str, Any]:
        """The ``class`` message: every tile (full) or those that changed since the last."""
        tiles = []
        for sid in list(self.tiles) if full else sorted(self.dirty):
            tile = self.tiles[sid]
            out = {"id": sid, **{k: tile.get(k) for k in TILE_FIELDS}}
            if full or tile.pop("name_new", False):
                out["name"] = tile.get("name")
            if full or tile.pop("restart", False):
                out["series"] = tile["series"]
            else:
                out["add"] = self.fresh.get(sid, {})
            if full or tile.pop("pic_new", False):
                out["pic"] = tile.get("pic")
            if full or tile.pop("params_new", False):
                out["params"] = tile.get("params")
            tiles.append(out)
        message = {"type": "class", "room": self.code, "full": full, "tiles": tiles,
                   "gone": sorted(self.gone), "anonymous": self.anonymous,
                   "spotlight": self.spot[0] if self.spot else None}  # fmt: skip
        self.dirty.clear()
        self.fresh.clear()
        self.gone.clear()
        return message

    # -- the teacher's actions -------------------------------------------------------------

    async def command(self, command: dict[str, Any]) -> None:
        await self.bus.publish(control_channel(self.code), json.dumps(command).encode())

    async def watch(self, open_: bool) -> None:
        """The class view opened (the reply to it holds every tile) or closed. Students'
        sessions summarise their runs only while it is open: they are told so now, and
        while it stays open every few seconds (and at once when one forks)."""
        self.open = open_
        await self._tell(open_)

    async def _tell(self, open_: bool) -> None:
        self.newcomer, self.told = False, time.monotonic()
        await self.command({"do": "watch", "open": open_})

    async def anonymise(self, on: bool) -> None:
        self.anonymous = on
        await self.bus.set(room_key(self.code, "anon"), b"1" if on else b"0", ANON_TTL)
        if self.spot is not None and self.spot_kept is not None:
            self._to_room([self._spot_message(self.spot[0])], self.spot_kept)

    def _spot_message(self, sid: str) -> str:
        name = None if self.anonymous else self.tiles.get(sid, {}).get("name")
        return encode({"type": "spotlight", "on": True, "name": name})

    def _to_room(self, texts: list[str], kept: Kept) -> None:
        kept.note(texts)
        self.room.broadcast(texts)

    async def spotlight(self, sid: str | None) -> bool:
        """Put a forked student's run on the followers' screens (None: the teacher's again)."""
        if self.spot is not None:
            await self._unspot()
        tile = self.tiles.get(sid) if sid is not None else None
        if sid is None or tile is None or tile.get("state") != "forked":
            return sid is None
        channel = room_key(self.code, f"spot:{secrets.token_hex(6)}")
        self.spot, self.spot_kept = (sid, channel), Kept()
        self.outbox.room = None  # the teacher's own messages stay out of the room meanwhile
        self.room.kept = self.spot_kept  # latecomers catch up on the student's run
        with contextlib.suppress(BusDown):
            await self.bus.delete(room_key(self.code, "kept"))
        self._to_room([self._spot_message(sid)], self.spot_kept)
        await self.bus.subscribe(channel, self._relayed)
        name = None if self.anonymous else tile.get("name")
        await self.command({"do": "spotlight", "id": sid, "channel": channel, "name": name})
        return True

    def _relayed(self, data: bytes) -> None:
        kept = self.spot_kept
        if kept is None:
            return
        kind, body = data[:1], data[1:].decode()
        if kind == b"F":
            kept.note([body])
            self.room.broadcast_frame(body)
        elif kind == b"T":
            self._to_room(body.split(SEP), kept)

    async def _unspot(self) -> None:
        """The room is the teacher's again: followers start over from the teacher's state."""
        assert self.spot is not None
        sid, channel = self.spot
        self.spot, self.spot_kept = None, None
        with contextlib.suppress(BusDown):
            await self.bus.unsubscribe(channel, self._relayed)
            await self.command({"do": "unspotlight", "id": sid})
            await self.bus.delete(room_key(self.code, "kept"))
        own = self.outbox.kept
        off = encode({"type": "spotlight", "on": False})
        own.note([off])
        own.dirty = set(own.fields)
        self.room.kept = own
        self.room.broadcast([off, *(t for t in own.catch_up() if t != off)])
        self.outbox.room = self.room

    async def suspend(self, give_back: bool = True) -> None:
        """The teacher's socket closed (they may come back) or another of their pages took
        the room (``give_back`` False: the room is not ours to give back a spotlight in).
        Stop listening, stop the students' summaries; the class itself goes on."""
        if self.task is not None:
            self.task.cancel()
        for task in list(self.ending):
            task.cancel()
        with contextlib.suppress(BusDown):
            if self.spot is not None and give_back:
                await self._unspot()
            elif self.spot is not None:
                await self.bus.unsubscribe(self.spot[1], self._relayed)
                await self.command({"do": "unspotlight", "id": self.spot[0]})
            self.spot = None
            await self.bus.unsubscribe(class_channel(self.code), self._heard)
            if give_back:  # a page that took the room over tells the students itself
                await self.command({"do": "watch", "open": False})
        self.open = False

    async def close(self) -> None:
        """The teacher left: the class is over for every student."""
        if self.task is not None:
            self.task.cancel()
        for task in list(self.ending):  # a spotlight still ending: nothing left to give back
            task.cancel()
        with contextlib.suppress(BusDown):
            await self.bus.unsubscribe(class_channel(self.code), self._heard)
            if self.spot is not None:
                await self.bus.unsubscribe(self.spot[1], self._relayed)
            await self.command({"do": "closed"})
