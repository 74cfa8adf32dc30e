"""A room's frames are deflated once per process: followers negotiate no context takeover."""

from __future__ import annotations

import asyncio
import json
import zlib
from typing import Any

import websockets
from websockets.frames import TEXT, Frame

from app import wsdeflate
from app.wsdeflate import FrameCache, SharedDeflate, follows_room
from tests.live import serve


def inflate(data: bytes) -> bytes:
    """What a client does with one message sent without context takeover (RFC 7692 §7.2.2)."""
    return zlib.decompressobj(wbits=-12).decompress(data + b"\x00\x00\xff\xff")


def socket_ext() -> SharedDeflate:
    return SharedDeflate(False, True, 12, 12, {"memLevel": 5})


def test_one_text_deflates_to_the_same_bytes_on_every_socket(monkeypatch: Any) -> None:
    monkeypatch.setattr(wsdeflate, "CACHE", FrameCache())
    text = compact({"type": "frame", "w": [i / 7 for i in range(400)]})
    sent = [socket_ext().encode(Frame(TEXT, text)) for _ in range(5)]
    assert {bytes(f.data) for f in sent} == {bytes(sent[0].data)}
    assert all(f.rsv1 and f.fin for f in sent)
    assert inflate(bytes(sent[0].data)) == text
    assert len(sent[0].data) < len(text) / 2
    # the first two sockets deflate it (the second admits it), the other three reuse it
    assert (wsdeflate.CACHE.misses, wsdeflate.CACHE.hits) == (2, 3)


def test_a_smaller_window_gets_bytes_of_its_own(monkeypatch: Any) -> None:
    monkeypatch.setattr(wsdeflate, "CACHE", FrameCache())
    text = compact({"type": "frame", "w": [i % 97 / 7 for i in range(3000)]})  # repeats
    for _ in range(3):
        socket_ext().encode(Frame(TEXT, text))
    small = SharedDeflate(False, True, 12, 9, {"memLevel": 5})  # client asked for 2⁹
    data = bytes(small.encode(Frame(TEXT, text)).data)
    assert zlib.decompressobj(wbits=-9).decompress(data + b"\x00\x00\xff\xff") == text


def test_only_frames_of_a_usual_size_are_shared(monkeypatch: Any) -> None:
    monkeypatch.setattr(wsdeflate, "CACHE", FrameCache())
    reply = compact({"type": "export", "format": "python", "text": "x = 1\n" * 100})
    huge = compact({"type": "frame", "w": list(range(20000))})
    for text in (reply, huge):
        for _ in range(3):
            assert inflate(bytes(socket_ext().encode(Frame(TEXT, text)).data)) == text
    assert not wsdeflate.CACHE.deflated and wsdeflate.CACHE.hits == 0


def compact(message: dict[str, Any]) -> bytes:
    """As the server writes a message: compact JSON, type first."""
    return json.dumps(message, separators=(",", ":")).encode()


def test_texts_sent_once_never_fill_the_cache(monkeypatch: Any) -> None:
    monkeypatch.setattr(wsdeflate, "CACHE", FrameCache())
    ext = socket_ext()
    for i in range(3 * wsdeflate.CACHED):
        text = f'{{"type":"frame","step":{i}}}'.encode()
        assert inflate(bytes(ext.encode(Frame(TEXT, text)).data)) == text
    assert not wsdeflate.CACHE.deflated


def test_only_a_follower_url_is_a_follower() -> None:
    assert follows_room("/ws/beans?follow=ABCDE")
    assert follows_room("/ws/beans?lr=0.1&follow=abcde")
    assert not follows_room("/ws/beans?lr=0.1")
    assert not follows_room("/ws/beans?unfollow=1")


def test_a_follower_negotiates_no_context_takeover_and_decodes_every_frame() -> None:
    async def lesson(url: str) -> None:
        async with websockets.connect(f"{url}/ws/circles") as teacher:
            assert "server_no_context_takeover" not in extensions(teacher)
            await until(teacher, "frame")
            await teacher.send(json.dumps({"op": "present"}))
            code = (await until(teacher, "room"))["room"]
            followers = [
                await websockets.connect(f"{url}/ws/circles?follow={code}") for _ in range(3)
            ]
            try:
                assert all("server_no_context_takeover" in extensions(f) for f in followers)
                await teacher.send(json.dumps({"op": "step", "steps": 5, "id": "s"}))
                stepped = await until(teacher, "frame", "s")
                for f in followers:  # each decodes the shared bytes to the presenter's frame
                    seen = await until_step(f, 5)
                    assert seen["step"] == stepped["step"] == 5
                    assert seen["loss"] == stepped["loss"]
            finally:
                for f in followers:
                    await f.close()

    with serve() as server:
        asyncio.run(lesson(server.url))


def extensions(ws: websockets.ClientConnection) -> str:
    assert ws.response is not None
    return str(ws.response.headers.get("Sec-WebSocket-Extensions", ""))


async def until(ws: websockets.ClientConnection, kind: str, msg_id: Any = None) -> Any:
    async with asyncio.timeout(10):
        while True:
            msg = json.loads(await ws.recv())
            if msg["type"] == kind and (msg_id is None or msg.get("id") == msg_id):
                return msg


async def until_step(ws: websockets.ClientConnection, step: int) -> Any:
    """The follower's frame at ``step`` (relayed frames carry no id: it was the presenter's)."""
    async with asyncio.timeout(10):
        while True:
            msg = json.loads(await ws.recv())
            if msg["type"] == "frame" and msg["step"] == step:
                return msg
