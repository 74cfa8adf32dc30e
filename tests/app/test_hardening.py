"""A busy or hostile client never freezes its session: bounded work, strict input, no leaks."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from app.main import create_app
from app.settings import Settings
from tests.app.conftest import opening, recv_until

HEAVY_CIRCLES = {
    "hidden": [64] * 6,
    "features": ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1", "sin_x2"],
    "n": 2000,
    "batch_size": 1500,
    "resolution": 128,
}


def answered(ws: WebSocketTestSession, msg_id: str) -> dict[str, object]:
    """The first reply carrying ``msg_id``, skipping play frames and the like."""
    for _ in range(2000):
        msg = ws.receive_json()
        if msg.get("id") == msg_id:
            return msg
    raise AssertionError(f"no reply with id {msg_id!r}")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("[" * 1000 + "]" * 1000, "nested"),
        ('{"op":"pause","id":' + "9" * 5000 + "}", "JSON"),
        ('{"op":"pause","id":"\\udc00"}', "surrogate"),
        ('{"op":"configure","params":{"\\ud800":1}}', "surrogate"),
        ('{"op":"pause","id":"' + "x" * 500 + '"}', "id"),
        ('{"op":"pause","id":NaN}', "id"),
    ],
)
def test_malformed_messages_get_an_error_and_the_session_lives(
    client: TestClient, text: str, why: str
) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        opening(ws, 4)
        ws.send_text(text)
        err = recv_until(ws, "error")
        assert err["code"] == "bad_message" and why in err["message"]
        ws.send_json({"op": "pause", "id": "ok"})
        assert answered(ws, "ok")["type"] == "state"


def test_a_binary_frame_is_refused_not_fatal(client: TestClient) -> None:
    with client.websocket_connect("/ws/neuron") as ws:
        opening(ws, 4)
        ws.send_bytes(b"\x00\xff binary")
        assert recv_until(ws, "error")["code"] == "bad_message"
        ws.send_json({"op": "step", "steps": 3, "id": 1})
        assert answered(ws, 1)["step"] == 3


def test_numeric_params_take_numbers_only(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        opening(ws, 4)
        for bad in ({"lr": "0.5"}, {"batch_size": True}, {"batch_size": 3.5}, {"hidden": ["8"]}):
            ws.send_json({"op": "configure", "params": bad, "id": "c"})
            err = answered(ws, "c")
            assert err["code"] == "invalid_params", bad
            assert [e["field"] for e in err["errors"]] == list(bad)  # type: ignore[attr-defined]
        ws.send_json({"op": "configure", "params": {"lr": 1, "hidden": [8]}, "id": "good"})
        config = answered(ws, "good")
        assert config["type"] == "config" and config["params"]["lr"] == 1.0  # type: ignore[index]


def test_an_update_too_costly_is_refused_naming_its_fields(client: TestClient) -> None:
    with client.websocket_connect("/ws/digits") as ws:
        opening(ws, 3)
        big = {"model": "mlp", "hidden": [256] * 4, "batch_size": 1400}
        ws.send_json({"op": "configure", "params": big, "id": "big"})
        err = answered(ws, "big")
        fields = {e["field"] for e in err["errors"]}  # type: ignore[attr-defined]
        assert err["code"] == "invalid_params" and fields == {"batch_size", "hidden"}
        assert "multiply-adds" in err["errors"][0]["message"]  # type: ignore[index]
        # the same net with a smaller batch is fine: the limit is on cost, not on shape
        ws.send_json({"op": "configure", "params": {**big, "batch_size": 50}, "id": "ok"})
        assert answered(ws, "ok")["type"] == "config"


def test_a_lower_cost_limit_is_a_setting() -> None:
    with (
        TestClient(create_app(Settings(max_frame_cost=1.0, allowed_hosts="testserver"))) as c,
        c.websocket_connect("/ws/circles") as ws,
    ):
        opening(ws, 4)
        ws.send_json({"op": "configure", "params": {"resolution": 128}, "id": 1})
        err = answered(ws, 1)
        assert [e["field"] for e in err["errors"]] == ["resolution"]  # type: ignore[attr-defined]


def test_a_playing_heavy_session_answers_pause_within_a_second(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles?" + query(HEAVY_CIRCLES)) as ws:
        opening(ws, 4)
        ws.send_json({"op": "configure", "params": {"speed": 5000}})
        recv_until(ws, "config")
        ws.send_json({"op": "play"})
        for _ in range(3):
            recv_until(ws, "frame")
        start = time.perf_counter()
        ws.send_json({"op": "pause", "id": "p"})
        reply = answered(ws, "p")
        assert reply == {"type": "state", "running": False, "reason": None, "id": "p"}
        assert time.perf_counter() - start < 1.0


def test_a_long_step_runs_in_slices_and_pause_ends_it(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles?" + query(HEAVY_CIRCLES)) as ws:
        opening(ws, 4)
        ws.send_json({"op": "step", "steps": 10000, "id": "long"})
        ws.send_json({"op": "pause", "id": "p"})
        frame = answered(ws, "long")  # answered at the step it reached, before the pause
        assert frame["type"] == "frame" and 0 <= frame["step"] < 10000  # type: ignore[operator]
        assert answered(ws, "p")["type"] == "state"
        ws.send_json({"op": "step", "steps": 2, "id": "more"})
        assert answered(ws, "more")["step"] == frame["step"] + 2  # type: ignore[operator]


def test_a_step_is_exact_across_slices(client: TestClient) -> None:
    with (
        TestClient(create_app(Settings(frame_budget_ms=0.01, allowed_hosts="testserver"))) as c,
        c.websocket_connect("/ws/beans") as ws,
    ):
        opening(ws, 4)
        ws.send_json({"op": "step", "steps": 500, "id": "s"})
        assert answered(ws, "s")["step"] == 500


def test_export_with_a_list_format_names_the_field(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        opening(ws, 4)
        for fmt in (["python"], {"a": 1}, None):
            ws.send_json({"op": "export", "format": fmt, "id": "e"})
            err = answered(ws, "e")
            assert err["code"] == "invalid_params" and err["errors"][0]["field"] == "format"  # type: ignore[index]


def test_errors_quote_client_values_briefly(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        opening(ws, 4)
        ws.send_json({"op": "z" * 10000, "id": "u"})
        err = answered(ws, "u")
        assert err["code"] == "unknown_op" and len(json.dumps(err)) < 500


def query(params: dict[str, object]) -> str:
    return "&".join(
        f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in params.items()
    )
