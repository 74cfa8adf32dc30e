"""Rooms across processes (issue 11): 1 presenter and 200 followers over 2 servers.

Two servers (``--workers 1`` each: two hosts, or two workers) share one private
redis-server (app.redis_server.private_redis). The presenter presents and plays on
server A; the followers join half on A, half on B, and ack each frame as the page does.
Over a ``--seconds`` window the presenter sends ``--tweaks`` live ``configure``s; each
follower times the matching ``config`` from the moment it was sent. Then, the load still
on, ``--forks`` followers on B fork the room one after another (time from ``fork`` to
the forked frame), and a beans room (method=sgd, shuffle=true) checks a fork across
processes is exact: its presenter on A steps 95 updates, a follower on B forks it, and
both step 11 more (into the next, reshuffled epoch of 100 beans); their frames must carry
the same step and the same ``params`` w and b. Redis's CPU is reported on its own.

    python -m bench.rooms_fanout [--lab circles] [--followers 200] [--seconds 30]
                                 [--tweaks 20] [--forks 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection

from app.redis_server import private_redis
from bench.classroom import TWEAK_OF, tweak_lr
from bench.server import Server, quantile
from bench.workers import (
    ACK,
    CONFIG,
    FRAME,
    Meter,
    close_all,
    connect,
    connect_many,
    launch,
    proc_name,
    revision,
    send,
    tree,
)

WARM_UP = 3.0
GRACE = 3.0  # most seconds after the window for the last configs
EXACT_QUERY = "method=sgd&shuffle=true"
EXACT_BEFORE = 95  # the fork comes 5 steps before the end of an epoch of 100 beans …
EXACT_STEPS = 11  # … and the steps after it cross into the next, reshuffled one
TARGET_FPS = 15  # issue 11: each follower at 15 frames/s or more
Row = tuple[str, str]


@dataclass
class Watcher:
    """One connection: which server, frames received, configs by id (arrival time)."""

    ws: ClientConnection
    where: str
    frames: int = 0
    messages: int = 0
    configs: dict[Any, float] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None

    def why_silent(self) -> str:
        """What a follower that got no frame in the window shows (for the report)."""
        ws, task = self.ws, self.task
        ended = task.exception() if task is not None and task.done() else None
        return (f"{self.where}: {self.frames} frames, {self.messages} messages in all; "
                f"socket {ws.state.name}, close {ws.close_code}; listener: {ended!r}")  # fmt: skip


async def listen(w: Watcher) -> None:
    """Count frames and ack each; time configs. Only configs are parsed."""
    async for text in w.ws:
        assert isinstance(text, str)
        w.messages += 1
        if text.startswith(FRAME):
            w.frames += 1
            await w.ws.send(ACK)
        elif text.startswith(CONFIG):
            # a follower's config carries no id (the presenter's is not relayed): its lr
            # names the tweak
            msg = json.loads(text)
            key = msg.get("id") or TWEAK_OF.get(msg.get("params", {}).get("lr"))
            w.configs.setdefault(key, time.perf_counter())
        elif text.startswith('{"type":"error"'):
            raise RuntimeError(f"server error: {text[:200]}")


async def until(ws: ClientConnection, match: str, timeout: float = 10.0) -> str:
    """Read until a message containing ``match``; that message. Every frame read is acked:
    one frame never acked would hold the stream (the window counts every frame sent)."""
    async with asyncio.timeout(timeout):
        while True:
            text = await ws.recv()
            assert isinstance(text, str)
            if text.startswith(FRAME):
                await ws.send(ACK)
            if match in text:
                return text


async def present(server: Server, lab: str, query: str = "") -> tuple[ClientConnection, str]:
    ws = await connect(server.url(lab, query))
    await send(ws, {"op": "present", "id": "room"})
    room = json.loads(await until(ws, '"type":"room"'))
    return ws, str(room["room"])


async def tweak(
    presenter: ClientConnection, start: float, seconds: float, n: int
) -> dict[int, float]:
    """``n`` live configures spread over the window; their send times by id."""
    sent = {}
    for i in range(1, n + 1):
        await asyncio.sleep(max(0.0, start + (i - 0.5) * seconds / n - time.perf_counter()))
        sent[i] = time.perf_counter()
        await send(presenter, {"op": "configure", "id": i, "params": {"lr": tweak_lr(i)}})
    return sent


def redis_pid() -> int:
    """The private redis-server this bench started (a child of this process)."""
    return next(p for p in tree(os.getpid()) if proc_name(p) == "redis-server")


SIDES = {"A": "same server", "B": "other server"}  # as the presenter's


def fps_rows(followers: list[Watcher], counts: list[int], wall: float) -> list[Row]:
    """Followers' frames/s over the window: min and median, in all and on each server."""
    fps: dict[str, list[float]] = {w.where: [] for w in followers}
    fps["all"] = []
    for w, n in zip(followers, counts, strict=True):
        fps[w.where].append((w.frames - n) / wall)
        fps["all"].append((w.frames - n) / wall)
    rows = [(f"follower frames/s, {SIDES.get(k, k)}: min / median",
             f"{min(v):.1f} / {statistics.median(v):.1f}") for k, v in fps.items()]  # fmt: skip
    under = sum(f < TARGET_FPS for f in fps["all"])
    rows.append((f"followers under {TARGET_FPS} frames/s", f"{under}/{len(fps['all'])}"))
    silent = [w for w, n in zip(followers, counts, strict=True) if w.frames == n]
    return [*rows, *(("  no frame in the window", w.why_silent()) for w in silent)]


