"""The export op takes the page's language (issue 13, item 6)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from tests.app.conftest import recv_until

CJK = re.compile(r"[\u4e00-\u9fff]")


def exported(ws: WebSocketTestSession, **args: Any) -> dict[str, Any]:
    ws.send_json({"op": "export", "format": "python", **args})
    reply: dict[str, Any] = recv_until(ws, "export")
    return reply


def comments(source: str) -> list[str]:
    lines = [line.lstrip() for line in source.splitlines()]
    return [line[2:] for line in lines if line.startswith("# ")]


def test_a_zh_page_exports_a_script_commented_in_chinese(client: TestClient) -> None:
    with client.websocket_connect("/ws/neuron") as ws:
        recv_until(ws, "frame")
        ws.send_json({"op": "step", "steps": 5})
        recv_until(ws, "frame")
        zh, en, plain = exported(ws, lang="zh"), exported(ws, lang="en"), exported(ws)
    assert zh["filename"] == en["filename"] == "neuron_step5.py"
    assert plain["content"] == en["content"]  # English unless the page says otherwise
    assert all(CJK.search(c) for c in comments(zh["content"]) if re.search("[a-z]{3}", c))
    assert not any(CJK.search(c) for c in comments(en["content"]))


def test_a_bad_language_names_the_field(client: TestClient) -> None:
    with client.websocket_connect("/ws/beans") as ws:
        recv_until(ws, "frame")
        for lang in ["fr", 3, None]:
            ws.send_json({"op": "export", "format": "python", "lang": lang})
            error = recv_until(ws, "error")
            assert error["code"] == "invalid_params" and error["errors"][0]["field"] == "lang"
        assert exported(ws, lang="zh")["type"] == "export"  # the session is still there
