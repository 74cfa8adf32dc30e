"""Classroom rooms: a presenter's session mirrored, read-only, to followers.

A room lives in one server process (a dict here, no shared store): with several
worker processes a follower must reach the presenter's process. The presenter's
outbox hands every text it sends to its room, which passes it to each
follower's outbox (frames through their one-slot mailbox, so a slow follower
skips frames and never slows the class). The room keeps the newest message of
each kind, so a late follower starts from the same data, surface and frame.
Only the presenter's own runner touches its lab: a fork asks it for a copy.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.outbox import Outbox
    from engine.lab import Lab

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread off a projector
CODE_LENGTH = 5  # 32⁵ ≈ 33 million codes
# not replayed to latecomers: replies to one client, and what only a follower receives
NOT_KEPT = frozenset({"hello", "error", "export", "room", "room_closed"})
# `encode` writes "type" first; several messages of a kind are told apart by a "name" or a
# "cost_name" right after it (neuron's two surfaces)
_KIND = re.compile(r'^\{"type":\s*"(\w+)"(?:,\s*"(?:cost_)?name":\s*"(\w+)")?')


def has_details(frame: str) -> bool:
    """A frame with the weights (circles, digits) that most frames leave out."""
    return '"weights":' in frame


class Kept:
    """The newest message of each kind a session sent, so a late follower can catch up."""

    def __init__(self) -> None:
        self.kinds: dict[str, str] = {}  # by "type:name", in the order first sent
        self.frame: str | None = None
        self.detail_frame: str | None = None  # newest frame with weights or images in it

    def note(self, texts: Iterable[str]) -> None:
        for text in texts:
            match = _KIND.match(text)
            kind = match.group(1) if match else None
            if kind == "frame":
                self.frame = text
                if has_details(text):
                    self.detail_frame = text
            elif match and kind not in NOT_KEPT:
                self.kinds[f"{kind}:{match.group(2) or ''}"] = text

    def catch_up(self) -> list[str]:
        """The kept messages, then the newest frames (the detailed one first if older)."""
        frames = [self.detail_frame] if self.detail_frame not in (None, self.frame) else []
        return [*self.kinds.values(), *frames, *([self.frame] if self.frame else [])]


Snapshot = tuple["Lab[Any]", float]  # a copy of the presenter's lab, and its speed


class Room:
    """One presenter and its followers."""

    def __init__(
        self,
        code: str,
        lab_id: str,
        params: Callable[[], dict[str, Any]],
        inbox: asyncio.Queue[Any],
        kept: Kept,
    ) -> None:
        self.code, self.lab_id, self.params, self.kept = code, lab_id, params, kept
        self.inbox = inbox  # the presenter's: a fork request waits there for its runner
        self.followers: set[Outbox] = set()
        self.closed = False
        self.final: Lab[Any] | None = None  # the presenter's lab once it left
        self.speed = 1.0
        self.forks: list[asyncio.Future[Snapshot | None]] = []

    @property
    def follow_url(self) -> str:
        return f"/labs/{self.lab_id}?follow={self.code}"

    # -- from the presenter --------------------------------------------------------

    def broadcast(self, texts: Iterable[str]) -> None:
        for follower in self.followers:
            follower.put(*texts)

    def broadcast_frame(self, text: str) -> None:
        for follower in self.followers:
            follower.put_frame(text)

    def close(self, lab: Lab[Any], speed: float) -> None:
        """The presenter left: tell the followers; forks from now on copy its last state."""
        self.closed, self.final, self.speed = True, lab, speed
        for future in self.forks:
            if not future.done():
                future.set_result(None)
        self.forks.clear()
        for follower in self.followers:
            follower.put(json.dumps({"type": "room_closed", "room": self.code}))


class Rooms:
    """The open rooms of this process, by code."""

    def __init__(self, max_followers: int) -> None:
        self.max_followers = max_followers
        self.open: dict[str, Room] = {}

    def create(
        self,
        lab_id: str,
        params: Callable[[], dict[str, Any]],
        inbox: asyncio.Queue[Any],
        kept: Kept,
    ) -> Room:
        while True:
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            if code not in self.open:
                break
        room = self.open[code] = Room(code, lab_id, params, inbox, kept)
        return room

    def find(self, code: str) -> Room | None:
        return self.open.get(code.strip().upper())

    def close(self, room: Room, lab: Lab[Any], speed: float) -> None:
        self.open.pop(room.code, None)
        room.close(lab, speed)
