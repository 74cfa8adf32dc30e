"""FastAPI's TestClient over the real app, and helpers to read a session."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from app.main import create_app
from app.settings import Settings


@pytest.fixture
def client() -> Iterator[TestClient]:
    # TestClient sends `Host: testserver`; a real server answers only to names it knows.
    # A presenter who leaves closes their room at once here (no grace for a reload: see
    # tests/app/test_reclaim.py for that).
    with TestClient(create_app(Settings(allowed_hosts="testserver", presenter_grace_s=0))) as c:
        yield c


def recv_until(ws: WebSocketTestSession, kind: str, limit: int = 500) -> dict[str, Any]:
    """The next message of type ``kind``, skipping others (e.g. play frames)."""
    for _ in range(limit):
        msg: dict[str, Any] = ws.receive_json()
        if msg["type"] == kind:
            return msg
    raise AssertionError(f"no {kind!r} message in {limit}")


def opening(ws: WebSocketTestSession, n: int) -> list[dict[str, Any]]:
    return [ws.receive_json() for _ in range(n)]


def unpack(a: Any) -> np.ndarray:
    """A packed array back to NumPy, independently of app/protocol.py."""
    if isinstance(a, list):
        return np.asarray(a)
    raw = base64.b64decode(a["b64"])
    return np.frombuffer(raw, dtype=np.dtype(a["dtype"]).newbyteorder("<")).reshape(a["shape"])
