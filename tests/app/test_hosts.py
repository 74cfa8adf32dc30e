"""Allowed hosts (DNS rebinding), same-origin sockets by scheme, host and port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.hosts import is_ip_literal, machine_names, parse_origin, split_host
from app.main import create_app
from app.settings import Settings


@pytest.fixture
def default() -> Iterator[TestClient]:
    """The production default: no extra hosts listed."""
    with TestClient(create_app(Settings())) as c:
        yield c


@pytest.fixture
def listed() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(allowed_hosts="play.example, *.school.example"))) as c:
        yield c


def status(c: TestClient, host: str, path: str = "/healthz") -> int:
    return c.get(path, headers={"host": host}).status_code


def opens_session(c: TestClient, host: str) -> bool:
    """True if a WebSocket with this Host gets its hello; False if closed before accept."""
    try:
        with c.websocket_connect("/ws/beans", headers={"host": host}) as ws:
            return bool(ws.receive_json()["type"] == "hello")
    except WebSocketDisconnect as refused:
        assert refused.code == 1008
        return False


def test_a_rebound_host_is_refused_for_pages_and_sockets(default: TestClient) -> None:
    for host in ("evil.example", "evil.example:8000", "testserver", "localhost.evil.example"):
        assert status(default, host, "/labs/beans") == 400, host
        assert not opens_session(default, host), host


def test_ip_literals_localhost_and_this_machine_are_served_by_default(
    default: TestClient,
) -> None:
    hosts = ["127.0.0.1", "127.0.0.1:8000", "192.168.1.20:80", "10.0.0.7", "[::1]", "[::1]:8000"]
    hosts += ["[fe80::1]:8000", "localhost:8000", "LocalHost", socket.gethostname()]
    hosts += [f"{socket.gethostname()}.local:8000", socket.getfqdn()]
    for host in hosts:
        assert status(default, host) == 200, host
    assert opens_session(default, "192.168.1.20:8000")
    assert opens_session(default, "localhost:8000")


def test_listed_hosts_and_wildcards_are_served(listed: TestClient) -> None:
    for host in ("play.example", "PLAY.example:8000", "lab.school.example", "a.b.school.example"):
        assert status(listed, host) == 200, host
    for host in ("school.example", "play.example.evil", "evilschool.example", "x.play.example"):
        assert status(listed, host) == 400, host
    assert opens_session(listed, "lab.school.example")
    assert not opens_session(listed, "evil.example")


def test_star_serves_any_host() -> None:
    with TestClient(create_app(Settings(allowed_hosts="*"))) as c:
        assert status(c, "anything.example") == 200


def test_malformed_or_missing_hosts_are_refused(default: TestClient) -> None:
    for host in ("127.0.0.1:80:80", "[::1", "1.2.3.4.5", "127.0.0.1:http", ""):
        assert status(default, host) == 400, host


def test_host_parsing() -> None:
    assert split_host("Example.ORG:8080") == ("example.org", 8080)
    assert split_host("[::1]:8000") == ("::1", 8000)
    assert split_host("[::1]") == ("::1", None)
    assert split_host("10.0.0.1") == ("10.0.0.1", None)
    for bad in ("", ":80", "[::1]x", "a:b", "a:", "[::1", "a:١٢"):
        assert split_host(bad) is None, bad
    assert is_ip_literal("10.0.0.1") and is_ip_literal("::1")
    assert not is_ip_literal("127.1") and not is_ip_literal("localhost")
    assert "localhost" in machine_names()


# -- same origin: scheme, host and port ---------------------------------------------------


def first(c: TestClient, url: str, headers: dict[str, str]) -> Any:
    """The first message, or the close code if the socket was refused."""
    try:
        with c.websocket_connect(url, headers=headers) as ws:
            msg = ws.receive_json()
            if msg["type"] == "error":
                ws.receive_json()  # the close
            return msg["type"]
    except WebSocketDisconnect as closed:
        return closed.code


def test_origin_is_judged_by_scheme_host_and_port(client: TestClient) -> None:
    plain = "ws://testserver/ws/beans"
    assert first(client, plain, {"origin": "http://testserver"}) == "hello"
    assert first(client, plain, {"origin": "http://testserver:80"}) == "hello"
    assert first(client, plain, {"origin": "HTTP://TestServer"}) == "hello"
    assert first(client, plain, {"origin": "https://testserver"}) == 1008  # another scheme
    assert first(client, plain, {"origin": "http://testserver:8000"}) == 1008  # another port
    assert first(client, plain, {"origin": "http://testserver.evil"}) == 1008


def test_a_secure_socket_matches_an_https_page(client: TestClient) -> None:
    tls = "wss://testserver/ws/beans"
    assert first(client, tls, {"origin": "https://testserver"}) == "hello"
    assert first(client, tls, {"origin": "https://testserver:443"}) == "hello"
    assert first(client, tls, {"origin": "http://testserver"}) == 1008


def test_a_non_default_port_must_match(client: TestClient) -> None:
    url = "ws://testserver:8000/ws/beans"
    assert first(client, url, {"origin": "http://testserver:8000"}) == "hello"
    assert first(client, url, {"origin": "http://testserver"}) == 1008
    assert first(client, url, {"origin": "http://TESTSERVER:8000", "host": "TestServer:8000"}) == (
        "hello"
    )


def test_listed_origins_compare_with_default_ports_explicit() -> None:
    settings = Settings(allowed_hosts="testserver", ws_origins="https://school.example")
    with TestClient(create_app(settings)) as c:
        assert first(c, "/ws/beans", {"origin": "https://school.example:443"}) == "hello"
        assert first(c, "/ws/beans", {"origin": "https://School.Example/"}) == "hello"
        assert first(c, "/ws/beans", {"origin": "https://school.example:8443"}) == 1008


def test_origin_parsing() -> None:
    assert parse_origin("https://School.example") == ("https", "school.example", 443)
    assert parse_origin("http://[::1]:8000") == ("http", "::1", 8000)
    for bad in ("null", "file://", "ftp://x.example", "http://x.example:99999", ""):
        assert parse_origin(bad) is None, bad
