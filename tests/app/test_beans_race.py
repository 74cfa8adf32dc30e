"""The beans race and optimizers over the protocol (issue 15), and their catalogs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from engine.labs.beans import PRESETS
from tests.app.conftest import recv_until

ROOT = Path(__file__).resolve().parents[2]
JS = ("beans.js", "beans/race.js", "beans/rule.js", "../lib/race_panel.js")


def configure(ws: WebSocketTestSession, params: dict[str, Any], msg_id: str) -> dict[str, Any]:
    ws.send_json({"op": "configure", "id": msg_id, "params": params})
    return recv_until(ws, "config")


def test_a_race_over_the_socket_reports_racers_and_a_winner(client: TestClient) -> None:
    url = "/ws/beans?race=gd,momentum,adam&method=batch&lr=0.1&w0=0.1&b0=0.1"
    with client.websocket_connect(url) as ws:
        hello = ws.receive_json()
        assert hello["params"]["race"] == ["gd", "momentum", "adam"]
        first = recv_until(ws, "frame")
        assert [r["optimizer"] for r in first["race"]] == ["gd", "momentum", "adam"]
        assert first["finish"] == {"eps": 0.01, "winners": [], "step": None}
        ws.send_json({"op": "step", "id": "s", "steps": 60})
        frame = recv_until(ws, "frame")
    assert frame["step"] == 60
    assert frame["finish"]["winners"] == [1] and frame["finish"]["step"] == 44  # momentum
    assert frame["race"][1]["finish"] == 44 and frame["race"][0]["finish"] is None
    assert frame["params"] == frame["race"][0]["params"]  # the top-level run is the first racer


def test_race_params_restart_and_out_of_bounds_ones_are_refused_by_name(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        recv_until(ws, "frame")
        ws.send_json({"op": "step", "steps": 5})
        recv_until(ws, "frame")
        config = configure(ws, {"race": ["rmsprop", "rmsprop"], "race_lr": [0.01, 0.1]}, "r")
        assert config["reset"] is True
        assert recv_until(ws, "frame")["step"] == 0
        for bad, field in (
            ({"race": ["gd"] * 6}, "race"),
            ({"race_lr": [0.1] * 6}, "race_lr"),
            ({"race": ["sgd", "gd"]}, "race"),
            ({"race_lr": [0.1, -1.0]}, "race_lr"),
        ):
            ws.send_json({"op": "configure", "id": 1, "params": bad})
            err = recv_until(ws, "error")
            assert [e["field"] for e in err["errors"]] == [field], (bad, err)
        ws.send_json({"op": "step", "id": "after", "steps": 1})
        frame = recv_until(ws, "frame")  # nothing was applied: the same race goes on
    assert [r["lr"] for r in frame["race"]] == [0.01, 0.1]


def test_a_live_optimizer_change_keeps_the_step(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans?method=batch") as ws:
        recv_until(ws, "frame")
        ws.send_json({"op": "step", "steps": 3})
        recv_until(ws, "frame")
        assert configure(ws, {"optimizer": "nesterov"}, "o")["reset"] is False
        ws.send_json({"op": "step", "id": "n", "steps": 1})
        frame = recv_until(ws, "frame")
    assert frame["step"] == 4
    update = frame["update"]
    assert update["optimizer"] == "nesterov"
    assert update["state"]["before"]["v"] == {"w": 0.0, "b": 0.0}  # fresh velocity
    assert update["state"]["after"]["v"] == update["grad"]


def test_catalogs_cover_every_param_value_preset_and_page_key() -> None:
    en = json.loads((ROOT / "app/static/i18n/en/beans.json").read_text())
    zh = json.loads((ROOT / "app/static/i18n/zh/beans.json").read_text())
    assert set(en) == set(zh)
    for name in ("gd", "momentum", "nesterov", "rmsprop", "adam"):
        assert f"param.optimizer.{name}" in en
    for name in PRESETS:
        assert f"preset.{name}" in en and f"preset.{name}.tip" in en
    # every key the race panel and the rule panel ask t() for (templated ones spelled out)
    keys: set[str] = set()
    for name in JS:
        source = (ROOT / "app/static/js/labs" / name).read_text()
        keys |= set(re.findall(r'\bt\("((?:race|rule|panel)\.[\w.]+)"', source))
    keys |= {f"race.arrow.{k}" for k in ("grad", "velocity", "step")}
    keys |= {"race.tie", "race.winner", "race.restart", "race.start", "panel.race.tip"}
    keys -= {"race.cost", "race.cost.tip"}  # asked only where a racer picks a cost (neuron)
    assert keys and sorted(k for k in keys if k not in en) == []


@pytest.mark.parametrize("name", ["race_optimizers", "race_rates"])
def test_race_presets_are_accepted(client: TestClient, name: str) -> None:
    preset = dict(PRESETS[name])
    with client.websocket_connect("/ws/beans") as ws:
        recv_until(ws, "frame")
        config = configure(ws, preset, name)
    assert {k: config["params"][k] for k in preset} == preset


def test_a_race_of_one_and_a_short_rate_list_are_accepted(client: TestClient) -> None:
    """Whatever the schema allows is accepted: a client needs no rule it cannot read there."""
    with client.websocket_connect("/ws/beans") as ws:
        recv_until(ws, "frame")
        configure(ws, {"race": ["adam"]}, "one")
        assert len(recv_until(ws, "frame")["race"]) == 1
        configure(ws, {"race": ["gd", "adam", "rmsprop"], "race_lr": [0.2]}, "short")
        frame = recv_until(ws, "frame")
    assert [r["lr"] for r in frame["race"]] == [0.2, None, None]
