"""What a room relays: the presenter's messages without the presenter's ids."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from app.kept import without_id
from tests.app.conftest import recv_until


def test_without_id_drops_only_the_top_level_id() -> None:
    assert without_id('{"type":"config","params":{"lr":1},"id":7}') == (
        '{"type":"config","params":{"lr":1}}'
    )
    assert without_id('{"type":"frame","step":2,"id":"a \\" b"}') == '{"type":"frame","step":2}'
    assert without_id('{"type":"config","id":-1.5e3}') == '{"type":"config"}'
    kept = '{"type":"data","points":{"id":3}}'  # a nested "id" is data, not a reply's
    assert without_id(kept) == kept


def messages(ws: WebSocketTestSession, until: str) -> list[dict[str, Any]]:
    out = [ws.receive_json()]
    while out[-1]["type"] != until:
        out.append(ws.receive_json())
    return out


def test_a_follower_never_gets_the_presenters_ids(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as teacher:
        recv_until(teacher, "frame")
        teacher.send_json({"op": "configure", "id": 1, "params": {"lr": 0.05}})
        recv_until(teacher, "config")
        teacher.send_json({"op": "present", "id": 2})
        code = recv_until(teacher, "room")["room"]
        with client.websocket_connect(f"/ws/beans?follow={code}") as student:
            caught = messages(student, "frame")  # the catch-up: config among it
            teacher.send_json({"op": "configure", "id": 3, "params": {"lr": 0.02}})
            assert recv_until(teacher, "config")["id"] == 3  # the presenter's own reply has it
            live = messages(student, "config")
            teacher.send_json({"op": "step", "steps": 2, "id": 4})
            assert recv_until(teacher, "frame")["id"] == 4
            live += messages(student, "frame")
    assert any(m["type"] == "config" for m in caught)
    assert live[-1]["type"] == "frame"
    assert [m for m in caught + live if "id" in m] == []
