"""Flow control over the protocol: acked frames, replies that never wait, the follower cap."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import outbox
from tests.app.conftest import opening, recv_until


def test_hello_offers_acks(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        hello = ws.receive_json()
        assert hello["flow"] == {"ack": True, "window": 1}


def test_an_acking_client_gets_one_frame_per_ack_and_replies_at_once(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans?speed=1") as ws:
        opening(ws, 4)
        ws.send_json({"op": "ack"})  # from now on this client acks what it draws
        ws.send_json({"op": "play", "id": "go"})
        assert recv_until(ws, "state")["id"] == "go"
        first = recv_until(ws, "frame")
        time.sleep(0.3)  # ten frame periods with no ack: nothing more may be sent or trained
        ws.send_json({"op": "configure", "params": {"lr": 0.02}, "id": "tweak"})
        reply = ws.receive_json()  # the reply is not held back by the missing ack
        assert reply["type"] == "config" and reply["id"] == "tweak"
        ws.send_json({"op": "ack", "frames": 1})
        second = recv_until(ws, "frame")
        # the server trained no further ahead than the client drew: one step per frame
        assert second["step"] - first["step"] <= 2
        assert second["t"] >= first["t"]


def test_a_bad_ack_is_an_error_and_changes_nothing(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        opening(ws, 4)
        ws.send_json({"op": "ack", "frames": "all", "id": "a"})
        err = recv_until(ws, "error")
        assert err["code"] == "invalid_params" and err["errors"][0]["field"] == "frames"
        assert err["id"] == "a"  # the ack's own id, as any reply has
        ws.send_json({"op": "nope", "id": "n"})
        assert "ack" in recv_until(ws, "error")["message"]  # the ops it takes, ack included


def test_followers_get_at_most_the_follower_rate(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans?speed=1") as teacher:
        opening(teacher, 4)
        teacher.send_json({"op": "present"})
        code = recv_until(teacher, "room")["room"]
        with client.websocket_connect(f"/ws/beans?follow={code}") as student:
            recv_until(student, "frame")  # the catch-up
            teacher.send_json({"op": "play"})
            start = time.monotonic()
            frames = 0
            while time.monotonic() - start < 2:
                if student.receive_json()["type"] == "frame":
                    frames += 1
            teacher.send_json({"op": "pause"})
        # the teacher's page gets 30 a second; a follower at most 15 (and 2 seconds of them)
        assert 10 <= frames <= 34


def test_a_client_may_start_acking_late_and_a_missed_ack_never_stalls_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "ACK_GRACE", 0.3)
    with client.websocket_connect("/ws/beans?speed=1") as ws:
        opening(ws, 4)
        ws.send_json({"op": "play"})
        for _ in range(20):  # twenty frames taken without a single ack
            recv_until(ws, "frame")
        acked = time.time()
        ws.send_json({"op": "ack"})  # its first ack: what came before does not count
        # now it never acks again: a frame is still made every ACK_GRACE, not never. The
        # frames' server times tell, not arrival times: frames sent before the ack may
        # still wait unread in the test's own queue on a busy machine.
        made: list[dict[str, Any]] = []
        while len(made) < 3:
            frame = recv_until(ws, "frame")
            if frame["t"] > acked:
                made.append(frame)
        ws.send_json({"op": "pause"})
        steps = [f["step"] for f in made]
        assert steps == sorted(set(steps)) and made[2]["t"] - made[0]["t"] >= 0.5
