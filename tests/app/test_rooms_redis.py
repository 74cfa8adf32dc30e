"""Rooms across processes and hosts through a real Redis (Debian's redis-server).

Two servers on different ports sharing one Redis stand for two hosts; one server
with two worker processes is the everyday case. Each test starts what it needs
and stops it.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import websockets

from app.redis_server import private_redis
from tests.live import Server, serve

if shutil.which("redis-server") is None:
    pytest.fail(
        "These tests need Debian's redis-server: apt-get install redis-server",
        pytrace=False,
    )

Socket = websockets.ClientConnection


@pytest.fixture
def redis_url() -> Iterator[str]:
    with private_redis() as url:
        assert url is not None
        yield url


@pytest.fixture
def two_hosts(redis_url: str) -> Iterator[tuple[Server, Server]]:
    with ExitStack() as stack:
        # a presenter who leaves closes the room at once (test_reclaim.py tries the grace)
        env = {"DESCENT_REDIS_URL": redis_url, "DESCENT_PRESENTER_GRACE_S": "0"}
        yield stack.enter_context(serve(env)), stack.enter_context(serve(env))


async def until(ws: Socket, kind: str, msg_id: Any = None) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            msg: dict[str, Any] = json.loads(await ws.recv())
            if msg["type"] == kind and (msg_id is None or msg.get("id") == msg_id):
                return msg


async def step(ws: Socket, n: int, msg_id: str) -> dict[str, Any]:
    await ws.send(json.dumps({"op": "step", "steps": n, "id": msg_id}))
    return await until(ws, "frame", msg_id)


async def present(ws: Socket) -> str:
    await until(ws, "frame")
    await ws.send(json.dumps({"op": "present"}))
    return str((await until(ws, "room"))["room"])


def test_follow_and_fork_across_hosts_are_exact(two_hosts: tuple[Server, Server]) -> None:
    a, b = two_hosts

    async def lesson() -> None:
        async with websockets.connect(f"{a.url}/ws/beans?method=sgd&shuffle=true") as teacher:
            code = await present(teacher)
            await step(teacher, 7, "t0")
            async with websockets.connect(f"{b.url}/ws/beans?follow={code.lower()}") as student:
                hello = json.loads(await student.recv())
                assert hello["read_only"] and hello["params"]["method"] == "sgd"
                assert (await until(student, "frame"))["step"] == 7  # the catch-up
                live = await step(teacher, 2, "t1")
                assert (await until(student, "frame"))["params"] == live["params"]
                await teacher.send(json.dumps({"op": "configure", "params": {"lr": 0.02}}))
                assert (await until(student, "config"))["params"]["lr"] == 0.02
                await student.send(json.dumps({"op": "fork", "id": "f"}))
                forked = await until(student, "frame", "f")
                assert forked["step"] == 9 and forked["params"] == live["params"]
                # the same state, shuffler included: both sides now take identical steps
                mine, theirs = await step(student, 11, "s"), await step(teacher, 11, "t2")
                assert (mine["step"], mine["params"]) == (20, theirs["params"])

    asyncio.run(lesson())


def test_a_closed_room_forks_from_its_last_state_on_another_host(
    two_hosts: tuple[Server, Server],
) -> None:
    a, b = two_hosts

    async def lesson() -> None:
        async with websockets.connect(f"{a.url}/ws/circles") as teacher:
            code = await present(teacher)
            last = await step(teacher, 5, "t")
            student = await websockets.connect(f"{b.url}/ws/circles?follow={code}")
            await until(student, "frame")
        async with student:
            assert (await until(student, "room_closed"))["room"] == code
            await student.send(json.dumps({"op": "fork", "id": "f"}))
            forked = await until(student, "frame", "f")
            assert forked["step"] == 5 and forked["loss"] == last["loss"]
        async with websockets.connect(f"{b.url}/ws/circles?follow={code}") as late:
            assert json.loads(await late.recv())["code"] == "no_such_room"

    asyncio.run(lesson())


def test_two_workers_of_one_server_share_rooms() -> None:
    # the server starts its own private redis-server for its two workers
    with serve(args=("--workers", "2")) as server:

        async def lesson() -> None:
            async with websockets.connect(f"{server.url}/ws/neuron") as teacher:
                code = await present(teacher)
                students = [
                    await websockets.connect(f"{server.url}/ws/neuron?follow={code}")
                    for _ in range(6)  # the kernel spreads them over both workers
                ]
                for s in students:
                    await until(s, "frame")
                live = await step(teacher, 3, "t")
                for s in students:
                    assert (await until(s, "frame"))["step"] == live["step"]
                    await s.send(json.dumps({"op": "fork", "id": "f"}))
                    assert (await until(s, "frame", "f"))["step"] == 3
                    await s.close()

        asyncio.run(lesson())


def test_rooms_unavailable_while_redis_is_down_and_back_with_it(tmp_path: Path) -> None:
    sock = tmp_path / "r.sock"
    args = ["redis-server", "--port", "0", "--unixsocket", str(sock), "--save", "",
            "--appendonly", "no", "--dir", str(tmp_path)]  # fmt: skip

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        for _ in range(200):
            if sock.exists():
                return process
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    redis = start()
    with serve({"DESCENT_REDIS_URL": f"unix://{sock}"}) as server:

        async def presents() -> str:
            async with websockets.connect(f"{server.url}/ws/beans") as ws:
                await until(ws, "frame")
                await ws.send(json.dumps({"op": "present", "id": "p"}))
                reply = await until(ws, "room" if redis.poll() is None else "error", "p")
                assert (await step(ws, 2, "s"))["step"] == 2  # a private session goes on
                return str(reply.get("code", "room"))

        assert asyncio.run(presents()) == "room"
        redis.terminate()
        redis.wait()
        assert asyncio.run(presents()) == "rooms_unavailable"
        assert asyncio.run(follow_refused(server)) == "rooms_unavailable"
        redis = start()
        try:
            assert asyncio.run(presents()) == "room"  # back, without restarting the server
        finally:
            redis.terminate()
            redis.wait()


async def follow_refused(server: Server) -> str:
    async with websockets.connect(f"{server.url}/ws/beans?follow=ABCDE") as ws:
        return str(json.loads(await ws.recv())["code"])


def test_joins_are_counted_across_hosts(redis_url: str) -> None:
    """A guesser who spreads tries over two hosts gets no more than the limit in all."""
    env = {"DESCENT_REDIS_URL": redis_url, "DESCENT_JOINS_PER_MINUTE": "4"}
    with serve(env) as a, serve(env) as b:
        if time.time() % 60 > 50:  # the count is per clock minute: start in a fresh one
            time.sleep(60.5 - time.time() % 60)
        codes = [asyncio.run(follow_refused(host)) for host in (a, b, a, b, a, b)]
    # each host alone would allow 4 (its own bucket); together they allow 4
    assert codes == ["no_such_room"] * 4 + ["rate_limited"] * 2


def test_a_redis_that_refuses_writes_is_unavailable_not_a_crash(redis_url: str) -> None:
    """Out of memory (or a read-only replica): a clear error, and rooms again once it clears."""
    import redis

    admin = redis.Redis.from_url(redis_url)
    with serve({"DESCENT_REDIS_URL": redis_url}) as server:

        async def present_code() -> str:
            async with websockets.connect(f"{server.url}/ws/beans") as teacher:
                await until(teacher, "frame")
                await teacher.send(json.dumps({"op": "present", "id": "p"}))
                async with asyncio.timeout(10):
                    while True:
                        msg = json.loads(await teacher.recv())
                        if msg["type"] == "room":
                            return str(msg["room"])
                        if msg["type"] == "error":
                            return str(msg["code"])

        admin.config_set("maxmemory-policy", "noeviction")
        admin.config_set("maxmemory", 1)  # every write: OOM command not allowed
        assert asyncio.run(present_code()) == "rooms_unavailable"
        admin.config_set("maxmemory", 0)
        assert len(asyncio.run(present_code())) == 5  # a room code: back without a restart
    admin.close()


def test_a_whole_class_joining_at_once_gets_in(redis_url: str) -> None:
    """More joins at the same moment than the Redis pool has connections: they wait for one
    (it was "Too many connections", a spurious rooms_unavailable, past 100)."""
    env = {"DESCENT_REDIS_URL": redis_url, "DESCENT_JOINS_PER_MINUTE": "1000",
           "DESCENT_MAX_SESSIONS_PER_CLIENT": "1000", "DESCENT_MAX_FOLLOWERS": "1000"}  # fmt: skip
    with serve(env) as server:

        async def lesson() -> list[str]:
            async with websockets.connect(f"{server.url}/ws/neuron") as teacher:
                code = await present(teacher)

                async def join() -> str:
                    async with websockets.connect(f"{server.url}/ws/neuron?follow={code}") as s:
                        return str(json.loads(await s.recv())["type"])

                return await asyncio.gather(*(join() for _ in range(150)))

        kinds = asyncio.run(lesson())
    assert kinds == ["hello"] * 150


def test_a_presenter_back_on_another_host_takes_the_room_and_run_back(redis_url: str) -> None:
    env = {"DESCENT_REDIS_URL": redis_url, "DESCENT_PRESENTER_GRACE_S": "2"}
    with serve(env) as a, serve(env) as b:

        async def lesson() -> None:
            async with websockets.connect(f"{a.url}/ws/circles") as teacher:
                await until(teacher, "frame")
                await teacher.send(json.dumps({"op": "present"}))
                room = await until(teacher, "room")
                last = await step(teacher, 6, "t")
                student = await websockets.connect(f"{b.url}/ws/circles?follow={room['room']}")
                await until(student, "frame")
            # the teacher's page comes back, on the other host
            query = f"present={room['room']}&key={room['key']}"
            async with websockets.connect(f"{b.url}/ws/circles?{query}") as again, student:
                frame = await until(again, "frame")
                assert frame["step"] == 6 and frame["loss"] == last["loss"]
                assert (await until(again, "room"))["resumed"] is True
                assert (await step(again, 2, "a"))["step"] == 8
                await reaches(student, 8)  # (after the frames it had on the way)
                await asyncio.sleep(3)  # past the grace: host A must not close the room
                assert (await step(again, 1, "b"))["step"] == 9
                await reaches(student, 9)

        asyncio.run(lesson())


async def reaches(follower: Socket, at: int) -> None:
    """The follower gets a frame at step ``at``, and no ``room_closed`` on the way."""
    async with asyncio.timeout(10):
        while True:
            msg = json.loads(await follower.recv())
            assert msg["type"] != "room_closed", f"closed before step {at}"
            if msg["type"] == "frame" and msg["step"] == at:
                return
