"""Per-client limits: sessions per address, room joins per minute, bounded bookkeeping."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.limits import JoinRate, SessionsPerClient
from app.main import create_app
from app.settings import Settings


def test_sessions_per_client_counts_each_address_apart() -> None:
    per_client = SessionsPerClient(2)
    assert per_client.start("a") and per_client.start("a") and not per_client.start("a")
    assert per_client.start("b")
    per_client.finish("a")
    assert per_client.start("a") and not per_client.start("a")
    for address in ("a", "a", "b"):
        per_client.finish(address)
    assert per_client.held == {}  # only addresses that hold a session are kept


def test_the_session_past_the_per_client_limit_gets_1013() -> None:
    settings = Settings(max_sessions_per_client=2, allowed_hosts="testserver")
    with TestClient(create_app(settings)) as c, ExitStack() as open_sessions:
        for _ in range(2):
            ws = open_sessions.enter_context(c.websocket_connect("/ws/beans"))
            assert ws.receive_json()["type"] == "hello"
        with pytest.raises(WebSocketDisconnect) as info, c.websocket_connect("/ws/beans") as ws:
            ws.receive_json()
        assert info.value.code == 1013 and "your address" in info.value.reason
        open_sessions.close()  # both end: the address may open sessions again
        with c.websocket_connect("/ws/beans") as ws:
            assert ws.receive_json()["type"] == "hello"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_joins_come_in_a_burst_then_at_the_set_rate() -> None:
    clock = Clock()
    joins = JoinRate(30, clock=clock)
    assert all(joins.allow_join("10.0.0.1") for _ in range(30))
    assert not joins.allow_join("10.0.0.1")
    assert joins.allow_join("10.0.0.2")  # another address has its own bucket
    clock.now += 1.0  # half a join earned: still no
    assert not joins.allow_join("10.0.0.1")
    clock.now += 1.0  # 30 per minute: one every 2 s
    assert joins.allow_join("10.0.0.1") and not joins.allow_join("10.0.0.1")
    clock.now += 60.0
    assert sum(joins.allow_join("10.0.0.1") for _ in range(40)) == 30


def test_a_rate_under_one_per_minute_still_allows_one_join() -> None:
    clock = Clock()
    joins = JoinRate(0.5, clock=clock)
    assert joins.allow_join("a") and not joins.allow_join("a")
    clock.now += 120.0
    assert joins.allow_join("a")


def test_join_bookkeeping_forgets_idle_addresses_and_stays_bounded() -> None:
    clock = Clock()
    joins = JoinRate(30, max_addresses=100, clock=clock)
    for i in range(50):
        joins.allow_join(f"10.0.0.{i}")
    clock.now += 61.0  # every bucket has refilled: nothing left to remember
    joins.allow_join("10.0.1.1")
    assert list(joins.buckets) == ["10.0.1.1"]
    for i in range(1000):
        joins.allow_join(f"10.1.{i // 256}.{i % 256}")
    assert len(joins.buckets) == 100


def test_the_app_holds_one_join_limiter_with_the_settings_rate() -> None:
    app = create_app(Settings(joins_per_minute=2, allowed_hosts="testserver"))
    joins = app.state.joins
    assert isinstance(joins, JoinRate)
    assert joins.allow_join("x") and joins.allow_join("x") and not joins.allow_join("x")
