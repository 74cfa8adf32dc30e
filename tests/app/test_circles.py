"""The circles lab over protocol v1, and the strings its page shows.

Oracles: the circles data's rule (class 1 inside radius 2.5), the grid's cell
centres over [−6, 6]², closed forms of the activations, the bounds written in
the issue (6 hidden layers of at most 64, n ≤ 2000, resolution ≤ 128).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from engine.labs.circles import PRESETS
from tests.app.conftest import opening, recv_until, unpack

ROOT = Path(__file__).resolve().parents[2]
OPENING = 4  # hello, data, activation, frame
FRAME_BYTES = 6 * 1024


def configure(ws: WebSocketTestSession, params: dict[str, Any], msg_id: Any) -> dict[str, Any]:
    ws.send_json({"op": "configure", "params": params, "id": msg_id})
    return recv_until(ws, "config")


def step(ws: WebSocketTestSession, n: int) -> dict[str, Any]:
    ws.send_json({"op": "step", "steps": n})
    return recv_until(ws, "frame")


def test_opening_is_hello_data_activation_then_frame(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        msgs = opening(ws, OPENING)
    assert [m["type"] for m in msgs] == ["hello", "data", "activation", "frame"]
    hello, data, act, frame = msgs
    assert hello["lab"] == "circles" and hello["params"]["hidden"] == [25, 50, 50, 25]
    assert hello["params"]["features"] == ["x1", "x2"] and hello["params"]["activation"] == "relu"
    x, y = unpack(data["train"]["x"]), unpack(data["train"]["y"])
    assert x.shape == (200, 2) and x.dtype == np.float32 and data["added"] == 0
    assert unpack(data["test"]["x"]).shape == (200, 2)
    np.testing.assert_array_equal(y == 1, np.hypot(x[:, 0], x[:, 1]) < 2.5)  # no noise
    z = unpack(act["z"])
    np.testing.assert_allclose(unpack(act["f"]), np.maximum(z, 0), atol=1e-7)
    assert frame["step"] == 0 and frame["diverged"] is False
    assert frame["boundary"]["extent"] == [-6, 6, -6, 6] and "weights" in frame
    assert len(frame["grad_norms"]) == 5 and frame["grad_norms"][0] is None


def test_live_lr_change_trains_on_without_reset(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        opening(ws, OPENING)
        assert step(ws, 5)["step"] == 5
        config = configure(ws, {"lr": 0.003}, "a")
        assert config["reset"] is False and config["params"]["lr"] == 0.003
        assert step(ws, 1)["step"] == 6


def test_hidden_change_resets_and_reshapes(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        opening(ws, OPENING)
        step(ws, 5)
        config = configure(ws, {"hidden": [4]}, 2)
        assert config["reset"] is True and config["params"]["hidden"] == [4]
        frame = recv_until(ws, "frame")
        assert frame["id"] == 2 and frame["step"] == 0
        assert [unpack(w).shape for w in frame["weights"]["W"]] == [(2, 4), (4, 1)]
        assert len(frame["grad_norms"]) == 2


def test_activation_change_resets_and_sends_the_new_curve(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        opening(ws, OPENING)
        configure(ws, {"activation": "tanh"}, 3)
        act, frame = ws.receive_json(), ws.receive_json()
    assert act["type"] == "activation" and act["name"] == "tanh" and act["id"] == 3
    z = unpack(act["z"])
    np.testing.assert_allclose(unpack(act["df"]), 1 / np.cosh(z) ** 2, atol=1e-6)
    assert frame["type"] == "frame" and frame["step"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"hidden": [4] * 7}, "hidden"),  # too deep
        ({"hidden": [65]}, "hidden"),  # too wide
        ({"n": 2001}, "n"),
        ({"resolution": 129}, "resolution"),
        ({"features": ["x3"]}, "features"),
        ({"features": []}, "features"),
        ({"dropout": 0.9}, "dropout"),
    ],
)
def test_invalid_params_name_the_field(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        hello = opening(ws, OPENING)[0]
        ws.send_json({"op": "configure", "params": params, "id": 9})
        err = recv_until(ws, "error")
        assert err["code"] == "invalid_params" and [e["field"] for e in err["errors"]] == [field]
        assert configure(ws, {}, 10)["params"] == hello["params"]  # nothing applied


def test_inspect_an_input_feature_and_bad_layers(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        opening(ws, OPENING)
        ws.send_json({"op": "inspect", "layer": 0, "unit": 0, "id": "i"})
        reply = recv_until(ws, "inspect")
        assert (reply["layer"], reply["unit"], reply["id"]) == (0, 0, "i")
        half = 6 / 48  # half a cell: the grid's centres run from −6 + half to 6 − half
        np.testing.assert_allclose(reply["range"], [-6 + half, 6 - half], rtol=1e-6)
        z = unpack(reply["z"])
        assert z.shape == (48, 48) and z.dtype == np.uint8
        assert (z[:, 0] == 0).all() and (z[:, -1] == 255).all()  # x₁ grows to the right
        assert (np.diff(z.astype(int), axis=1) >= 0).all() and (z == z[0]).all()
        for layer, unit, field in [(9, 0, "layer"), (6, 0, "layer"), (1, 25, "unit")]:
            ws.send_json({"op": "inspect", "layer": layer, "unit": unit})
            err = recv_until(ws, "error")
            assert err["code"] == "invalid_params" and err["errors"][0]["field"] == field


def test_inspect_a_hidden_unit(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles?hidden=3&activation=tanh") as ws:
        opening(ws, OPENING)
        ws.send_json({"op": "inspect", "layer": 1, "unit": 2})
        reply = recv_until(ws, "inspect")
    lo, hi = reply["range"]
    assert -1 <= lo < hi <= 1  # a tanh unit's output, not yet saturated everywhere
    assert unpack(reply["z"]).max() == 255 and unpack(reply["z"]).min() == 0


def test_add_and_clear_points(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        opening(ws, OPENING)
        ws.send_json({"op": "add_point", "x1": 0.5, "x2": -1.25, "label": 0, "id": 7})
        reply, data = ws.receive_json(), ws.receive_json()
        assert reply == {"type": "points", "added": 1, "id": 7}
        assert data["type"] == "data" and data["added"] == 1 and data["id"] == 7
        x, y = unpack(data["train"]["x"]), unpack(data["train"]["y"])
        assert x.shape == (201, 2) and list(x[-1]) == [0.5, -1.25] and y[-1] == 0
        ws.send_json({"op": "add_point", "x1": 7, "x2": 0, "label": 1})
        assert recv_until(ws, "error")["errors"][0]["field"] == "x1"  # off the plane
        ws.send_json({"op": "add_point", "x1": 0, "x2": 0, "label": 2})
        assert recv_until(ws, "error")["errors"][0]["field"] == "label"
        ws.send_json({"op": "clear_points"})
        reply, data = ws.receive_json(), ws.receive_json()
        assert reply == {"type": "points", "added": 0}
        assert data["added"] == 0 and unpack(data["train"]["x"]).shape == (200, 2)


def test_boundary_decodes_and_learns_the_disk(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        opening(ws, OPENING)
        frame = step(ws, 400)
        assert frame["metrics"]["accuracy"]["test"] > 0.9
        z = unpack(frame["boundary"]["z"])
        assert z.shape == (48, 48) and z.dtype == np.uint8
        # Cell centres (−6 + 0.125 + 0.25·k): rows and columns 23, 24 straddle the origin.
        assert z[23:25, 23:25].min() > 200  # inside the disk: class 1
        assert z[0, 0] < 55 and z[-1, -1] < 55 and z[0, -1] < 55  # far corners: class 0
        configure(ws, {"resolution": 16}, "r")
        assert unpack(step(ws, 1)["boundary"]["z"]).shape == (16, 16)


def test_default_frames_without_weights_stay_small(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        opening(ws, OPENING)
        sizes = []
        for _ in range(4):
            ws.send_json({"op": "step", "steps": 3})
            text = ws.receive_text()
            frame = json.loads(text)
            assert frame["type"] == "frame" and "weights" not in frame
            sizes.append(len(text.encode()))
    assert max(sizes) <= FRAME_BYTES, sizes


def test_catalogs_cover_every_param_and_value_in_both_languages(client: TestClient) -> None:
    schema = client.get("/api/labs/circles/schema").json()
    en = json.loads((ROOT / "app/static/i18n/en/circles.json").read_text())
    zh = json.loads((ROOT / "app/static/i18n/zh/circles.json").read_text())
    assert set(en) == set(zh)
    site = json.loads((ROOT / "app/static/i18n/en/site.json").read_text())
    for name, prop in schema["properties"].items():
        keys = [f"param.{name}", f"param.{name}.tip", f"group.{prop['x-group']}"]
        values = prop.get("enum") or prop.get("items", {}).get("enum") or []
        keys += [f"param.{name}.{v}" for v in values if name != "speed"]
        for key in keys:
            assert key in en or key in site, key
    for name in PRESETS:
        assert f"preset.{name}" in en and f"preset.{name}.tip" in en


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_accepted_by_the_server(client: TestClient, name: str) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        opening(ws, OPENING)
        config = configure(ws, PRESETS[name], name)
    assert {k: config["params"][k] for k in PRESETS[name]} == PRESETS[name]


def test_duplicate_features_are_reported_on_the_features_field(client: TestClient) -> None:
    with client.websocket_connect("/ws/circles") as ws:
        ws.receive_json()
        ws.send_json({"op": "configure", "params": {"features": ["x1", "x1"]}, "id": 1})
        err = recv_until(ws, "error")
    assert [e["field"] for e in err["errors"]] == ["features"]
