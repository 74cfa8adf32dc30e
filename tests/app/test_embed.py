"""Embedding: the CSP header, ``?embed=1`` and ``hide=`` on the page, WebSocket origins."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.main import create_app
from app.settings import Settings


def app_with(**settings: Any) -> TestClient:
    return TestClient(create_app(Settings(**{"allowed_hosts": "testserver", **settings})))


def directives(header: str) -> dict[str, str]:
    """A CSP header as {directive: sources}, parsed independently of the app."""
    parts = (p.strip().split(" ", 1) for p in header.split(";") if p.strip())
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


def boot(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="boot">(.*?)</script>', html, re.S)
    assert found, "no boot block"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


# -- Content-Security-Policy ----------------------------------------------------------------


def test_pages_only_embed_in_their_own_site_by_default(client: TestClient) -> None:
    for url in ("/", "/labs/beans", "/labs/circles?embed=1"):
        policy = directives(client.get(url).headers["content-security-policy"])
        assert policy["frame-ancestors"] == "'self'", url
        assert "'self'" in policy["script-src"] and "unsafe-inline" not in policy["script-src"]
        assert policy["default-src"] == "'self'"


def test_frame_ancestors_comes_from_the_settings() -> None:
    with app_with(frame_ancestors="'self' https://school.example") as c:
        policy = directives(c.get("/labs/beans?embed=1").headers["content-security-policy"])
    assert policy["frame-ancestors"] == "'self' https://school.example"


def test_a_semicolon_in_the_setting_cannot_add_a_directive() -> None:
    with app_with(frame_ancestors="https://a.example; script-src *") as c:
        policy = directives(c.get("/").headers["content-security-policy"])
    assert "*" not in policy["script-src"]
    assert policy["frame-ancestors"] == "https://a.example script-src *"


def test_only_html_gets_the_policy(client: TestClient) -> None:
    assert "content-security-policy" not in client.get("/api/labs").headers
    assert "content-security-policy" not in client.get("/healthz").headers


def test_lab_pages_have_no_inline_script_or_handler(client: TestClient) -> None:
    # script-src 'self' blocks them; the boot block is JSON data, which never runs
    for lab in ("beans", "neuron", "circles", "digits"):
        html = client.get(f"/labs/{lab}").text
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        assert all('type="application/json"' in a or ("src=" in a and not body.strip())
                   for a, body in scripts), lab  # fmt: skip
        assert not re.search(r"\son[a-z]+\s*=", html), lab


# -- ?embed=1 and hide= ----------------------------------------------------------------------


def test_embed_page_has_no_site_chrome_but_a_way_out(client: TestClient) -> None:
    html = client.get("/labs/beans?embed=1&lr=0.05&hide=lr&lang=zh").text
    assert 'class="topbar"' not in html and 'id="lang-toggle"' not in html
    assert 'class="intro"' not in html
    assert "学习率" in html  # the language still follows ?lang=
    link = re.search(r'<a id="embed-open"[^>]*href="([^"]*)"[^>]*target="_blank"', html)
    assert link and link.group(1).replace("&amp;", "&") == "/labs/beans?lr=0.05&lang=zh"
    assert boot(html)["embed"] is True
    assert 'id="embed-dialog"' not in html  # no Embed button inside an embedded page


def test_full_page_keeps_its_chrome(client: TestClient) -> None:
    html = client.get("/labs/beans").text
    assert 'class="topbar"' in html and 'id="btn-embed"' in html and 'id="embed-dialog"' in html
    assert boot(html)["embed"] is False and boot(html)["hide"] == []


def test_hide_list_reaches_the_page(client: TestClient) -> None:
    html = client.get("/labs/beans?hide=lr, method,,lr,player,nonsense").text
    assert boot(html)["hide"] == ["lr", "method", "player", "nonsense"]
    assert 'class="player hidden"' in html  # sections are hidden on the first paint
    html = client.get("/labs/neuron?embed=1&hide=share,presets").text
    assert 'class="share hidden"' in html and 'class="player"' in html


# -- WebSocket origins -----------------------------------------------------------------------


def first_message(c: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    with c.websocket_connect("/ws/beans", headers=headers) as ws:
        msg: dict[str, Any] = ws.receive_json()
        return msg


def refusal(c: TestClient, headers: dict[str, str]) -> tuple[dict[str, Any], int]:
    with (
        pytest.raises(WebSocketDisconnect) as info,
        c.websocket_connect("/ws/beans", headers=headers) as ws,
    ):
        msg: dict[str, Any] = ws.receive_json()
        ws.receive_json()  # the close, which raises
    return msg, info.value.code


@pytest.fixture
def listed() -> Iterator[TestClient]:
    with app_with(ws_origins="https://school.example, http://lab.example:8080/") as c:
        yield c


def test_socket_without_origin_is_not_a_browser_and_passes(client: TestClient) -> None:
    assert first_message(client, {})["type"] == "hello"


def test_socket_from_our_own_pages_passes(client: TestClient) -> None:
    # TestClient talks to host "testserver"
    assert first_message(client, {"origin": "http://testserver"})["type"] == "hello"


def test_socket_from_another_site_is_refused_before_a_session(client: TestClient) -> None:
    for origin in ("https://evil.example", "http://testserver.evil.example", "null"):
        msg, code = refusal(client, {"origin": origin})
        assert msg["type"] == "error" and msg["code"] == "forbidden_origin", origin
        assert code == 1008


def test_listed_origins_pass_and_others_do_not(listed: TestClient) -> None:
    assert first_message(listed, {"origin": "https://school.example"})["type"] == "hello"
    assert first_message(listed, {"origin": "http://lab.example:8080"})["type"] == "hello"
    assert refusal(listed, {"origin": "http://lab.example"})[1] == 1008  # another port
    assert refusal(listed, {"origin": "http://school.example"})[1] == 1008  # another scheme


def test_star_lets_any_origin_in() -> None:
    with app_with(ws_origins="*") as c:
        assert first_message(c, {"origin": "https://anywhere.example"})["type"] == "hello"
