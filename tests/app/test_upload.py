"""The upload op over protocol v1: parts, errors with lines, limits, and what a room sees.

Oracles: the uploaded rows themselves (the data message must give them back,
scaled by the factor ``display_scale`` states), the limits set in Settings, and
a session that goes on unchanged after every refusal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from app.main import create_app
from app.settings import Settings
from tests.app.conftest import opening, recv_until, unpack

THREE = "x1,x2,label\n" + "".join(
    f"{i % 7},{i // 7},{['ant', 'bee', 'cat'][i % 3]}\n" for i in range(42)
)


def small(**kw: Any) -> Iterator[TestClient]:
    settings = Settings(allowed_hosts="testserver", **kw)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def client() -> Iterator[TestClient]:
    yield from small(max_upload_bytes=4096, max_upload_rows=50, uploads_per_minute=6)


def upload(ws: WebSocketTestSession, text: str, size: int = 100_000, msg_id: Any = "u") -> None:
    parts = [text[i : i + size] for i in range(0, len(text), size)] or [""]
    for k, part in enumerate(parts):
        ws.send_json({"op": "upload", "text": part, "part": k, "parts": len(parts), "id": msg_id})


def error(ws: WebSocketTestSession) -> dict[str, Any]:
    return recv_until(ws, "error")


def test_hello_states_the_upload_limits(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        hello = ws.receive_json()
    assert hello["limits"]["upload"] == {"max_bytes": 4096, "max_rows": 50}


def test_a_three_class_table_in_parts_becomes_the_data_and_trains(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        opening(ws, 4)
        assert 300 < len(THREE) <= 450
        upload(ws, THREE, size=150)  # 3 parts of at most 150 characters
        progress = [recv_until(ws, "upload") for _ in range(3)]
        assert [p["done"] for p in progress] == [False, False, True]
        assert progress[-1]["rows"] == 42 and progress[-1]["classes"] == ["ant", "bee", "cat"]
        data = recv_until(ws, "data")
        assert data["classes"] == ["ant", "bee", "cat"] and data["upload"] == {"rows": 42}
        X = np.concatenate([unpack(data["train"]["x"]), unpack(data["test"]["x"])])
        y = np.concatenate([unpack(data["train"]["y"]), unpack(data["test"]["y"])])
        # the grid of points 0…6 × 0…5, centred and scaled by one factor into ±5.4
        rows = np.array([(i % 7, i // 7, i % 3) for i in range(42)], dtype=float)
        factor = 5.4 / 3.0
        expected = sorted(map(tuple, np.c_[(rows[:, :2] - [3, 2.5]) * factor, rows[:, 2]]))
        got = sorted(map(tuple, np.c_[X, y]))
        np.testing.assert_allclose(got, expected, atol=1e-5)
        frame = recv_until(ws, "frame")
        assert frame["step"] == 0 and frame["boundary"]["classes"] == 3
        ws.send_json({"op": "step", "steps": 30})
        frame = recv_until(ws, "frame")
        assert frame["step"] == 30 and len(frame["metrics"]["class_accuracy"]["train"]) == 3


CASES = [
    ("x1,x2,label\n1,2,a\n3,oops,b\n", "not_a_number", 3),
    ("x1,x2,label\n1,2,a\n3,4\n", "missing_columns", 3),
    ("x1,x2,label\n1,2,a\nnan,4,b\n", "not_finite", 3),
    ("x1,x2,label\n1,2,a\n3,4,a\n", "one_class", None),
    ("".join(f"{i},{i},c{i}\n" for i in range(7)), "too_many_classes", None),
    ("".join(f"{i},{i},{i % 2}\n" for i in range(51)), "too_many_rows", 51),
    ("x1,x2,label\n1,2,a\n", "too_few_rows", None),
]


@pytest.mark.parametrize(("text", "code", "line"), CASES)
def test_a_bad_table_is_refused_with_its_line_and_changes_nothing(
    client: TestClient, text: str, code: str, line: int | None
) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        opening(ws, 4)
        upload(ws, text)
        err = error(ws)
        assert err["code"] == "bad_upload" and err["id"] == "u"
        (detail,) = err["errors"]
        assert detail["field"] == "text" and detail["code"] == code and detail["line"] == line
        ws.send_json({"op": "step", "steps": 3})  # the session goes on, on the old data
        frame = recv_until(ws, "frame")
        assert frame["step"] == 3 and "class_accuracy" not in frame["metrics"]


def test_too_large_is_refused_at_the_first_part_or_as_it_grows(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        opening(ws, 4)
        ws.send_json({"op": "upload", "text": "x,y\n", "part": 0, "parts": 10_000})
        assert error(ws)["errors"][0]["code"] == "too_large"  # declared: no part is kept
        upload(ws, "x,y\n" + "1,2\n" * 1100, size=1500)  # 4.4 KB in parts of 1.5 KB
        err = error(ws)
        assert err["errors"][0]["code"] == "too_large"
        assert err["errors"][0]["values"] == {"max_kb": 4}
        # the rest of the refused upload's parts are out of order: each is refused alone
        ws.send_json({"op": "upload", "text": "1,2\n", "part": 3, "parts": 4})
        assert "out of order" in error(ws)["message"]


def test_beans_take_x_y_and_uploads_are_rate_limited(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        opening(ws, 4)
        for k in range(12):  # 6 a minute: 6 at once, then one every 10 s
            upload(ws, "x\ty\n0.5\t1\n1\t2\n1.5\t2.9\n", msg_id=k)
            reply = ws.receive_json()
            while reply["type"] not in ("upload", "error"):
                reply = ws.receive_json()
            if reply["type"] == "error":
                assert reply["code"] == "rate_limited" and k == 6
                break
            data = recv_until(ws, "data")
            np.testing.assert_allclose(unpack(data["train"]["x"]), [0.5, 1, 1.5])
        else:
            raise AssertionError("12 uploads at once were all allowed")


def test_upload_clear_returns_to_generated_data(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        opening(ws, 4)
        upload(ws, THREE)
        assert recv_until(ws, "data")["upload"] == {"rows": 42}
        ws.send_json({"op": "upload_clear", "id": 2})
        assert recv_until(ws, "upload")["rows"] == 0
        data = recv_until(ws, "data")
        assert "upload" not in data and unpack(data["train"]["x"]).shape == (200, 2)


def test_bad_arguments_and_labs_without_uploads(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        opening(ws, 4)
        ws.send_json({"op": "upload", "text": 5, "part": -1, "evil": 1})
        assert error(ws)["errors"][0]["field"] == "evil"
        ws.send_json({"op": "upload", "text": 5, "part": -1})
        fields = {e["field"] for e in error(ws)["errors"]}
        assert fields == {"text", "part"}
    with client.websocket_connect("/ws/neuron") as ws:
        ws.receive_json()
        ws.send_json({"op": "upload", "text": "1,2"})
        assert error(ws)["code"] == "unknown_op"


def test_a_follower_sees_the_presenters_uploaded_data() -> None:
    for c in small():
        with c.websocket_connect("/ws/circles") as teacher:
            opening(teacher, 4)
            teacher.send_json({"op": "present", "id": "p"})
            code = recv_until(teacher, "room")["room"]
            upload(teacher, THREE)
            recv_until(teacher, "frame")
            with c.websocket_connect(f"/ws/circles?follow={code}") as student:
                data = recv_until(student, "data")
                assert data["classes"] == ["ant", "bee", "cat"]
                assert data["upload"] == {"rows": 42}


def test_click_to_add_points_works_on_uploaded_data(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        opening(ws, 4)
        upload(ws, THREE)
        recv_until(ws, "frame")
        ws.send_json({"op": "add_point", "x1": 1.0, "x2": -1.0, "label": 2, "id": "p"})
        assert recv_until(ws, "points")["added"] == 1
        data = recv_until(ws, "data")
        assert data["added"] == 1 and data["upload"] == {"rows": 42}
        assert unpack(data["train"]["y"])[-1] == 2 and len(unpack(data["train"]["y"])) == 22
        ws.send_json({"op": "add_point", "x1": 1.0, "x2": -1.0, "label": 3})
        assert error(ws)["code"] == "invalid_params"  # three classes: labels 0, 1, 2


def test_a_brush_stroke_over_the_protocol(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles?dataset=blobs&classes=3") as ws:
        opening(ws, 4)
        stroke = [[-1.0 + 0.25 * i, 2.0, 1] for i in range(9)]
        ws.send_json({"op": "add_points", "points": stroke, "id": "b"})
        assert recv_until(ws, "points")["added"] == 9
        assert unpack(recv_until(ws, "data")["train"]["y"])[-9:].tolist() == [1] * 9
        for bad in ([], [[0.0, 7.0, 1]], [[0.0, 0.0, 3]], [[0.0, 0.0]]):
            ws.send_json({"op": "add_points", "points": bad})
            err = error(ws)
            assert err["code"] == "invalid_params" and err["errors"][0]["field"] == "points"
