"""A real ``python -m app`` on 127.0.0.1: idle, slowloris and deaf-WebSocket connections close.

Timeouts are set small through the environment, so the whole file takes a few seconds.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.live import serve

ROOT = Path(__file__).resolve().parents[2]
HEADER_TIMEOUT_S = 0.5
PING_S = 0.3
ENV = {
    "DESCENT_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
    "DESCENT_IDLE_TIMEOUT_S": "1",
    "DESCENT_WS_PING_INTERVAL_S": str(PING_S),
    "DESCENT_WS_PING_TIMEOUT_S": str(PING_S),
}
CLOSED_BY = 2.5  # seconds: the timeouts above plus generous slack for a busy machine


def healthy(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serve(ENV) as server:
        yield server.port


def seconds_until_closed(s: socket.socket, trickle: bytes = b"", every: float = 0.1) -> float:
    """Send ``trickle`` a byte every ``every`` s; seconds until the server closes the socket."""
    start = time.monotonic()
    while time.monotonic() - start < 5:
        if select.select([s], [], [], every)[0]:
            try:
                if not s.recv(65536):
                    return time.monotonic() - start
            except ConnectionResetError:
                return time.monotonic() - start
        elif trickle:
            try:
                s.send(trickle[:1])
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - start
            trickle = trickle[1:] or b"x"
    raise AssertionError("the server kept the connection open for 5 s")


def test_connections_that_send_nothing_are_closed(port: int) -> None:
    flood = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    try:
        waited = [seconds_until_closed(s) for s in flood]
    finally:
        for s in flood:
            s.close()
    assert HEADER_TIMEOUT_S * 0.8 < waited[0] < CLOSED_BY
    assert max(waited) < CLOSED_BY
    assert healthy(port)  # and the server still serves


def test_request_headers_sent_a_byte_at_a_time_are_cut_off(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\n")
        waited = seconds_until_closed(s, trickle=b"Host: 127.0.0.1\r\nX-Slow: " + b"a" * 100)
    assert HEADER_TIMEOUT_S * 0.8 < waited < CLOSED_BY


def test_a_head_in_pieces_within_the_deadline_is_served_then_idles_out(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\n")
        time.sleep(HEADER_TIMEOUT_S / 3)
        s.sendall(b"Host: 127.0.0.1\r\n\r\n")
        s.settimeout(5)
        assert s.recv(65536).startswith(b"HTTP/1.1 200")
        # keep-alive, but the next request's head must come in time too
        assert seconds_until_closed(s) < CLOSED_BY


def test_an_open_websocket_is_not_timed_out_while_it_answers_pings(port: int) -> None:
    with connect(f"ws://127.0.0.1:{port}/ws/beans") as ws:  # answers pings by itself
        assert json.loads(ws.recv(timeout=5))["type"] == "hello"
        time.sleep(HEADER_TIMEOUT_S * 3 + PING_S * 2)
        ws.send(json.dumps({"op": "step", "steps": 1}))
        kinds = set()
        while "frame" not in kinds:
            kinds.add(json.loads(ws.recv(timeout=5))["type"])


def handshake(host: str) -> bytes:
    return (
        f"GET /ws/beans HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def test_a_websocket_that_never_answers_pings_is_closed(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(handshake(f"127.0.0.1:{port}"))
        s.settimeout(5)
        assert s.recv(12) == b"HTTP/1.1 101"
        assert seconds_until_closed(s) < CLOSED_BY


def test_a_rebound_host_gets_no_page_and_no_socket(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        s.settimeout(5)
        assert s.recv(12) == b"HTTP/1.1 400"
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(handshake(f"evil.example:{port}"))
        s.settimeout(5)
        assert s.recv(12) == b"HTTP/1.1 403"
