"""Compress a room's frames once per process, not once per follower.

Every WebSocket message is compressed with permessage-deflate, and by default
each socket keeps its own compression context: the same frame sent to 100
followers is deflated 100 times. That was about half of a server's CPU with 100
followers of a circles room (py-spy, bench.rooms_fanout).

A follower's socket (its URL names the room: ``?follow=CODE``) negotiates
``server_no_context_takeover`` instead, so each message is compressed on its own
and the bytes for one text are the same on every such socket. They are then kept
in a small cache: a text is admitted when a second socket sends it, so the
frames of private sessions (each seen once) never push out a room's.
No context takeover costs about a quarter more bytes per frame, and only
followers pay it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.base import Extension
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import BINARY, TEXT, Frame
from websockets.http11 import Request
from websockets.typing import ExtensionParameter

CACHED = 64  # texts; a room sends 30 frames a second, followers take one every 66 ms
SEEN = 1024  # hashes of texts sent once, waiting for a second socket to send them
Key = tuple[bytes, int]  # a text and the window it is deflated with
# only play frames are shared (replies, exports, data go to one socket or rarely), and only
# frames of a usual size: the cache stays a few hundred kilobytes
FRAME_PREFIX = b'{"type":"frame"'
MAX_CACHED = 64 * 1024


class FrameCache:
    """Deflated texts, shared by the sockets of one process (event loop thread only)."""

    def __init__(self) -> None:
        self.deflated: OrderedDict[Key, bytes] = OrderedDict()
        self.seen: OrderedDict[int, None] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: Key) -> bytes | None:
        found = self.deflated.get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def offer(self, key: Key, deflated: bytes) -> None:
        """Keep ``deflated`` if ``key`` was offered before (sent on two sockets)."""
        seen = hash(key)
        if seen not in self.seen:
            self.seen[seen] = None
            if len(self.seen) > SEEN:
                self.seen.popitem(last=False)
            return
        self.deflated[key] = deflated
        if len(self.deflated) > CACHED:
            self.deflated.popitem(last=False)


CACHE = FrameCache()


class SharedDeflate(PerMessageDeflate):
    """permessage-deflate whose whole messages come from the process's cache when they can."""

    def encode(self, frame: Frame) -> Frame:
        whole = frame.fin and frame.opcode in (TEXT, BINARY)
        shareable = len(frame.data) <= MAX_CACHED and bytes(frame.data[:15]) == FRAME_PREFIX
        if not (whole and shareable and self.local_no_context_takeover):
            return super().encode(frame)
        # a client may ask for a smaller window than ours: bytes deflated with a larger one
        # could point back further than its inflater keeps, so the window is in the key
        text = bytes(frame.data)
        key = (text, self.local_max_window_bits)
        data = CACHE.get(key)
        if data is None:
            data = bytes(super().encode(frame).data)
            CACHE.offer(key, data)
        return Frame(frame.opcode, data, True, True, frame.rsv2, frame.rsv3)


class SharedDeflateFactory(ServerPerMessageDeflateFactory):
    """Offers permessage-deflate without server context takeover, as ``SharedDeflate``."""

    def __init__(self) -> None:
        # the window and memory settings uvicorn uses for every other socket
        super().__init__(
            server_no_context_takeover=True,
            server_max_window_bits=12,
            client_max_window_bits=12,
            compress_settings={"memLevel": 5},
        )

    def process_request_params(
        self, params: Sequence[ExtensionParameter], accepted_extensions: Sequence[Extension]
    ) -> tuple[list[ExtensionParameter], PerMessageDeflate]:
        response, ext = super().process_request_params(params, accepted_extensions)
        shared = SharedDeflate(
            ext.remote_no_context_takeover,
            ext.local_no_context_takeover,
            ext.remote_max_window_bits,
            ext.local_max_window_bits,
            ext.compress_settings,
        )
        return response, shared


def follows_room(path: str) -> bool:
    """The socket's URL names a room to follow (the page's follower socket)."""
    return "follow" in parse_qs(urlsplit(path).query, keep_blank_values=True)


class RoomDeflateProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol; a follower's socket gets ``SharedDeflate``."""

    def handle_connect(self, event: Request) -> None:
        if self.config.ws_per_message_deflate and follows_room(event.path):
            self.conn.available_extensions = [SharedDeflateFactory()]
        super().handle_connect(event)
