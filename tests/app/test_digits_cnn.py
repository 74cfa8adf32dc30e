"""The digits lab's CNN over protocol v1: switching to it, its detail frames, the feature
maps in predictions, and its param bounds as the server enforces them.

Oracles: the engine's own ConvNet rebuilt from the same seed (the frame's filters are its
weights), the parameter count of that net, and the shapes the protocol documents."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from app.kept import has_details
from app.protocol import encode
from engine.conv import ConvNet
from engine.labs.digits import Digits, DigitsParams
from tests.app.conftest import opening, recv_until, unpack


def test_switching_to_a_cnn_sends_its_filters_counts_and_maps(client: TestClient) -> None:
    with client.websocket_connect("/ws/digits") as ws:
        _, data, _ = opening(ws, 3)
        params = {"model": "cnn", "filters": [4, 6], "hidden": [20], "init_seed": 5}
        ws.send_json({"op": "configure", "params": params, "id": 1})
        config = recv_until(ws, "config")
        assert config["reset"] is True and config["params"]["filters"] == [4, 6]
        frame = recv_until(ws, "frame")  # the first frame after a reset has the details
        assert frame["step"] == 0 and "weights" not in frame
        first, second = (unpack(f) for f in frame["filters"])
        net = ConvNet((4, 6), 10, np.random.default_rng([5, 0]))  # the same start
        assert first.shape == (4, 1, 9) and second.shape == (6, 4, 9)
        np.testing.assert_allclose(first[:, 0], net.params["K1"][0].reshape(9, 4).T, rtol=1e-6)
        counts = frame["counts"]
        assert counts["cnn"]["total"] == net.theta.size == 40 + 222 + 250
        assert counts["mlp"] == {"hidden": [20], "layers": [1300, 210], "total": 1510}
        ws.send_json({"op": "predict", "pixels": unpack(data["test"]["x"])[3].tolist(), "id": 2})
        msg = recv_until(ws, "prediction")
        maps = [unpack(m) for m in msg["maps"]]
        assert [m.shape for m in maps] == [(4, 8, 8), (6, 4, 4)]
        assert min(m.min() for m in maps) >= 0  # after ReLU
        assert abs(sum(msg["probs"]) - 1) < 1e-9 and msg["label"] == int(np.argmax(msg["probs"]))


def test_too_many_filters_or_layers_are_refused(client: TestClient) -> None:
    with client.websocket_connect("/ws/digits") as ws:
        opening(ws, 3)
        for bad in ([17], [4, 4, 4], [0], []):
            params = {"model": "cnn", "filters": bad}
            ws.send_json({"op": "configure", "params": params, "id": 7})
            err = recv_until(ws, "error")
            assert err["code"] == "invalid_params" and err["id"] == 7
            assert [e["field"] for e in err["errors"]] == ["filters"]
        ws.send_json({"op": "configure", "params": {"lr": 0.2}, "id": 8})
        config = recv_until(ws, "config")  # the refused changes changed nothing: still softmax
        assert config["params"]["model"] == "softmax" and config["params"]["filters"] == [8]


def test_a_cnn_detail_frame_is_kept_from_being_replaced() -> None:
    """A slow client's waiting detail frame goes out anyway (app.outbox): the CNN's detail
    frames, which carry filters instead of weights, count as details too."""
    lab = Digits(DigitsParams(model="cnn"))
    detail, plain = encode(lab.frame(detail=True)), encode(lab.frame(detail=False))
    assert '"weights":' not in detail
    assert has_details(detail) and not has_details(plain)