def latency_rows(followers: list[Watcher], sent: dict[int, float]) -> list[Row]:
    """Tweak → each follower's config: p50 / p95 (received / expected), by server and in all."""
    rows = []
    for side in [*SIDES, "all"]:
        group = [w for w in followers if side in (w.where, "all")]
        lat = [w.configs[i] - t for w in group for i, t in sent.items() if i in w.configs]
        if lat:
            p50, p95 = (quantile(lat, q) * 1000 for q in (0.5, 0.95))
            figures = f"{p50:.1f} / {p95:.1f} ms ({len(lat)}/{len(sent) * len(group)})"
            rows.append((f"tweak → config, {SIDES.get(side, side)}: p50 / p95", figures))
    return rows


async def fanout(a: Server, b: Server, args: argparse.Namespace) -> tuple[list[Row], list[Watcher]]:
    """The room, its followers, the window's figures; the followers stay for the forks."""
    ws, code = await present(a, args.lab, args.query)
    presenter = Watcher(ws, "A")
    half = args.followers // 2
    urls = [a.url(args.lab, f"follow={code}")] * half
    urls += [b.url(args.lab, f"follow={code}")] * (args.followers - half)
    opened = await connect_many(urls)
    followers = [Watcher(f, "A" if i < half else "B") for i, f in enumerate(opened)]
    for w in [presenter, *followers]:
        w.task = asyncio.create_task(listen(w))
    await send(ws, {"op": "play"})
    await asyncio.sleep(WARM_UP)
    start, counts, meter = (
        time.perf_counter(),
        [w.frames for w in followers],
        Meter({"server A": a.pid, "server B": b.pid, "redis-server": redis_pid()}),
    )
    mine = presenter.frames
    sent = await tweak(ws, start, args.seconds, args.tweaks)
    await asyncio.sleep(max(0.0, start + args.seconds - time.perf_counter()))
    wall = time.perf_counter() - start
    rows = [("presenter frames/s", f"{(presenter.frames - mine) / wall:.1f}"),
            *fps_rows(followers, counts, wall),
            *((f"CPU % {k}", f"{v:.0f}") for k, v in meter.read().items())]  # fmt: skip
    stop = time.perf_counter() + GRACE
    while time.perf_counter() < stop and any(len(w.configs) < len(sent) for w in followers):
        await asyncio.sleep(0.1)
    # the presenter's own reply: the part of a follower's wait spent before the fan-out
    own = [presenter.configs[i] - t for i, t in sent.items() if i in presenter.configs]
    p50, p95 = (quantile(own, q) * 1000 for q in (0.5, 0.95))
    rows.append(("tweak → presenter's own config: p50 / p95", f"{p50:.1f} / {p95:.1f} ms"))
    return [*rows, *latency_rows(followers, sent)], [presenter, *followers]


