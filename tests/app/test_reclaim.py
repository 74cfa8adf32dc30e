"""A presenter's page that reloads takes its room, its class and its run back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from app.main import create_app
from app.settings import Settings
from tests.app.conftest import recv_until
from tests.app.test_classroom import open_beans, step, until_frame
from tests.app.test_classroom_class import by_name, class_until, join

Socket = WebSocketTestSession


def graceful(grace: float) -> TestClient:
    return TestClient(create_app(Settings(allowed_hosts="testserver", presenter_grace_s=grace)))


@pytest.fixture
def client() -> Iterator[TestClient]:
    with graceful(30) as c:
        yield c


def present(ws: Socket) -> tuple[str, str]:
    ws.send_json({"op": "present", "id": "p"})
    room = recv_until(ws, "room")
    assert room["resumed"] is False and len(room["key"]) >= 20
    return room["room"], room["key"]


def back(client: TestClient, stack: ExitStack, code: str, key: str) -> tuple[Socket, list[Any]]:
    """The presenter's page again, with its room's key: its socket and opening messages."""
    ws = stack.enter_context(client.websocket_connect(f"/ws/beans?present={code}&key={key}"))
    opening = [ws.receive_json()]
    while opening[-1]["type"] not in ("room", "room_closed"):
        opening.append(ws.receive_json())
    return ws, opening


def test_a_reloaded_presenter_gets_its_room_class_and_run_back(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.member.HEARTBEAT", 0.2)
    with ExitStack() as stack:
        teacher = stack.enter_context(client.websocket_connect("/ws/beans?lr=0.05"))
        open_beans(teacher)
        code, key = present(teacher)
        last = step(teacher, 7)
        ada = join(client, stack, code, "Ada")
        watcher = stack.enter_context(client.websocket_connect(f"/ws/beans?follow={code}"))
        until_frame(watcher)
        teacher.send_json({"op": "class", "do": "anonymise", "on": True, "id": "a"})
        recv_until(teacher, "class")
        teacher.close()  # the teacher's page reloads
        time.sleep(0.3)
        teacher, opening = back(client, stack, code, key)
        kinds = [m["type"] for m in opening]
        hello, frame, room = opening[0], recv_frame(opening), opening[-1]
        assert kinds[0] == "hello" and "read_only" not in hello and "room_closed" not in kinds
        assert hello["params"]["lr"] == 0.05  # its run's params, not the URL's defaults
        assert (frame["step"], frame["params"]) == (7, last["params"])  # where it was
        assert (room["room"], room["resumed"], room["key"]) == (code, True, key)
        # the followers go on with the same room: the teacher's next steps reach them
        assert step(teacher, 2)["step"] == 9
        assert frame_at(watcher, 9)["step"] == 9  # after the resumed state at step 7
        # and the class too: Ada's tile comes back, her summaries flow again
        ada.send_json({"op": "step", "steps": 3})
        teacher.send_json({"op": "class", "do": "view", "open": True, "id": "v"})
        assert recv_until(teacher, "class")["anonymous"] is True  # as the teacher had set it
        class_until(teacher, lambda t: by_name(t).get("Ada", {}).get("step") == 10)


def frame_at(ws: Socket, step: int) -> dict[str, Any]:
    """The follower's frame at ``step`` (it is handed the resumed state first)."""
    for _ in range(50):
        frame = recv_until(ws, "frame")
        if frame["step"] == step:
            return frame
    raise AssertionError(f"no frame at step {step}")


