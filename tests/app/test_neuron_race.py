"""The neuron race over the protocol (issue 15): params, validation and frames."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from engine.labs.neuron import PRESETS
from tests.app.conftest import recv_until
from tests.app.test_beans_race import configure

ROOT = Path(__file__).resolve().parents[2]
JS = ("labs/neuron.js", "labs/neuron/race.js", "lib/race_panel.js")


def test_a_race_over_the_socket_reports_racers_and_a_winner(client: TestClient) -> None:
    url = "/ws/neuron?race=gd,gd,adam&race_cost=quadratic,cross_entropy&w0=2&b0=2"
    with client.websocket_connect(url) as ws:
        hello = ws.receive_json()
        assert hello["params"]["race"] == ["gd", "gd", "adam"]
        assert hello["params"]["race_cost"] == ["quadratic", "cross_entropy"]
        first = recv_until(ws, "frame")
        assert [(r["optimizer"], r["cost_name"]) for r in first["race"]] == [
            ("gd", "quadratic"), ("gd", "cross_entropy"), ("adam", "quadratic")]  # fmt: skip
        assert first["finish"] == {"eps": 0.05, "winners": [], "step": None}
        assert first["runs"] == {}
        ws.send_json({"op": "step", "id": "s", "steps": 100})
        frame = recv_until(ws, "frame")
    assert frame["step"] == 100
    assert frame["finish"] == {"eps": 0.05, "winners": [2], "step": 25}
    assert [r["finish"] for r in frame["race"]] == [None, 85, 25]
    assert frame["loss"]["train"] == frame["race"][0]["cost"]
    racer = frame["race"][2]
    assert set(racer) >= {"w", "b", "z", "a", "cost", "sigma_prime", "grad", "path", "velocity",
                          "step", "gap", "finish", "diverged", "update", "lr"}  # fmt: skip
    assert racer["path"]["w"] and len(racer["path"]["w"]) == len(racer["path"]["b"])


def test_race_params_restart_and_bad_ones_are_refused_by_name(client: TestClient) -> None:
    with client.websocket_connect("/ws/neuron") as ws:
        recv_until(ws, "frame")
        ws.send_json({"op": "step", "steps": 5})
        recv_until(ws, "frame")
        config = configure(ws, {"race": ["rmsprop", "adam"], "race_lr": [0.01, 0.1]}, "r")
        assert config["reset"] is True
        assert recv_until(ws, "frame")["step"] == 0
        for bad, field in (
            ({"race": ["gd"] * 6}, "race"),
            ({"race": ["sgd", "gd"]}, "race"),
            ({"race_cost": ["hinge"]}, "race_cost"),
            ({"race_cost": ["quadratic"] * 6}, "race_cost"),
            ({"race_lr": [0.1, -1.0]}, "race_lr"),
            ({"race_lr": [0.1, 11]}, "race_lr"),
            ({"race_eps": 0}, "race_eps"),
            ({"race_eps": 0.6}, "race_eps"),
        ):
            ws.send_json({"op": "configure", "id": 1, "params": bad})
            err = recv_until(ws, "error")
            assert [e["field"] for e in err["errors"]] == [field], (bad, err)
            assert err["errors"][0]["message"]
        ws.send_json({"op": "step", "id": "after", "steps": 1})
        frame = recv_until(ws, "frame")  # nothing was applied: the same race goes on
    assert [(r["optimizer"], r["lr"]) for r in frame["race"]] == [("rmsprop", 0.01), ("adam", 0.1)]


def test_the_race_preset_is_accepted_and_ending_the_race_restores_the_runs(
    client: TestClient,
) -> None:
    preset = dict(PRESETS["race"])
    with client.websocket_connect("/ws/neuron") as ws:
        recv_until(ws, "frame")
        config = configure(ws, preset, "race")
        assert {k: config["params"][k] for k in preset} == preset
        assert len(recv_until(ws, "frame")["race"]) == 3
        configure(ws, {"race": [], "race_cost": [], "race_lr": []}, "end")
        frame = recv_until(ws, "frame")
    assert frame["race"] is None and set(frame["runs"]) == {"quadratic", "cross_entropy"}
    assert frame["step"] == 0 and frame["finish"]["eps"] == 0.05


def test_catalogs_cover_every_race_key_the_page_asks_for() -> None:
    en = json.loads((ROOT / "app/static/i18n/en/neuron.json").read_text())
    zh = json.loads((ROOT / "app/static/i18n/zh/neuron.json").read_text())
    assert set(en) == set(zh)
    keys: set[str] = set()
    for name in JS:
        source = (ROOT / "app/static/js" / name).read_text()
        keys |= set(re.findall(r'\bt\("((?:race|panel)\.[\w.]+)"', source))
    keys -= {"race.distance", "race.arrow.grad"}  # the beans' racers only (distance, arrows)
    keys |= {"race.tie", "race.winner", "race.restart", "race.start", "race.takeaway"}
    optimizers = ("gd", "momentum", "nesterov", "rmsprop", "adam")
    keys |= {f"param.optimizer.{o}" for o in optimizers}
    keys |= {f"race.short.{name}" for name in (*optimizers, "quadratic", "cross_entropy")}
    assert "race.cost" in keys and sorted(k for k in keys if k not in en) == []
    for key in keys:
        assert set(re.findall(r"\{(\w+)\}", en[key])) == set(re.findall(r"\{(\w+)\}", zh[key])), key
