"""Present, follow, fork and export over the real WebSocket protocol."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from app.main import create_app
from app.settings import Settings
from tests.app.conftest import recv_until, unpack


def open_beans(ws: WebSocketTestSession) -> dict[str, Any]:
    """Read the opening (hello, data, surface, frame); return the frame."""
    kinds = [ws.receive_json()["type"] for _ in range(3)]
    assert kinds == ["hello", "data", "surface"]
    return recv_until(ws, "frame")


def step(ws: WebSocketTestSession, n: int) -> dict[str, Any]:
    ws.send_json({"op": "step", "steps": n})
    return recv_until(ws, "frame")


def present(ws: WebSocketTestSession) -> str:
    ws.send_json({"op": "present", "id": "p"})
    room = recv_until(ws, "room")
    assert room["id"] == "p"
    return str(room["room"])


def until_frame(ws: WebSocketTestSession) -> list[dict[str, Any]]:
    """Messages up to and including the next frame."""
    out = [ws.receive_json()]
    while out[-1]["type"] != "frame":
        out.append(ws.receive_json())
    return out


def test_a_follower_sees_the_presenters_data_frames_and_params(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans?n=40&lr=0.05") as teacher:
        open_beans(teacher)
        at5 = step(teacher, 5)
        code = present(teacher)
        assert len(code) == 5 and code.isalnum() and code.upper() == code
        with client.websocket_connect(f"/ws/beans?follow={code}") as student:
            hello = student.receive_json()
            assert hello["type"] == "hello"
            assert hello["read_only"] is True and hello["room"] == code
            assert hello["params"]["n"] == 40 and hello["params"]["lr"] == 0.05
            caught = until_frame(student)
            kinds = [m["type"] for m in caught]
            assert kinds == ["data", "surface", "frame"]
            assert len(unpack(caught[0]["train"]["x"])) == 40
            assert caught[-1]["step"] == 5 and caught[-1]["params"] == at5["params"]

            teacher.send_json({"op": "configure", "params": {"lr": 0.2}})
            assert recv_until(student, "config")["params"]["lr"] == 0.2
            at8 = step(teacher, 3)
            seen = recv_until(student, "frame")
            assert (seen["step"], seen["params"]) == (8, at8["params"])


def test_follower_controls_are_read_only(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as teacher:
        open_beans(teacher)
        code = present(teacher)
        with client.websocket_connect(f"/ws/beans?follow={code}") as student:
            until_frame(student)
            for op in ({"op": "step"}, {"op": "configure", "params": {"lr": 1}},
                       {"op": "play"}, {"op": "reset"}, {"op": "present"},
                       {"op": "export", "format": "json"}):  # fmt: skip
                student.send_json({**op, "id": 7})
                error = recv_until(student, "error")
                assert (error["code"], error["id"]) == ("read_only", 7)
                assert code in error["message"]
        # the teacher's session was not touched
        assert step(teacher, 1)["step"] == 1


def test_errors_and_exports_answer_only_the_presenter(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as teacher:
        open_beans(teacher)
        code = present(teacher)
        with client.websocket_connect(f"/ws/beans?follow={code}") as student:
            until_frame(student)
            teacher.send_json({"op": "configure", "params": {"lr": -1}})
            assert recv_until(teacher, "error")["code"] == "invalid_params"
            teacher.send_json({"op": "export", "format": "json"})
            assert recv_until(teacher, "export")["format"] == "json"
            step(teacher, 2)
            kinds = [m["type"] for m in until_frame(student)]
            assert "error" not in kinds and "export" not in kinds


def test_a_fork_continues_exactly_where_the_presenter_is(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans?method=sgd&shuffle=true") as teacher:
        open_beans(teacher)
        step(teacher, 7)
        code = present(teacher)
        with client.websocket_connect(f"/ws/beans?follow={code}") as student:
            until_frame(student)
            teacher.send_json({"op": "configure", "params": {"lr": 0.1}})
            recv_until(student, "config")
            student.send_json({"op": "fork", "id": "f"})
            config = recv_until(student, "config")
            assert config["id"] == "f" and config["forked"] is True
            assert config["reset"] is False and config["params"]["lr"] == 0.1
            forked = recv_until(student, "frame")
            assert forked["step"] == 7
            # Same state, same shuffler: both sides now take identical steps.
            mine, theirs = step(student, 11), step(teacher, 11)
            assert (mine["step"], mine["params"]) == (18, theirs["params"])
            # ...and they are independent sessions from now on.
            student.send_json({"op": "configure", "params": {"lr": 0.01}})
            assert recv_until(student, "config")["params"]["lr"] == 0.01
            assert step(teacher, 1)["step"] == 19
            assert step(student, 1)["step"] == 19


def test_when_the_presenter_leaves_followers_can_still_fork(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as teacher:
        open_beans(teacher)
        code = present(teacher)
        # the student outlives the teacher's connection
        following = client.websocket_connect(f"/ws/beans?follow={code}")
        student = following.__enter__()
        until_frame(student)
        last = step(teacher, 9)
    closed = recv_until(student, "room_closed")
    assert closed["room"] == code
    student.send_json({"op": "fork"})
    recv_until(student, "config")
    frame = recv_until(student, "frame")
    assert (frame["step"], frame["params"]) == (9, last["params"])
    assert step(student, 1)["step"] == 10
    following.__exit__(None, None, None)
    # the room is gone for newcomers
    with client.websocket_connect(f"/ws/beans?follow={code}") as late:
        assert late.receive_json()["code"] == "no_such_room"


@pytest.mark.parametrize("query", ["follow=ZZZZZ", "follow=", "follow=%3Cscript%3E"])
def test_unknown_rooms_are_refused_with_4404(client: TestClient, query: str) -> None:
    with client.websocket_connect(f"/ws/beans?{query}") as ws:
        error = ws.receive_json()
        assert error["type"] == "error" and error["code"] == "no_such_room"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4404


def test_a_room_is_for_its_own_lab(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as teacher:
        open_beans(teacher)
        code = present(teacher)
        with client.websocket_connect(f"/ws/neuron?follow={code.lower()}") as ws:
            assert ws.receive_json()["code"] == "no_such_room"
        with client.websocket_connect(f"/ws/beans?follow={code.lower()}") as ws:
            assert ws.receive_json()["read_only"] is True  # codes ignore case


@pytest.fixture
def one_follower() -> Iterator[TestClient]:
    settings = Settings(max_followers=1, allowed_hosts="testserver", presenter_grace_s=0)
    with TestClient(create_app(settings)) as c:
        yield c


def test_the_follower_limit(one_follower: TestClient) -> None:
    with one_follower.websocket_connect("/ws/beans") as teacher:
        open_beans(teacher)
        code = present(teacher)
        with one_follower.websocket_connect(f"/ws/beans?follow={code}") as first:
            assert first.receive_json()["read_only"] is True
            with one_follower.websocket_connect(f"/ws/beans?follow={code}") as second:
                assert second.receive_json()["code"] == "room_full"
                with pytest.raises(WebSocketDisconnect) as closed:
                    second.receive_json()
            assert closed.value.code == 1013
        # the first one left: there is room again
        with one_follower.websocket_connect(f"/ws/beans?follow={code}") as third:
            assert third.receive_json()["read_only"] is True


def test_presenting_twice_keeps_the_room(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as teacher:
        open_beans(teacher)
        assert present(teacher) == present(teacher)


def test_a_late_follower_gets_the_newest_data(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as teacher:
        open_beans(teacher)
        code = present(teacher)
        teacher.send_json({"op": "configure", "params": {"n": 12}})
        recv_until(teacher, "frame")
        with client.websocket_connect(f"/ws/beans?follow={code}") as student:
            hello = student.receive_json()
            assert hello["params"]["n"] == 12
            data = recv_until(student, "data")
            assert len(unpack(data["train"]["x"])) == 12


def test_fork_without_a_room(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        open_beans(ws)
        ws.send_json({"op": "fork"})
        assert recv_until(ws, "error")["code"] == "not_following"


# -- export ---------------------------------------------------------------------


def export(ws: WebSocketTestSession, fmt: str) -> dict[str, Any]:
    ws.send_json({"op": "export", "format": fmt, "id": fmt})
    reply = recv_until(ws, "export")
    assert reply["id"] == fmt and reply["format"] == fmt
    return reply


def test_export_json_holds_params_changes_and_history(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans?lr=0.05") as ws:
        open_beans(ws)
        step(ws, 4)
        ws.send_json({"op": "configure", "params": {"lr": 0.1, "batch_size": 5}})
        recv_until(ws, "config")
        step(ws, 6)
        reply = export(ws, "json")
    assert reply["filename"] == "beans_step10.json"
    record = json.loads(reply["content"])
    assert record["lab"] == "beans" and record["step"] == 10
    assert record["params"]["lr"] == 0.05
    assert record["changes"] == [
        {"step": 4, "kind": "params", "values": {"batch_size": 5, "lr": 0.1}}
    ]
    steps = [h["step"] for h in record["history"]]
    assert steps == [0, 4, 10]
    assert all(h["loss"]["train"] > 0 for h in record["history"])


def test_a_reset_starts_the_record_over(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        open_beans(ws)
        step(ws, 3)
        ws.send_json({"op": "configure", "params": {"lr": 0.1}})
        ws.send_json({"op": "reset"})
        recv_until(ws, "frame")
        step(ws, 2)
        record = json.loads(export(ws, "json")["content"])
    assert record["params"]["lr"] == 0.1 and record["changes"] == []
    assert [h["step"] for h in record["history"]] == [0, 2]


def test_the_python_export_replays_the_session(client: TestClient, tmp_path: Any) -> None:
    with client.websocket_connect("/ws/beans?method=sgd") as ws:
        open_beans(ws)
        step(ws, 30)
        ws.send_json({"op": "configure", "params": {"lr": 0.05, "method": "batch"}})
        recv_until(ws, "config")
        last = step(ws, 25)
        reply = export(ws, "python")
    script = tmp_path / reply["filename"]
    script.write_text(reply["content"])
    out = subprocess.run(
        [sys.executable, "-I", str(script)], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["step"] == 55
    assert {"w": result["w"], "b": result["b"]} == last["params"]
    assert result["loss"] == last["loss"]["train"]


def test_a_bad_export_format(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        open_beans(ws)
        ws.send_json({"op": "export", "format": "pdf"})
        error = recv_until(ws, "error")
    assert error["code"] == "invalid_params" and error["errors"][0]["field"] == "format"


def test_the_qr_code_of_a_follow_link(client: TestClient) -> None:
    link = "http://192.168.1.20:8000/labs/beans?follow=ABCDE"
    response = client.get("/api/qr.svg", params={"text": link})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    svg = ET.fromstring(response.text)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and "viewBox" in svg.attrib
    assert link in response.text  # as its title, for screen readers
    assert client.get("/api/qr.svg", params={"text": "x" * 600}).status_code == 422
    assert client.get("/api/qr.svg").status_code == 422


def test_a_fork_inherits_the_record_of_the_run(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as teacher:
        open_beans(teacher)
        step(teacher, 3)
        teacher.send_json({"op": "configure", "params": {"lr": 0.1}})
        recv_until(teacher, "config")
        step(teacher, 2)
        code = present(teacher)
        with client.websocket_connect(f"/ws/beans?follow={code}") as student:
            until_frame(student)
            student.send_json({"op": "fork"})
            recv_until(student, "frame")
            step(student, 4)
            record = json.loads(export(student, "json")["content"])
    assert record["step"] == 9
    assert record["changes"] == [{"step": 3, "kind": "params", "values": {"lr": 0.1}}]


def test_a_late_follower_gets_both_neuron_surfaces(client: TestClient) -> None:
    with client.websocket_connect("/ws/neuron") as teacher:
        recv_until(teacher, "frame")
        code = present(teacher)
        with client.websocket_connect(f"/ws/neuron?follow={code}") as student:
            caught = until_frame(student)[1:]
    surfaces = [m["cost_name"] for m in caught if m["type"] == "surface"]
    assert sorted(surfaces) == ["cross_entropy", "quadratic"]


def test_a_fork_that_presents_starts_a_clean_room(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as teacher:
        open_beans(teacher)
        code = present(teacher)
        following = client.websocket_connect(f"/ws/beans?follow={code}")
        student = following.__enter__()
        until_frame(student)
    recv_until(student, "room_closed")
    student.send_json({"op": "fork"})
    assert recv_until(student, "config")["forked"] is True
    recv_until(student, "frame")
    second = present(student)
    with client.websocket_connect(f"/ws/beans?follow={second}") as newcomer:
        assert newcomer.receive_json()["read_only"] is True
        caught = until_frame(newcomer)
    assert [m["type"] for m in caught].count("room_closed") == 0
    assert not any(m.get("forked") for m in caught)
    following.__exit__(None, None, None)
