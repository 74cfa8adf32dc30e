"""The neuron lab over protocol v1, and the strings its page shows.

Oracles: the closed forms of σ and both costs, typed in here; the SEEDS.md
section 3 table; the param bounds written in the issue.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from app.settings import Settings
from engine.labs.neuron import PRESETS
from tests.app.conftest import opening, recv_until, unpack

ROOT = Path(__file__).resolve().parents[2]
OPENING = 5  # hello, data, surface (quadratic), surface (cross-entropy), frame
# SEEDS.md section 3: a at epoch 300 (x = 1, y = 0, η = 0.15), by preset and cost.
EPOCH_300 = {
    "gentle": {"quadratic": 0.094, "cross_entropy": 0.012},
    "saturated": {"quadratic": 0.203, "cross_entropy": 0.012},
}


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def step(ws: WebSocketTestSession, n: int, msg_id: Any = None) -> dict[str, Any]:
    ws.send_json({"op": "step", "steps": n, **({} if msg_id is None else {"id": msg_id})})
    return recv_until(ws, "frame")


def configure(ws: WebSocketTestSession, params: dict[str, Any], msg_id: Any) -> dict[str, Any]:
    ws.send_json({"op": "configure", "params": params, "id": msg_id})
    return recv_until(ws, "config")


# -- the opening ---------------------------------------------------------------------


def test_opening_is_hello_data_two_surfaces_then_frame(client: TestClient) -> None:
    with client.websocket_connect("/ws/neuron") as ws:
        msgs = opening(ws, OPENING)
    assert [m["type"] for m in msgs] == ["hello", "data", "surface", "surface", "frame"]
    hello, data, quad, ce, frame = msgs
    assert hello["lab"] == "neuron" and hello["protocol"] == 1
    assert hello["params"] == {"x": 1.0, "y": 0.0, "w0": 0.6, "b0": 0.9, "lr": 0.15,
                               "costs": "both", "race": [], "race_cost": [], "race_lr": [],
                               "race_eps": 0.05, "speed": 1.0}  # fmt: skip
    assert data["train"] == {"x": [1.0], "y": [0.0]} and data["test"] == {"x": [], "y": []}
    assert (quad["cost_name"], ce["cost_name"]) == ("quadratic", "cross_entropy")
    assert frame["step"] == 0 and frame["epoch"] == 0 and frame["diverged"] is False
    a0 = sigmoid(1.5)
    for name in ("quadratic", "cross_entropy"):
        run = frame["runs"][name]
        assert run["a"] == pytest.approx(a0, rel=1e-12) and run["path"] == {"w": [0.6], "b": [0.9]}
    assert frame["loss"]["train"] == pytest.approx(-math.log(1 - a0), rel=1e-12)
    assert frame["race"] is None and frame["finish"] == {"eps": 0.05, "winners": [], "step": None}


def test_surfaces_are_each_cost_over_the_grid(client: TestClient) -> None:
    with client.websocket_connect("/ws/neuron") as ws:
        _, _, quad, ce, _ = opening(ws, OPENING)
    for surface in (quad, ce):
        assert surface["cost"]["dtype"] == "float32"  # packed, as PROTOCOL.md says
        w, b, cost = unpack(surface["w"]), unpack(surface["b"]), unpack(surface["cost"])
        assert cost.shape == (len(b), len(w))
        a = 1 / (1 + np.exp(-(w[None, :] + b[:, None])))  # x = 1
        expected = a**2 / 2 if surface is quad else -np.log1p(-a)  # y = 0
        np.testing.assert_allclose(cost, expected, rtol=1e-5)
    # The plateau is in view: the quadratic cost reaches its ceiling 1/2 inside the window.
    assert unpack(quad["cost"]).max() > 0.49


def test_default_speed_plays_the_notes_300_epochs_in_about_ten_seconds(client: TestClient) -> None:
    with client.websocket_connect("/ws/neuron") as ws:
        hello = opening(ws, OPENING)[0]
    seconds = 300 / (hello["params"]["speed"] * Settings().fps)
    assert 6 <= seconds <= 15


# -- ops ---------------------------------------------------------------------------


def test_step_n_does_exactly_n_epochs(client: TestClient) -> None:
    with client.websocket_connect("/ws/neuron") as ws:
        opening(ws, OPENING)
        frame = step(ws, 37, "a")
        assert (frame["step"], frame["epoch"], frame["id"]) == (37, 37.0, "a")
        assert step(ws, 1)["step"] == 38
        assert step(ws, 262)["step"] == 300


@pytest.mark.parametrize("preset", ["gentle", "saturated"])
def test_presets_reproduce_the_notes_table_at_epoch_300(client: TestClient, preset: str) -> None:
    other = next(p for name, p in PRESETS.items() if name != preset)
    with client.websocket_connect(f"/ws/neuron?w0={other['w0']}&b0={other['b0']}") as ws:
        opening(ws, OPENING)
        step(ws, 5)
        config = configure(ws, PRESETS[preset], "p")
        assert config["reset"] is True and config["id"] == "p"
        start = recv_until(ws, "frame")
        assert start["step"] == 0 and start["id"] == "p"
        w0, b0 = PRESETS[preset]["w0"], PRESETS[preset]["b0"]
        assert start["runs"]["quadratic"]["a"] == pytest.approx(sigmoid(w0 + b0), rel=1e-12)
        runs = step(ws, 300)["runs"]
    for name, a in EPOCH_300[preset].items():
        assert runs[name]["a"] == pytest.approx(a, abs=1e-3)


def test_live_learning_rate_change_while_playing_keeps_the_run(client: TestClient) -> None:
    with client.websocket_connect("/ws/neuron?speed=2") as ws:
        opening(ws, OPENING)
        ws.send_json({"op": "play", "id": 1})
        assert recv_until(ws, "state")["running"] is True
        steps = [recv_until(ws, "frame")["step"] for _ in range(4)]
        assert steps == sorted(steps) and steps[-1] > 0
        config = configure(ws, {"lr": 0.5}, 2)
        assert config["reset"] is False and config["params"]["lr"] == 0.5
        assert recv_until(ws, "frame")["step"] >= steps[-1]  # training went on
        ws.send_json({"op": "pause", "id": 3})
        assert recv_until(ws, "state")["running"] is False
        before = step(ws, 1)["runs"]["cross_entropy"]
        after = step(ws, 1)["runs"]["cross_entropy"]
    # One epoch at the new rate: w ← w − η·x·(a − y), with x = 1, y = 0, a = σ(w + b).
    delta = sigmoid(before["w"] + before["b"])
    assert after["w"] == pytest.approx(before["w"] - 0.5 * delta, rel=1e-12)
    assert after["b"] == pytest.approx(before["b"] - 0.5 * delta, rel=1e-12)


def test_changing_the_sample_resends_data_and_both_surfaces(client: TestClient) -> None:
    with client.websocket_connect("/ws/neuron") as ws:
        opening(ws, OPENING)
        step(ws, 3)
        ws.send_json({"op": "configure", "params": {"y": 1.0}, "id": 4})
        msgs = opening(ws, 5)
    assert [m["type"] for m in msgs] == ["config", "data", "surface", "surface", "frame"]
    assert all(m["id"] == 4 for m in msgs) and msgs[0]["reset"] is True
    assert msgs[1]["train"]["y"] == [1.0] and msgs[4]["step"] == 0


def test_one_cost_alone_runs_alone(client: TestClient) -> None:
    with client.websocket_connect("/ws/neuron?costs=quadratic") as ws:
        assert opening(ws, OPENING)[-1]["runs"].keys() == {"quadratic"}
        assert step(ws, 2)["runs"].keys() == {"quadratic"}


@pytest.mark.parametrize(
    ("params", "fields"),
    [({"y": 2}, {"y"}), ({"costs": "foo"}, {"costs"}), ({"lr": 0}, {"lr"}),
     ({"w0": 9, "x": "one"}, {"w0", "x"}), ({"lr": 0.5, "b0": -6}, {"b0"}), ({"eta": 1}, {"eta"})],
)  # fmt: skip
def test_invalid_params_name_the_field_and_apply_nothing(
    client: TestClient, params: dict[str, Any], fields: set[str]
) -> None:
    with client.websocket_connect("/ws/neuron") as ws:
        opening(ws, OPENING)
        ws.send_json({"op": "configure", "params": params, "id": "bad"})
        err = recv_until(ws, "error")
        assert err["code"] == "invalid_params" and err["id"] == "bad"
        assert {e["field"] for e in err["errors"]} == fields
        current = configure(ws, {}, "now")["params"]
    assert current["lr"] == 0.15 and current["b0"] == 0.9 and current["y"] == 0.0


# -- the page and its strings -------------------------------------------------------------


def catalog(lang: str) -> dict[str, str]:
    strings: dict[str, str] = json.loads((ROOT / f"app/static/i18n/{lang}/neuron.json").read_text())
    return strings


def keys_the_page_uses() -> set[str]:
    """Every catalog key the template and the page module name literally, plus the patterns."""
    html = (ROOT / "app/templates/labs/neuron.html").read_text()
    js = (ROOT / "app/static/js/labs/neuron.js").read_text()
    js += "".join(p.read_text() for p in sorted((ROOT / "app/static/js/labs/neuron").glob("*.js")))
    keys = set(re.findall(r"""\bt\(['"]([\w.]+)['"]""", html + js))
    keys |= set(re.findall(r'data-i18n(?:-tip)?="([\w.]+)"', html))
    for name in ("quadratic", "cross_entropy"):  # t(`run.${name}`), t(`grad.def.${name}`)
        keys |= {f"run.{name}", f"grad.def.{name}"}
    return keys


