"""The digits lab over protocol v1: opening, the predict op, live and data changes.

Oracles: softmax regression starts from zero weights, so every class has
probability 1/10 and the loss is ln 10; probabilities sum to 1 and the label
is their argmax; the data are the UCI 8×8 digits (grey levels 0..16, 397 test).
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

from engine.labs.digits import PRESETS
from tests.app.conftest import opening, recv_until, unpack

ROOT = Path(__file__).resolve().parents[2]
N_TEST = 397
N_GALLERY = 40
# A catalog key the page or its script names in quotes.
KEY = re.compile(
    r"""["']((?:panel|axis|legend|draw|gallery|weights|lesson|acc|stat|filters|maps|counts|network)\.[\w.]+)["']"""
)


def step(ws: WebSocketTestSession, n: int) -> dict[str, Any]:
    ws.send_json({"op": "step", "steps": n})
    return recv_until(ws, "frame")


def predict_error(ws: WebSocketTestSession, text: str) -> dict[str, Any]:
    ws.send_text(text)
    return recv_until(ws, "error")


def test_opening_is_hello_data_frame_with_the_digits(client: TestClient) -> None:
    with client.websocket_connect("/ws/digits") as ws:
        hello, data, frame = opening(ws, 3)
    assert (hello["type"], data["type"], frame["type"]) == ("hello", "data", "frame")
    assert hello["lab"] == "digits" and hello["params"]["model"] == "softmax"
    train_x, test_x = unpack(data["train"]["x"]), unpack(data["test"]["x"])
    n = hello["params"]["train_size"]
    assert train_x.shape == (n, 64) and test_x.shape == (N_TEST, 64)
    assert train_x.dtype == np.uint8 and train_x.max() == test_x.max() == 16  # grey levels 0..16
    assert sorted(set(unpack(data["test"]["y"]).tolist())) == list(range(10))
    gallery = data["gallery"]
    assert len(gallery) == N_GALLERY and all(0 <= i < N_TEST for i in gallery)
    assert frame["step"] == 0 and frame["diverged"] is False
    assert frame["loss"]["train"] == pytest.approx(math.log(10), rel=1e-6)
    assert unpack(frame["weights"]).shape == (10, 64)
    confusion = unpack(frame["confusion"])
    assert confusion.shape == (10, 10) and confusion.sum() == N_TEST
    assert len(frame["gallery"]) == N_GALLERY


def test_predict_gives_probabilities_and_their_argmax(client: TestClient) -> None:
    with client.websocket_connect("/ws/digits") as ws:
        _, data, _ = opening(ws, 3)
        ws.send_json({"op": "predict", "pixels": [0] * 64, "id": "p0"})
        blank = recv_until(ws, "prediction")
        assert blank["id"] == "p0" and blank["probs"] == pytest.approx([0.1] * 10)
        step(ws, 200)
        x, y = unpack(data["test"]["x"]), unpack(data["test"]["y"])
        right = 0
        for i in range(20):
            ws.send_json({"op": "predict", "pixels": x[i].tolist()})
            msg = recv_until(ws, "prediction")
            probs = np.asarray(msg["probs"])
            assert probs.shape == (10,) and probs.min() >= 0
            assert probs.sum() == pytest.approx(1.0, abs=1e-9)
            assert msg["label"] == int(probs.argmax())
            right += msg["label"] == y[i]
        assert right >= 16  # a trained softmax gets over 90 % of test digits


@pytest.mark.parametrize(
    "pixels",
    ["[" + ", ".join(["1"] * 63) + "]", "[" + ", ".join(["1"] * 65) + "]",
     "[NaN" + ", 1" * 63 + "]", "[17" + ", 1" * 63 + "]", "[-1" + ", 1" * 63 + "]",
     '"all ones"'],
)  # fmt: skip
def test_bad_pixels_are_an_invalid_params_error(client: TestClient, pixels: str) -> None:
    with client.websocket_connect("/ws/digits") as ws:
        opening(ws, 3)
        err = predict_error(ws, '{"op": "predict", "id": 9, "pixels": ' + pixels + "}")
        assert err["code"] == "invalid_params" and err["id"] == 9
        assert [e["field"] for e in err["errors"]] == ["pixels"]
        assert step(ws, 1)["step"] == 1  # the session lives on


def test_a_live_lr_change_does_not_reset(client: TestClient) -> None:
    with client.websocket_connect("/ws/digits") as ws:
        opening(ws, 3)
        before = step(ws, 30)
        ws.send_json({"op": "configure", "params": {"lr": 0.05}, "id": 2})
        config = recv_until(ws, "config")
        assert config["reset"] is False and config["params"]["lr"] == 0.05
        after = step(ws, 1)
        assert after["step"] == 31 and after["lr"] == pytest.approx(0.05)
        assert after["loss"]["train"] < before["loss"]["train"] * 1.5


def test_a_train_size_change_resends_the_data(client: TestClient) -> None:
    with client.websocket_connect("/ws/digits") as ws:
        opening(ws, 3)
        step(ws, 5)
        ws.send_json({"op": "configure", "params": {"train_size": 200}, "id": 3})
        config = recv_until(ws, "config")
        assert config["reset"] is True
        data = recv_until(ws, "data")
        assert unpack(data["train"]["x"]).shape == (200, 64)
        assert unpack(data["test"]["x"]).shape == (N_TEST, 64)
        frame = recv_until(ws, "frame")
        assert frame["step"] == 0 and frame["epoch"] == 0


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_string_the_page_needs_is_in_both_catalogs(lang: str) -> None:
    strings = json.loads((ROOT / "app/static" / "i18n" / lang / "digits.json").read_text("utf-8"))
    names = ["lab.title", "lab.intro", "lab.summary", "lab.diverged_body"]
    for name in PRESETS:
        names += [f"preset.{name}", f"preset.{name}.tip"]
    for param in PRESETS["overfit"]:
        names += [f"param.{param}", f"param.{param}.tip"]
    for param, values in {"model": ("softmax", "mlp", "cnn"), "activation": ("relu", "sigmoid"),
                          "optimizer": ("sgd", "momentum", "adam")}.items():  # fmt: skip
        names += [f"param.{param}.{v}" for v in values]
    missing = [n for n in names if not strings.get(n)]
    assert not missing
    template = (ROOT / "app/templates" / "labs" / "digits.html").read_text("utf-8")
    labs = ROOT / "app/static" / "js" / "labs"
    scripts = [labs / "digits.js", *sorted((labs / "digits").glob("*.js"))]
    script = "".join(p.read_text("utf-8") for p in scripts)
    site = json.loads((ROOT / "app/static" / "i18n" / lang / "site.json").read_text("utf-8"))
    used = set(KEY.findall(template + script))
    assert used and not [k for k in used if k not in strings and k not in site]
