"""The class across hosts: two servers sharing one real Redis (Debian's redis-server).

The teacher presents on one server; students join on both. Their tiles, the
teacher's actions and a spotlight all cross from one process to the other.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

import pytest
import websockets

from app.join import lan_address
from tests.app.test_rooms_redis import Socket, present, redis_url, step, two_hosts, until
from tests.live import Server, serve

__all__ = ["redis_url", "two_hosts"]  # fixtures


async def join(url: str, code: str, name: str) -> Socket:
    ws = await websockets.connect(f"{url}/ws/circles?follow={code}&name={name}")
    hello = json.loads(await ws.recv())
    assert hello["member"]["state"] == "watching"
    await until(ws, "frame")
    await ws.send(json.dumps({"op": "fork", "id": "f"}))
    await until(ws, "frame", "f")
    assert (await until(ws, "class_event"))["event"] == "joined"
    return ws


async def tiles_until(ws: Socket, ok: Any, by_id: dict[str, Any] | None = None) -> dict[str, Any]:
    """The teacher's tiles by name, merged over ``class`` messages into ``by_id`` (what is
    known so far: a tile's name comes with its first message only), once ``ok`` holds."""
    by_id = {} if by_id is None else by_id

    def by_name() -> dict[str, dict[str, Any]]:
        return {t["name"]["en"]: t for t in by_id.values()}

    async with asyncio.timeout(20):
        while not ok(by_name()):
            msg = await until(ws, "class")
            for tile in msg["tiles"]:
                by_id[tile["id"]] = {**by_id.get(tile["id"], {}), **tile}
            for gone in msg["gone"]:
                by_id.pop(gone, None)
    return by_name()


def test_a_class_spread_over_two_hosts(two_hosts: tuple[Server, Server]) -> None:
    a, b = two_hosts

    async def lesson() -> None:
        async with websockets.connect(f"{a.url}/ws/circles") as teacher:
            code = await present(teacher)
            here = await join(a.url, code, "Ada")
            there = await join(b.url, code.lower(), "Bo")
            await there.send(json.dumps({"op": "configure", "params": {"activation": "sigmoid"}}))
            await step(there, 5, "s")
            await teacher.send(json.dumps({"op": "class", "do": "view", "open": True}))
            known: dict[str, Any] = {}
            tiles = await tiles_until(teacher, lambda t: t.get("Bo", {}).get("step") == 5
                                      and "Ada" in t, known)  # fmt: skip
            bo = tiles["Bo"]
            assert bo["params"]["activation"] == "sigmoid" and bo["acc"] is not None
            assert bo["pic"]["z"]["shape"] == [12, 12]  # the boundary, coarsened
            # the teacher's actions reach both hosts
            for ws in (here, there):
                await ws.send(json.dumps({"op": "play"}))
            await teacher.send(json.dumps({"op": "class", "do": "pause"}))
            for ws in (here, there):
                assert (await until(ws, "class_event"))["event"] == "paused"
                assert (await until(ws, "state"))["running"] is False
            await teacher.send(json.dumps({"op": "class", "do": "push", "preset": "too_high"}))
            for ws in (here, there):
                config = await until(ws, "config")
                assert config["params"]["lr"] == 3.0 and config["params"]["optimizer"] == "sgd"
            # a spotlight on Bo's run (host b) reaches a follower on host a
            async with websockets.connect(f"{a.url}/ws/circles?follow={code}") as watcher:
                await until(watcher, "frame")
                await teacher.send(json.dumps({"op": "class", "do": "spotlight",
                                               "student": bo["id"]}))  # fmt: skip
                spot = await until(watcher, "spotlight")
                assert spot["name"]["en"] == "Bo"
                config = await until(watcher, "config")
                assert config["params"]["lr"] == 3.0  # Bo's run (pushed), on host a's screen
                seen = await step(there, 2, "t")
                async with asyncio.timeout(10):
                    while (await until(watcher, "frame"))["step"] != seen["step"]:
                        pass
            # Bo leaves: his tile goes
            await there.close()
            await tiles_until(teacher, lambda t: set(t) == {"Ada"}, known)
            await here.close()

    asyncio.run(lesson())


def test_a_class_on_two_workers_of_one_server() -> None:
    # the server starts its own private redis-server for its two workers
    with serve(args=("--workers", "2")) as server:

        async def lesson() -> None:
            async with websockets.connect(f"{server.url}/ws/circles") as teacher:
                code = await present(teacher)
                names = [f"S{i}" for i in range(6)]  # the kernel spreads them over both workers
                students = [await join(server.url, code, name) for name in names]
                for ws in students:
                    await ws.send(json.dumps({"op": "play"}))
                await teacher.send(json.dumps({"op": "class", "do": "view", "open": True}))
                tiles = await tiles_until(teacher, lambda t: set(t) == set(names))
                assert all(t["state"] == "forked" for t in tiles.values())
                await teacher.send(json.dumps({"op": "class", "do": "pause"}))
                for ws in students:
                    assert (await until(ws, "class_event"))["event"] == "paused"
                    await ws.close()

        asyncio.run(lesson())


def test_a_page_on_loopback_gets_the_lan_address_students_can_reach() -> None:
    lan = lan_address()
    if lan is None:
        pytest.skip("this machine has no network address")
    with serve(args=("--workers", "1", "--host", "0.0.0.0")) as everywhere:
        url = f"http://127.0.0.1:{everywhere.port}/api/reach"
        with urllib.request.urlopen(url) as reply:
            reach = json.load(reply)
        assert reach == {
            "origin": f"http://{lan}:{everywhere.port}",
            "address": lan,
            "reason": None,
        }
    with serve() as loopback_only:  # 127.0.0.1: students could not reach it, and it says so
        url = f"http://127.0.0.1:{loopback_only.port}/api/reach"
        with urllib.request.urlopen(url) as reply:
            assert json.load(reply)["reason"] == "loopback_only"
