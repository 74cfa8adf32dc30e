"""What a session sends, in order: replies queued, play frames through a one-slot mailbox.

A presenting session's outbox also hands every text to its room, which passes
it on to the followers' outboxes.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING

from starlette.websockets import WebSocket

from app.rooms import Kept, has_details

if TYPE_CHECKING:
    from app.rooms import Room


class Outbox:
    """Ordered replies plus a one-slot mailbox for play frames."""

    def __init__(self) -> None:
        self.queue: deque[str] = deque()
        self.latest: str | None = None
        self.ready = asyncio.Event()
        self.room: Room | None = None  # set while presenting: followers get every text too
        self.kept = Kept()  # what a follower joining now would need

    def put(self, *texts: str, mirror: bool = True) -> None:
        """Queue replies after any frame still waiting: that frame is history, not stale.

        ``mirror=False`` keeps a reply from the room (an error, an export).
        """
        if self.latest is not None:
            self.queue.append(self.latest)
            self.latest = None
        self.queue.extend(texts)
        self.ready.set()
        if mirror:
            self.kept.note(texts)
            if self.room is not None:
                self.room.broadcast(texts)

    @property
    def frame_pending(self) -> bool:
        return self.latest is not None

    def put_frame(self, text: str) -> None:
        """Replace the waiting frame, if any: a slow client gets the newest one.

        A waiting frame with weights in it goes out anyway: they come only every few
        frames, and a slow follower would otherwise hardly ever see them.
        """
        if self.latest is not None and has_details(self.latest) and not has_details(text):
            self.queue.append(self.latest)
        self.latest = text
        self.ready.set()
        self.kept.note([text])
        if self.room is not None:
            self.room.broadcast_frame(text)

    async def drain(self, ws: WebSocket) -> None:
        """Send forever: replies first, in order, then the newest frame."""
        while True:
            await self.ready.wait()
            self.ready.clear()
            while self.queue:
                await ws.send_text(self.queue.popleft())
            if self.latest is not None:
                text, self.latest = self.latest, None
                await ws.send_text(text)


class RateLimit:
    """A token bucket: ``rate`` messages a second, bursts up to twice that."""

    def __init__(self, rate: float) -> None:
        self.rate, self.tokens, self.stamp = rate, 2 * rate, time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(2 * self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