def test_every_string_the_page_shows_is_in_both_catalogs(client: TestClient) -> None:
    site = {lang: json.loads((ROOT / f"app/static/i18n/{lang}/site.json").read_text())
            for lang in ("en", "zh")}  # fmt: skip
    schema = client.get("/api/labs/neuron/schema").json()["properties"]
    needed = keys_the_page_uses() | {"lab.title", "lab.summary", "lab.intro", "lab.diverged_body"}
    for name, prop in schema.items():
        needed |= {f"param.{name}", f"param.{name}.tip"}
        needed |= {f"param.{name}.{v}" for v in prop.get("enum", [])}
    for preset in PRESETS:
        needed |= {f"preset.{preset}", f"preset.{preset}.tip"}
    for lang in ("en", "zh"):
        strings = {**site[lang], **catalog(lang)}
        assert needed - strings.keys() == set(), lang
    assert catalog("en").keys() == catalog("zh").keys()


def test_lab_page_in_both_languages(client: TestClient) -> None:
    en = client.get("/labs/neuron?lang=en").text
    zh = client.get("/labs/neuron?lang=zh").text
    assert "Learning slowdown" in en and "cross-entropy" in en
    assert "交叉熵" in zh and "二次代价" in zh and "学习缓慢" in zh
    assert '"saturated"' in en  # the presets reach the page's boot data
    assert "/static/js/labs/neuron." in en  # a hashed URL
