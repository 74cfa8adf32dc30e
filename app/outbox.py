"""What a session sends, in order: replies queued, play frames through a one-slot mailbox.

A presenting session's outbox also hands every text to its room, which passes
it on to the followers' outboxes.

Memory stays bounded whatever the client does: frames replace each other, the
session takes no new op while replies pile up (``room_to_write``), and a client that
lets more than ``limit`` bytes wait is closed (``StalledError``), or, if it only
follows a room, started over from the room's newest state (``resync``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.websockets import WebSocket

from app.kept import Kept, has_details, without_id

if TYPE_CHECKING:
    from app.presented import Presented

LOW_WATER = 256 * 1024  # replies waiting below this: the session takes its next op
# a client that acks, but missed one, gets a frame anyway after this long: a lost or
# forgotten ack slows it to a frame every ACK_GRACE seconds, and never stalls it for good
ACK_GRACE = 2.0
FRAME_PREFIX = '{"type":"frame"'  # `encode` writes the type first


class StalledError(Exception):
    """The client does not read what it is sent; the socket is closed with 1008."""


class Outbox:
    """Ordered replies plus a one-slot mailbox for play frames."""

    def __init__(
        self,
        limit: int = 4 << 20,
        send_timeout: float = 30.0,
        window: int = 1,
        frame_interval: float = 0.0,
    ) -> None:
        self.queue: deque[str] = deque()
        self.latest: str | None = None
        # a follower's newest plain frame while a frame with weights waits its turn: it
        # follows that one at the next turn (the cap holds, and the last frame is not lost)
        self.after: str | None = None
        self.ready = asyncio.Event()
        self.drained = asyncio.Event()
        self.drained.set()
        self.room: Presented | None = None  # set while presenting: followers get every text too
        self.kept = Kept()  # what a follower joining now would need
        self.limit, self.send_timeout = limit, send_timeout
        self.waiting = 0  # bytes (characters) queued, frames included
        self.stalled = False
        # a follower's outbox: the room's state now, to start over from when it overflows
        self.resync: Callable[[], list[str]] | None = None
        self.window = window  # frames in flight once the client acks
        self.acking = False  # the client has acked at least once
        self.in_flight = 0  # frames sent and not yet acked (counted once it acks)
        self.last_frame_at = 0.0  # when the last frame went out
        self.frame_interval = frame_interval  # at least this long between frames (followers)
        self.next_frame_at = 0.0
        self.on_free: Callable[[], None] | None = None  # the runner may compute a frame now

    def put(self, *texts: str, mirror: bool = True) -> None:
        """Queue replies after any frame still waiting: that frame is history, not stale.

        ``mirror=False`` keeps a reply from the room (an error, an export).
        """
        if self.latest is not None:
            self.queue.append(self.latest)
            self.latest = None
        if self.after is not None:
            self.queue.append(self.after)
            self.after = None
        self.queue.extend(texts)
        self._grew(sum(map(len, texts)))
        if mirror:
            relayed = [without_id(text) for text in texts]
            self.kept.note(relayed)
            if self.room is not None:
                self.room.broadcast(relayed)

    @property
    def frame_pending(self) -> bool:
        """A frame is waiting, or the client has all the frames it may have in flight."""
        return self.latest is not None or self._no_credit()

    def _no_credit(self) -> bool:
        return self.credit_wait() is not None

    def credit_wait(self) -> float | None:
        """Seconds until the next frame may go without an ack; None if it may go now."""
        if not self.acking or self.in_flight < self.window:
            return None
        left = self.last_frame_at + ACK_GRACE - time.monotonic()
        return left if left > 0 else None

    def ack(self, frames: int) -> None:
        """The client drew ``frames`` more frames: they are no longer in flight.

        Frames sent before its first ack are not counted: a client may start acking
        at any point (after a thousand unacked frames, say) without stalling.
        """
        self.in_flight = max(0, self.in_flight - frames) if self.acking else 0
        self.acking = True
        self.ready.set()  # a frame in the mailbox may go now
        self._freed()

    def _freed(self) -> None:
        """The mailbox is empty: the runner sees whether it may compute a frame now, or
        when (an ack may be missing: it then waits out ACK_GRACE)."""
        if self.latest is None and self.on_free is not None:
            self.on_free()

    def put_frame(self, text: str) -> None:
        """Replace the waiting frame, if any: a slow client gets the newest one.

        A waiting frame with weights in it goes out anyway: they come only every few
        frames, and a slow follower would otherwise hardly ever see them. A follower
        (capped at a frame rate) sends it in its turn and the newest plain frame in the
        next (``after``), so the cap holds; anyone else gets both, the newest at once.
        """
        if self.after is not None:  # only ever behind a waiting frame with weights
            self.waiting -= len(self.after)
            self.after = None
        if self.latest is not None:
            if has_details(self.latest) and not has_details(text):
                if self.frame_interval > 0:
                    self.after = text
                    self._grew(len(text))
                    self._mirror_frame(text)
                    return
                self.queue.append(self.latest)
            else:
                self.waiting -= len(self.latest)
        self.latest = text
        self._grew(len(text))
        self._mirror_frame(text)

    def _mirror_frame(self, text: str) -> None:
        text = without_id(text)
        self.kept.note([text])
        if self.room is not None:
            self.room.broadcast_frame(text)

    def _grew(self, size: int) -> None:
        self.waiting += size
        self.ready.set()
        if self.waiting > LOW_WATER:
            self.drained.clear()
        if self.waiting > self.limit:
            self._overflow()

    def _overflow(self) -> None:
        if self.resync is None:
            self.stalled = True  # the sender closes the socket
            return
        self.queue.clear()
        self.latest = self.after = None
        self.waiting = 0
        self.queue.extend(self.resync())
        self.waiting = sum(map(len, self.queue))

    async def room_to_write(self) -> None:
        """Wait until the replies waiting are few: a client that does not read stops
        being served new ops (and its socket is not read), instead of piling them up."""
        await self.drained.wait()

    async def drain(self, ws: WebSocket) -> None:
        """Send forever: replies first, in order, then the newest frame when it may go."""
        while True:
            await self.ready.wait()
            self.ready.clear()
            while text := await self._next_text():
                await self._send(ws, text)
                self.waiting -= len(text)
                if self.waiting <= LOW_WATER:
                    self.drained.set()

    def _sent(self, text: str) -> str:
        """Count a frame as in flight when it leaves the mailbox, before the runner is
        woken and before the send: an ack that overtakes a slow send must find it counted."""
        if text.startswith(FRAME_PREFIX):
            self.in_flight += self.acking
            self.last_frame_at = time.monotonic()
        return text

    async def _next_text(self) -> str | None:
        """A reply, else the waiting frame once the client has credit and it is due."""
        while True:
            if self.stalled:
                raise StalledError("too far behind reading")
            if self.queue:
                return self._sent(self.queue.popleft())
            if self.latest is None:
                return None
            now = time.monotonic()
            delay = max(self.next_frame_at - now, self.credit_wait() or 0.0)
            if delay <= 0:
                # on a fixed grid: a late event loop must not lower a follower's rate, and
                # after a quiet spell the next turn is a whole interval away (no burst)
                late = now - self.next_frame_at
                turn = self.next_frame_at if late < self.frame_interval else now
                self.next_frame_at = turn + self.frame_interval
                text, self.latest, self.after = self._sent(self.latest), self.after, None
                self._freed()
                return text
            # asyncio.timeout, not wait_for: no task per wait (py-spy, 100 followers a process)
            with contextlib.suppress(TimeoutError):  # a reply may come meanwhile
                async with asyncio.timeout(delay):
                    await self.ready.wait()
                self.ready.clear()

    async def _send(self, ws: WebSocket, text: str) -> None:
        try:
            async with asyncio.timeout(self.send_timeout):
                await ws.send_text(text)
        except TimeoutError:
            raise StalledError("not reading") from None


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
