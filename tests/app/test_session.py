"""Protocol v1 over a real WebSocket session (the beans lab stands in for any lab)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.outbox import Outbox
from engine.labs.beans import Beans
from tests.app.conftest import opening, recv_until, unpack


def test_opening_order_hello_data_surface_frame(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        hello, data, surface, frame = opening(ws, 4)
    assert hello["type"] == "hello" and hello["protocol"] == 1 and hello["lab"] == "beans"
    assert hello["limits"]["max_steps"] >= 10_000 and hello["params"]["lr"] == 0.3
    assert (data["type"], surface["type"], frame["type"]) == ("data", "surface", "frame")
    assert frame["step"] == 0 and frame["loss"]["test"] is None
    x, y = unpack(data["train"]["x"]), unpack(data["train"]["y"])
    rng = np.random.default_rng(0)  # the notes' beans, typed in independently
    x_ref = np.sort(rng.random(100))
    np.testing.assert_allclose(x, x_ref, atol=1e-15)
    np.testing.assert_allclose(y, 0.7 * x_ref + 0.5 + (0.5 - rng.random(100)) / 5, atol=1e-14)
    assert unpack(surface["cost"]).shape == (len(unpack(surface["b"])), len(unpack(surface["w"])))


def test_url_params_preset_the_session_and_bad_ones_are_reported(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans?lr=0.05&method=batch&n=oops") as ws:
        hello, error = opening(ws, 2)
    assert hello["params"]["lr"] == 0.05 and hello["params"]["method"] == "batch"
    assert hello["params"]["n"] == 100
    assert error["code"] == "invalid_params" and [e["field"] for e in error["errors"]] == ["n"]


def test_step_does_exactly_n_and_echoes_the_id(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        opening(ws, 4)
        ws.send_json({"op": "step", "steps": 37, "id": "s1"})
        frame = recv_until(ws, "frame")
        assert frame["step"] == 37 and frame["id"] == "s1"
        ws.send_json({"op": "step", "steps": 10_000, "id": 2})
        assert recv_until(ws, "frame")["step"] == 10_037
        for bad in (0, 10_001, "3", 1.5, True):
            ws.send_json({"op": "step", "steps": bad, "id": 3})
            err = recv_until(ws, "error")
            assert err["code"] == "invalid_params" and err["errors"][0]["field"] == "steps"


def test_invalid_configure_names_every_field_and_applies_nothing(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        opening(ws, 4)
        ws.send_json({"op": "configure", "id": 5,
                      "params": {"lr": -1, "method": "newton", "colour": 1, "n": 50}})  # fmt: skip
        err = recv_until(ws, "error")
        assert err["id"] == 5 and err["code"] == "invalid_params"
        assert {e["field"] for e in err["errors"]} == {"lr", "method", "colour"}
        ws.send_json({"op": "configure", "params": {"speed": 2}, "id": 6})
        config = recv_until(ws, "config")
        assert config["params"]["n"] == 100 and config["params"]["lr"] == 0.3
        assert config["params"]["speed"] == 2 and config["reset"] is False


@pytest.mark.parametrize(
    ("text", "code"),
    [("{nope", "bad_message"), ("[1, 2]", "bad_message"), ('{"id": 1}', "bad_message"),
     ('{"op": "fly", "id": 4}', "unknown_op"), ('{"op": "configure", "params": 3}', "bad_message"),
     ('{"op": "play", "id": {"a": 1}}', "bad_message")],
)  # fmt: skip
def test_bad_messages_get_an_error_and_the_session_lives(
    client: TestClient, text: str, code: str
) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        opening(ws, 4)
        ws.send_text(text)
        assert recv_until(ws, "error")["code"] == code
        ws.send_json({"op": "step", "steps": 1})
        assert recv_until(ws, "frame")["step"] == 1


def test_reset_returns_to_the_same_start(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        start = opening(ws, 4)[3]
        ws.send_json({"op": "step", "steps": 25})
        assert recv_until(ws, "frame")["params"] != start["params"]
        ws.send_json({"op": "reset", "id": "r"})
        frame = recv_until(ws, "frame")
        assert frame["id"] == "r" and frame["step"] == 0 and frame["params"] == start["params"]


def test_play_streams_frames_and_a_live_change_applies_without_reset(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans?method=sgd&speed=3") as ws:
        opening(ws, 4)
        ws.send_json({"op": "play", "id": 1})
        assert recv_until(ws, "state")["running"] is True
        steps = [recv_until(ws, "frame")["step"] for _ in range(5)]
        assert steps == sorted(steps) and steps[-1] > steps[0]
        ws.send_json({"op": "configure", "params": {"lr": 0.02, "method": "minibatch"}, "id": 2})
        config = recv_until(ws, "config")
        assert config["reset"] is False and config["id"] == 2
        after = recv_until(ws, "frame")
        assert after["step"] >= steps[-1]
        assert after["update"]["lr"] == 0.02 and after["update"]["method"] == "minibatch"
        ws.send_json({"op": "pause", "id": 3})
        assert recv_until(ws, "state") == {
            "type": "state",
            "running": False,
            "reason": None,
            "id": 3,
        }


def test_data_change_resets_and_resends_data_then_frame(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        opening(ws, 4)
        ws.send_json({"op": "step", "steps": 5})
        recv_until(ws, "frame")
        ws.send_json({"op": "configure", "params": {"n": 30}, "id": 9})
        msgs = opening(ws, 4)
        assert [m["type"] for m in msgs] == ["config", "data", "surface", "frame"]
        assert all(m["id"] == 9 for m in msgs) and msgs[0]["reset"] is True
        assert len(unpack(msgs[1]["train"]["x"])) == 30 and msgs[3]["step"] == 0


def test_divergence_stops_play_and_reset_recovers(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans?method=batch&lr=6&speed=50") as ws:
        opening(ws, 4)
        ws.send_json({"op": "play"})
        assert recv_until(ws, "state")["running"] is True
        stop = recv_until(ws, "state")
        assert stop == {"type": "state", "running": False, "reason": "diverged"}
        ws.send_json({"op": "step", "steps": 1})
        frame = recv_until(ws, "frame")
        assert frame["diverged"] is True and frame["loss"]["train"] is None
        ws.send_json({"op": "play"})
        assert recv_until(ws, "state")["reason"] == "diverged"
        ws.send_json({"op": "reset"})
        frame = recv_until(ws, "frame")
        assert frame["diverged"] is False and frame["loss"]["train"] > 0


def test_oversized_message_closes_with_1008(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        opening(ws, 4)
        ws.send_text('{"op": "play", "pad": "' + "x" * 70_000 + '"}')
        with pytest.raises(WebSocketDisconnect) as info:
            recv_until(ws, "never")
    assert info.value.code == 1008


def test_one_sessions_exception_never_touches_another(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_step = Beans.step

    def flaky(self: Beans, n: int) -> int:
        if self.params.n == 13:
            raise ZeroDivisionError("boom")
        return real_step(self, n)

    monkeypatch.setattr(Beans, "step", flaky)
    with (
        client.websocket_connect("/ws/beans?n=13") as bad,
        client.websocket_connect("/ws/beans") as ok,
    ):
        opening(bad, 4)
        opening(ok, 4)
        bad.send_json({"op": "step", "steps": 2, "id": "x"})
        err = recv_until(bad, "error")
        assert err["code"] == "internal" and err["id"] == "x"
        assert "boom" not in err["message"]  # the log has the traceback, not the client
        ok.send_json({"op": "step", "steps": 2})
        assert recv_until(ok, "frame")["step"] == 2
        bad.send_json({"op": "configure", "params": {"n": 14}})
        recv_until(bad, "config")
        assert recv_until(bad, "frame")["step"] == 0  # new data: a fresh start
        bad.send_json({"op": "step", "steps": 1})
        assert recv_until(bad, "frame")["step"] == 1  # the broken session recovered


def test_outbox_keeps_only_the_latest_frame_for_a_slow_client() -> None:
    async def scenario() -> list[str]:
        box = Outbox()
        for i in range(100):
            box.put_frame(f"frame {i}")
        box.put("config")
        box.put_frame("frame after config")
        sent: list[str] = []

        class FakeSocket:
            async def send_text(self, text: str) -> None:
                sent.append(text)
                if len(sent) == 3:
                    raise asyncio.CancelledError

        with contextlib.suppress(asyncio.CancelledError):
            await box.drain(FakeSocket())
        return sent

    # 100 frames for a client that read none: only the newest waits, and it goes out
    # before the reply that came after it
    assert asyncio.run(scenario()) == ["frame 99", "config", "frame after config"]


def test_outbox_never_drops_a_frame_with_weights() -> None:
    async def scenario() -> list[str]:
        box = Outbox()
        box.put_frame('{"type":"frame","step":1,"weights":{}}')
        box.put_frame('{"type":"frame","step":2}')
        box.put_frame('{"type":"frame","step":3}')
        sent: list[str] = []

        class FakeSocket:
            async def send_text(self, text: str) -> None:
                sent.append(text)
                if len(sent) == 2:
                    raise asyncio.CancelledError

        with contextlib.suppress(asyncio.CancelledError):
            await box.drain(FakeSocket())
        return sent

    # weights come every few frames: the one carrying them goes out, then the newest
    assert [json.loads(t)["step"] for t in asyncio.run(scenario())] == [1, 3]


def test_a_follower_keeps_the_frame_with_weights_and_its_frame_rate() -> None:
    async def scenario() -> list[tuple[float, Any]]:
        box = Outbox(frame_interval=0.2)  # a follower's cap: one frame per 0.2 s
        box.put_frame('{"type":"frame","step":1,"weights":{}}')
        box.put_frame('{"type":"frame","step":2}')
        box.put_frame('{"type":"frame","step":3}')
        sent: list[tuple[float, Any]] = []
        start = time.monotonic()

        class FakeSocket:
            async def send_text(self, text: str) -> None:
                sent.append((time.monotonic() - start, json.loads(text)["step"]))

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(box.drain(FakeSocket()), 0.5)
        return sent

    # the frame with the weights first, then the newest plain one a turn later (step 2,
    # replaced while it waited, is skipped); nothing else is due
    sent = asyncio.run(scenario())
    assert [step for _, step in sent] == [1, 3]
    assert sent[1][0] - sent[0][0] >= 0.15


def test_the_frame_that_diverged_arrives_before_play_stops(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans?method=batch&lr=6&speed=50") as ws:
        opening(ws, 4)
        ws.send_json({"op": "play"})
        assert recv_until(ws, "state")["running"] is True
        seen: list[dict[str, Any]] = []
        while not seen or seen[-1]["type"] != "state":
            seen.append(ws.receive_json())
    frames = [m for m in seen if m["type"] == "frame"]
    assert frames and frames[-1]["diverged"] is True and frames[-1]["loss"]["train"] is None
    assert seen[-1]["reason"] == "diverged"