def recv_frame(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return next(m for m in messages if m["type"] == "frame")


def test_a_wrong_key_or_a_closed_room_starts_anew() -> None:
    with graceful(0) as client, ExitStack() as stack:
        teacher = stack.enter_context(client.websocket_connect("/ws/beans"))
        open_beans(teacher)
        code, key = present(teacher)
        step(teacher, 4)
        _, opening = back(client, stack, code, key[:-1] + ("A" if key[-1] != "A" else "B"))
        assert opening[-1] == {"type": "room_closed", "room": code}
        assert recv_frame(opening)["step"] == 0  # a session of its own, from the start
        watcher = stack.enter_context(client.websocket_connect(f"/ws/beans?follow={code}"))
        until_frame(watcher)
        teacher.close()  # no grace: the room closes at once, and no key brings it back
        recv_until(watcher, "room_closed")
        _, opening = back(client, stack, code, key)
        assert opening[-1] == {"type": "room_closed", "room": code}


def test_the_room_and_class_close_when_no_page_comes_back_in_time() -> None:
    with graceful(0.5) as client, ExitStack() as stack:
        teacher = stack.enter_context(client.websocket_connect("/ws/beans"))
        open_beans(teacher)
        code, key = present(teacher)
        step(teacher, 3)
        ada = join(client, stack, code, "Ada")
        watcher = stack.enter_context(client.websocket_connect(f"/ws/beans?follow={code}"))
        until_frame(watcher)
        teacher.close()
        assert recv_until(watcher, "room_closed")["room"] == code
        assert recv_until(ada, "class_event")["event"] == "closed"
        watcher.send_json({"op": "fork", "id": "f"})
        assert recv_until(watcher, "frame")["step"] == 3  # forks still get the last state
        _, opening = back(client, stack, code, key)
        assert opening[-1]["type"] == "room_closed"


def test_a_second_page_takes_the_room_from_the_first(client: TestClient) -> None:
    with ExitStack() as stack:
        first = stack.enter_context(client.websocket_connect("/ws/beans"))
        open_beans(first)
        code, key = present(first)
        step(first, 5)
        watcher = stack.enter_context(client.websocket_connect(f"/ws/beans?follow={code}"))
        until_frame(watcher)
        second, opening = back(client, stack, code, key)  # the first never closed
        assert recv_frame(opening)["step"] == 5 and opening[-1]["resumed"] is True
        taken = recv_until(first, "room_closed")
        assert taken == {"type": "room_closed", "room": code, "taken": True}
        assert step(first, 1)["step"] == 6  # the first page's run goes on, privately
        assert step(second, 2)["step"] == 7
        assert frame_at(watcher, 7)["step"] == 7  # the room shows the second page


def test_the_key_reaches_only_the_presenters_page(client: TestClient) -> None:
    with ExitStack() as stack:
        teacher = stack.enter_context(client.websocket_connect("/ws/beans"))
        open_beans(teacher)
        code, key = present(teacher)
        watcher = stack.enter_context(client.websocket_connect(f"/ws/beans?follow={code}"))
        seen = until_frame(watcher)
        teacher.send_json({"op": "present", "id": "again"})  # a second present: same room
        assert recv_until(teacher, "room")["key"] == key
        step(teacher, 1)
        seen += until_frame(watcher)
        assert all(m["type"] != "room" and key not in str(m) for m in seen)


def test_after_a_takeover_latecomers_and_followers_get_the_new_pages_state(
    client: TestClient,
) -> None:
    with ExitStack() as stack:
        first = stack.enter_context(client.websocket_connect("/ws/beans"))
        open_beans(first)
        code, key = present(first)
        first.send_json({"op": "play"})  # the first page plays; the second comes back paused
        recv_until(first, "state")
        watcher = stack.enter_context(client.websocket_connect(f"/ws/beans?follow={code}"))
        until_frame(watcher)
        second, _ = back(client, stack, code, key)
        recv_until(first, "room_closed")
        first.send_json({"op": "configure", "params": {"lr": 0.07}})  # its own run now
        recv_until(first, "config")
        # the watcher is handed the second page's state: paused, its params
        assert recv_until(watcher, "state")["running"] is False
        step(second, 1)
        late = stack.enter_context(client.websocket_connect(f"/ws/beans?follow={code}"))
        caught = until_frame(late)
        states = [m["running"] for m in caught if m["type"] == "state"]
        assert states == [False]  # one state, the new owner's (not the old one's "playing")
        assert caught[0]["params"]["lr"] == 0.3  # the first page's change (0.07) stayed its own


def test_the_key_never_reaches_the_log() -> None:
    import logging

    from app.logs import HideRoomKeys, hide_room_keys

    hide_room_keys()
    filters = logging.getLogger("uvicorn.error").filters
    assert any(isinstance(f, HideRoomKeys) for f in filters)
    url = "/ws/beans?present=K7QX2&key=s3cr3t-Key_1"
    line = '%s - "WebSocket %s" [accepted]'
    record = logging.LogRecord("uvicorn.error", logging.INFO, "", 0, line, ("1.2", url), None)
    HideRoomKeys().filter(record)
    assert "s3cr3t" not in record.getMessage() and "present=K7QX2&key=…" in record.getMessage()