async def fork_seconds(w: Watcher, tag: str) -> tuple[float, str]:
    """Stop listening to follower ``w``, fork it; seconds to the forked frame, and it."""
    if w.task is not None:
        w.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await w.task
    sent = time.perf_counter()
    await send(w.ws, {"op": "fork", "id": tag})
    while True:  # room frames may still come first; the forked one answers our id
        text = await until(w.ws, FRAME)
        if text.endswith(f'"id":"{tag}"}}'):
            return time.perf_counter() - sent, text


async def step(ws: ClientConnection, tag: str, steps: int) -> dict[str, Any]:
    """``steps`` updates; the frame that answers them."""
    await send(ws, {"op": "step", "steps": steps, "id": tag})
    while True:
        text = await until(ws, FRAME)
        if text.endswith(f'"id":"{tag}"}}'):
            frame: dict[str, Any] = json.loads(text)
            return frame


async def exact(a: Server, b: Server) -> tuple[float, list[Row]]:
    """A beans room on A steps, a follower on B forks it, both step on. Fork seconds, rows."""
    ws, code = await present(a, "beans", EXACT_QUERY)
    follower = await connect(b.url("beans", f"follow={code}"))
    try:
        await step(ws, "warm", EXACT_BEFORE)
        await asyncio.sleep(0.2)  # the room's last messages reach the follower
        seconds, forked = await fork_seconds(Watcher(follower, "B"), "exact")
        at = json.loads(forked)["step"]
        mine, theirs = await step(ws, "p", EXACT_STEPS), await step(follower, "f", EXACT_STEPS)
    finally:
        await close_all([ws, follower])
    same = mine["step"] == theirs["step"] and mine["params"] == theirs["params"]
    return seconds, [
        ("exact fork (beans, sgd, shuffle): forked at step", f"{at}, then {EXACT_STEPS} more each"),
        ("  presenter", f"step {mine['step']}, {mine['params']}"),
        ("  fork", f"step {theirs['step']}, {theirs['params']}"),
        ("  bit-exact", "yes" if same else "NO"),
    ]


async def forks(followers: list[Watcher], n: int) -> list[float]:
    """Fork ``n`` followers on server B, one after another, under the room's load."""
    on_b = [w for w in followers if w.where == "B"][:n]
    return [(await fork_seconds(w, f"fork{i}"))[0] for i, w in enumerate(on_b)]


async def run(args: argparse.Namespace) -> None:
    env, code = {"DESCENT_MAX_FOLLOWERS": str(args.followers + 10)}, revision()
    with private_redis() as url:
        if url is None:
            raise SystemExit("rooms_fanout needs redis-server (apt-get install redis-server)")
        env["DESCENT_REDIS_URL"] = url
        async with launch(1, env) as a, launch(1, env) as b:
            rows, watchers = await fanout(a, b, args)
            try:
                times = await forks(watchers[1:], args.forks)
                seconds, exact_rows = await exact(a, b)
            finally:
                for w in watchers:
                    if w.task is not None:
                        w.task.cancel()
                await close_all(w.ws for w in watchers)
    times.append(seconds)
    rows.append((f"fork on B → forked frame ({len(times) - 1} under load + exact): "
                 "p50 / max", f"{statistics.median(times) * 1000:.0f} / "
                 f"{max(times) * 1000:.0f} ms"))  # fmt: skip
    print(f"rooms across 2 servers sharing Redis: {args.lab} ({args.query or 'defaults'}), "
          f"1 presenter on A + {args.followers} followers (half on A, half on B), "
          f"{args.seconds:g} s window, {args.tweaks} tweaks; server at {code}")  # fmt: skip
    width = max(len(name) for name, _ in rows + exact_rows)
    for name, value in rows + exact_rows:
        print(f"  {name:<{width}}  {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lab", default="circles")
    parser.add_argument("--query", default="", help="the presenter's initial params")
    parser.add_argument("--followers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--tweaks", type=int, default=20)
    parser.add_argument("--forks", type=int, default=5)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
