"""The ``seek`` op over the real WebSocket: back to a step, the same frame, and branching."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from app.main import create_app
from app.settings import Settings
from tests.app.conftest import recv_until

SHOWN = ("step", "epoch", "loss", "metrics", "params", "grad", "diverged")


def step(ws: WebSocketTestSession, n: int) -> dict[str, Any]:
    ws.send_json({"op": "step", "steps": n})
    return recv_until(ws, "frame")


def seek(ws: WebSocketTestSession, **args: Any) -> list[dict[str, Any]]:
    """The replies to a seek, up to its frame."""
    ws.send_json({"op": "seek", "id": "s", **args})
    out = [ws.receive_json()]
    while out[-1]["type"] != "frame":
        out.append(ws.receive_json())
    return out


def test_a_seek_shows_the_frame_the_run_showed_at_that_step(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans?method=sgd&shuffle=true") as ws:
        recv_until(ws, "frame")
        seen = {}
        for _ in range(12):
            frame = step(ws, 3)
            seen[frame["step"]] = frame
        for k in (6, 21, 3, 36):
            *side, frame = seek(ws, step=k)
            assert side == []  # the same data: not sent again
            assert frame["id"] == "s"
            assert {f: frame[f] for f in SHOWN} == {f: seen[k][f] for f in SHOWN}
            assert frame["rewind"]["first"] == 0 and frame["rewind"]["last"] == 36
            assert 0 < frame["rewind"]["bytes"] <= frame["rewind"]["budget"]


def test_resuming_branches_the_run_with_the_param_changed_there(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans?method=batch&lr=0.1") as ws:
        recv_until(ws, "frame")
        step(ws, 20)
        seek(ws, step=8)
        ws.send_json({"op": "configure", "params": {"lr": 0.05}})
        recv_until(ws, "config")
        branched = step(ws, 4)
        assert branched["step"] == 12 and branched["update"]["lr"] == 0.05
        ws.send_json({"op": "seek", "id": 2, "step": 13})
        error = recv_until(ws, "error")
        assert error["code"] == "invalid_params" and error["errors"][0]["field"] == "step"
        assert "0…12" in error["errors"][0]["message"]
        ws.send_json({"op": "export", "format": "json"})
        record = recv_until(ws, "export")
        assert '"step": 8' in record["content"] and '"lr": 0.05' in record["content"]
        # the same run from the start, never rewound
    with client.websocket_connect("/ws/beans?method=batch&lr=0.1") as ws:
        recv_until(ws, "frame")
        step(ws, 8)
        ws.send_json({"op": "configure", "params": {"lr": 0.05}})
        recv_until(ws, "config")
        assert step(ws, 4)["params"] == branched["params"]


def test_going_back_before_a_divergence(client: TestClient) -> None:
    query = "method=batch&lr=0.8&w0=4&b0=-1.5"  # beans' "too large" lesson
    with client.websocket_connect(f"/ws/beans?{query}") as ws:
        start = recv_until(ws, "frame")
        ws.send_json({"op": "play"})
        while recv_until(ws, "state", 5000)["reason"] != "diverged":
            pass
        ws.send_json({"op": "seek", "step": 0, "nonsense": 1})
        assert recv_until(ws, "error")["errors"][0]["field"] == "nonsense"
        *_, frame = seek(ws, to="healthy")
        assert not frame["diverged"] and frame["step"] > 0
        assert frame["loss"]["train"] <= start["loss"]["train"]
        ws.send_json({"op": "configure", "params": {"lr": 0.4}})
        recv_until(ws, "config")
        assert not step(ws, 200)["diverged"]


def test_bad_seeks_are_refused_and_the_session_goes_on(client: TestClient) -> None:
    with client.websocket_connect("/ws/neuron") as ws:
        recv_until(ws, "frame")
        bads: list[tuple[dict[str, Any], str]] = [
            ({"step": -1}, "step"), ({"step": "3"}, "step"), ({"step": 1.5}, "step"),
            ({"to": "start"}, "to"), ({}, "step"), ({"step": 99}, "step"),
        ]  # fmt: skip
        for bad, field in bads:
            ws.send_json({"op": "seek", **bad})
            error = recv_until(ws, "error")
            assert (error["code"], error["errors"][0]["field"]) == ("invalid_params", field)
        assert step(ws, 2)["step"] == 2


def test_a_presenters_seek_reaches_followers_as_a_frame(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles?n=60&hidden=4") as teacher:
        recv_until(teacher, "frame")
        teacher.send_json({"op": "add_point", "x1": 1.0, "x2": 1.0, "label": 1})
        recv_until(teacher, "points")
        step(teacher, 10)
        teacher.send_json({"op": "present", "id": "p"})
        code = recv_until(teacher, "room")["room"]
        with client.websocket_connect(f"/ws/circles?follow={code}") as student:
            recv_until(student, "frame")
            *_, frame = seek(teacher, step=4)
            while "rewind" not in (seen := recv_until(student, "frame")):
                pass
            assert seen["step"] == 4 and seen["rewind"]["last"] == 10
            assert seen["loss"] == frame["loss"] and "id" not in seen
            assert "boundary" in seen and "weights" in seen  # all a page draws
            student.send_json({"op": "seek", "step": 1})
            assert recv_until(student, "error")["code"] == "read_only"


def test_the_budget_setting_bounds_a_sessions_checkpoints() -> None:
    settings = Settings(allowed_hosts="testserver", rewind_budget_mb=0.1)
    with TestClient(create_app(settings)) as c, c.websocket_connect("/ws/beans") as ws:
        recv_until(ws, "frame")
        seen = {step(ws, 5)["step"]: None for _ in range(60)}
        assert max(seen) == 300
        *_, frame = seek(ws, step=7)  # between two checkpoints, far apart by now
        info = frame["rewind"]
        assert info["budget"] == int(0.1 * 2**20) and 0 < info["bytes"] <= info["budget"]
        assert info["stride"] > 5 and info["last"] == 300 and frame["step"] == 7
