"""HTTP endpoints: pages, API, health, offline Plotly, 404s (static files: test_static.py)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.main import create_app
from app.settings import Settings


def test_health(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "sessions": 0}


def test_api_lists_labs_with_defaults(client: TestClient) -> None:
    labs = {lab["name"]: lab for lab in client.get("/api/labs").json()}
    assert "beans" in labs
    assert labs["beans"]["params"]["lr"] > 0 and labs["beans"]["title"]


def test_schema_carries_bounds_defaults_and_ui_hints(client: TestClient) -> None:
    schema = client.get("/api/labs/beans/schema").json()
    lr = schema["properties"]["lr"]
    assert lr["exclusiveMinimum"] == 0 and lr["maximum"] == 10 and lr["x-log"] is True
    assert schema["properties"]["method"]["enum"] == ["sgd", "minibatch", "batch", "fixed_step"]
    assert "speed" in schema["properties"] and schema["additionalProperties"] is False


def test_unknown_lab_is_404_and_4404(client: TestClient) -> None:
    assert client.get("/labs/nope").status_code == 404
    # a mistyped lab is a page, in the learner's language, that links every lab
    page = client.get("/labs/bean<s>?lang=zh")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "没有名为“bean&lt;s&gt;”的实验" in page.text and 'href="/labs/beans' in page.text
    assert client.get("/api/labs/nope/schema").status_code == 404
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws/nope") as ws:
        ws.receive_json()
    assert info.value.code == 4404


def test_index_lists_the_labs(client: TestClient) -> None:
    page = client.get("/?lang=en").text
    assert 'href="/labs/beans' in page and "Beans" in page
    assert "豆豆" in client.get("/?lang=zh").text


def test_lab_page_in_both_languages(client: TestClient) -> None:
    en = client.get("/labs/beans?lang=en").text
    zh = client.get("/labs/beans?lang=zh").text
    assert "Learning rate" in en and '<html lang="en">' in en
    assert "学习率" in zh and '<html lang="zh-CN">' in zh
    assert "学习率" in client.get("/labs/beans", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text


def test_pages_load_nothing_from_outside(client: TestClient) -> None:
    page = client.get("/labs/beans").text
    assert "http://" not in page.replace("http://127.0.0.1", "")
    assert "https://" not in page and 'src="//' not in page
    assert re.search(
        r'<script id="plotly-js" type="module" src="/static/vendor/plotly-[^"]+\.js"', page
    )


def test_operator_limits_tighten_validation_and_schema() -> None:
    app = create_app(Settings(limits={"beans": {"n": 500}}, allowed_hosts="testserver"))
    with TestClient(app) as c:
        assert c.get("/api/labs/beans/schema").json()["properties"]["n"]["maximum"] == 500
        with c.websocket_connect("/ws/beans") as ws:
            for _ in range(4):
                ws.receive_json()
            ws.send_json({"op": "configure", "params": {"n": 600}})
            err = ws.receive_json()
            assert err["code"] == "invalid_params" and err["errors"][0]["field"] == "n"


def test_settings_from_env() -> None:
    s = Settings.from_env({"DESCENT_FPS": "20", "DESCENT_LIMITS": '{"beans": {"n": 50}}'})
    assert s.fps == 20.0 and s.limits == {"beans": {"n": 50}}


def test_no_api_docs_are_served(client: TestClient) -> None:
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 404, path


def test_every_response_forbids_sniffing_and_keeps_the_referrer_home(client: TestClient) -> None:
    for path in ("/", "/healthz", "/api/labs", "/static/css/site.css", "/nope"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path
    refused = client.get("/", headers={"host": "evil.example"})
    assert refused.status_code == 400 and refused.headers["x-content-type-options"] == "nosniff"
