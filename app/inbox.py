"""What a session receives: client messages in order, forks asked of it, wake-ups.

The reader turns socket messages into inbox items: a parsed op, or the
``ProtocolError`` that answers a bad one (nothing a client sends can end the
session but a message too large or too many). At most ``limit`` client items
wait; past that the socket is not read, so a flood pushes back on its sender
through TCP instead of filling memory. Acks go straight to the outbox: they
have no reply and must not wait behind ops.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from starlette.websockets import WebSocket

from app.outbox import RateLimit
from app.protocol import ProtocolError, parse_client

POLICY_VIOLATION = 1008
WAKE = object()  # the client can take a frame again (an ack came, or one was sent)
MAX_ACK = 100  # frames one ack may count


class Inbox:
    """Client ops (at most ``limit`` waiting), requests from other sessions, and WAKE."""

    def __init__(self, limit: int, on_ack: Callable[[int], None],
                 on_bug: Callable[[str, Exception], None]) -> None:  # fmt: skip
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.slots = asyncio.Semaphore(limit)  # client items waiting, at most
        self.on_ack, self.on_bug = on_ack, on_bug
        self.woken = False  # a WAKE waits in the queue

    async def read(self, ws: WebSocket, max_bytes: int, per_second: float) -> None:
        """Read the socket until the client leaves, or breaks the size or rate limit."""
        limit = RateLimit(per_second)
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            size = len(text.encode()) if text is not None else len(message.get("bytes") or b"")
            why = "message too large" if size > max_bytes else None
            why = why or (None if limit.allow() else "too many messages")
            if why:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(POLICY_VIOLATION, why), 2)
                return
            item = self._item(text)
            if item is not None:
                await self.slots.acquire()  # a full inbox: stop reading the socket
                self.queue.put_nowait(item)

    def _item(self, text: str | None) -> Any:
        """The op, or the error that answers it; None for an ack, which is carried out here."""
        try:
            if text is None:
                raise ProtocolError("bad_message", "binary frames are not accepted: send JSON")
            msg = parse_client(text)
            if msg["op"] == "ack":
                try:
                    self.on_ack(ack_count(msg))
                except ProtocolError as exc:
                    exc.msg_id = msg.get("id")
                    raise
                return None
            return msg
        except ProtocolError as exc:
            return exc
        except Exception as exc:  # a gap in parsing must not end the session
            self.on_bug("reading a client message", exc)
            return ProtocolError("bad_message", "unreadable message")

    def ask(self, item: Any) -> None:
        """An item from the server itself (a fork request): not counted against the client."""
        self.queue.put_nowait(item)

    def wake(self) -> None:
        """The outbox can take a frame: a runner waiting for that gets going at once."""
        if not self.woken:
            self.woken = True
            self.queue.put_nowait(WAKE)

    async def next(self, wait: float | None) -> Any:
        """The next item, waiting at most ``wait`` seconds (None: no limit; a timeout: None).

        A waiting item is taken at once: ``wait_for`` with a timeout of 0 would
        time out before the get even starts, and ops would go unanswered while
        frames run late.
        """
        if self.queue.empty():
            if wait is not None and wait <= 0:
                return None
            try:  # a get cancelled by the timeout leaves the item in the queue
                item = await asyncio.wait_for(self.queue.get(), wait)
            except TimeoutError:
                return None
        else:
            item = self.queue.get_nowait()
        if item is WAKE:
            self.woken = False
        elif isinstance(item, dict | ProtocolError):
            self.slots.release()
        return item


def ack_count(msg: dict[str, Any]) -> int:
    """How many frames an ack counts: ``frames``, 1 to MAX_ACK (default 1)."""
    frames = msg.get("frames", 1)
    if isinstance(frames, int) and not isinstance(frames, bool) and 1 <= frames <= MAX_ACK:
        return frames
    error = {"field": "frames", "message": f"expected an integer in [1, {MAX_ACK}]"}
    raise ProtocolError("invalid_params", "bad ack", [error])
