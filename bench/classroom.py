"""A classroom on one server: one presenter plays, followers watch through its room.

Starts the real server in a subprocess on loopback. A presenter session sends
``present`` and ``play``; ``--followers`` sessions join with ``?follow=CODE``.
Over a ``--seconds`` window it measures the presenter's and each follower's
frames/s, bytes per frame, the latency from the presenter sending a live
``configure`` (``--tweaks`` of them, lr alternating) to each follower receiving
the matching ``config`` (and "fan-out": how much later than the presenter's own
reply it came), and the CPU the server process and this client used (2 cores:
up to 200 %; the client shares them, so a busy client inflates the latencies).
Several follower counts each get a fresh server and a column of the table.

    python -m bench.classroom [--lab beans] [--followers 30 [100 …]] [--seconds 5] [--tweaks 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from bench.stream import free_port, wait_up


def tweak_lr(i: int) -> float:
    """Tweak ``i``'s learning rate: valid in every lab, and each one different, so that a
    follower's ``config`` (which carries no id: the presenter's is not relayed) names it."""
    return round(0.01 + 0.0005 * i, 6)


TWEAK_OF = {tweak_lr(i): i for i in range(1, 1000)}  # a config's lr → the tweak that set it
WARM_UP = 1.0  # seconds of play before the window: connections settle, frames flow
GRACE = 3.0  # most seconds after the window to wait for the last tweaks' configs


@dataclass
class Seen:
    """What one connection received: frame arrivals and sizes, config arrivals by id."""

    frames: list[tuple[float, int]] = field(default_factory=list)
    configs: dict[Any, float] = field(default_factory=dict)

    def fps(self, start: float, end: float) -> float:
        return sum(start <= t < end for t, _ in self.frames) / (end - start)


async def listen(ws: ClientConnection, seen: Seen) -> None:
    """Record every frame and config until the connection closes or the task is cancelled."""
    async for text in ws:
        now = time.perf_counter()
        assert isinstance(text, str)
        if text.startswith('{"type":"frame"'):  # encode writes the type first
            seen.frames.append((now, len(text)))
        elif text.startswith('{"type":"config"'):
            msg = json.loads(text)  # a follower's has no id (not relayed): its lr names it
            seen.configs.setdefault(msg.get("id") or TWEAK_OF.get(msg["params"].get("lr")), now)
        elif text.startswith('{"type":"error"'):
            raise RuntimeError(f"server error: {text}")


async def present(url: str) -> tuple[ClientConnection, str]:
    """Open the presenter: present, then play; the room code."""
    ws = await websockets.connect(url, max_size=None)
    await ws.send(json.dumps({"op": "present", "id": 0}))
    while (msg := json.loads(await ws.recv()))["type"] != "room":
        pass
    await ws.send(json.dumps({"op": "play"}))
    return ws, str(msg["room"])


async def follow(url: str, code: str) -> ClientConnection:
    """Join room ``code``; the hello must be read-only."""
    ws = await websockets.connect(f"{url}?follow={code}", max_size=None)
    hello = json.loads(await ws.recv())
    if hello["type"] != "hello" or hello.get("read_only") is not True:
        raise RuntimeError(f"not a follower's hello: {hello}")
    return ws


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) the process has used: /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


async def tweak(
    presenter: ClientConnection, start: float, seconds: float, tweaks: int
) -> dict[int, float]:
    """Send ``tweaks`` live configures spread over the window; their send times by id."""
    sent: dict[int, float] = {}
    for i in range(tweaks):
        await asyncio.sleep(max(0.0, start + (i + 0.5) * seconds / tweaks - time.perf_counter()))
        lr = tweak_lr(i + 1)
        sent[i + 1] = time.perf_counter()
        await presenter.send(json.dumps({"op": "configure", "id": i + 1, "params": {"lr": lr}}))
    return sent


async def classroom(url: str, pid: int, followers: int, args: argparse.Namespace) -> dict[str, str]:
    """One presenter and ``followers`` followers; the window's figures."""
    query = f"?{args.query}" if args.query else ""
    presenter, code = await present(url + query)
    watchers = await asyncio.gather(*(follow(url, code) for _ in range(followers)))
    connections = [presenter, *watchers]
    seen = [Seen() for _ in connections]  # the presenter's first
    tasks = [asyncio.create_task(listen(ws, s)) for ws, s in zip(connections, seen, strict=True)]
    try:
        await asyncio.sleep(WARM_UP)
        start, cpu, mine = time.perf_counter(), server_cpu(pid), time.process_time()
        sent = await tweak(presenter, start, args.seconds, args.tweaks)
        await asyncio.sleep(max(0.0, start + args.seconds - time.perf_counter()))
        end = time.perf_counter()
        cpu, mine = server_cpu(pid) - cpu, time.process_time() - mine
        while time.perf_counter() < end + GRACE and any(len(s.configs) < len(sent) for s in seen):
            await asyncio.sleep(0.05)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.gather(*(ws.close() for ws in connections))
    lat = [s.configs[i] - t for s in seen[1:] for i, t in sent.items() if i in s.configs]
    own = seen[0].configs  # the presenter's own reply: what fan-out adds comes after it
    fan = [s.configs[i] - own[i] for s in seen[1:] for i in sent if i in s.configs and i in own]
    fps = sorted(s.fps(start, end) for s in seen[1:])
    frames = [n for t, n in seen[0].frames if start <= t < end]
    wall = end - start
    return {
        "presenter frames/s": f"{seen[0].fps(start, end):.1f}",
        "follower frames/s mean": f"{statistics.mean(fps):.1f}",
        "follower frames/s min": f"{fps[0]:.1f}",
        "follower frames/s p5": f"{quantile(fps, 0.05):.1f}",
        "bytes per frame": f"{statistics.mean(frames):,.0f}" if frames else "-",
        "tweak → config p50 ms": f"{quantile(lat, 0.5) * 1000:.1f}" if lat else "-",
        "tweak → config p95 ms": f"{quantile(lat, 0.95) * 1000:.1f}" if lat else "-",
        "fan-out p95 ms": f"{quantile(fan, 0.95) * 1000:.1f}" if fan else "-",
        "configs received": f"{len(lat)}/{len(sent) * followers}",
        "server CPU %": f"{100 * cpu / wall:.0f}",
        "bench client CPU %": f"{100 * mine / wall:.0f}",
    }


def quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile, as bench.stream reports p95."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(followers: int, args: argparse.Namespace) -> dict[str, str]:
    """A fresh server for one follower count."""
    port = free_port()
    server = subprocess.Popen(  # one process: rooms in memory; joins from one address
        [sys.executable, "-m", "app", "--port", str(port), "--log-level", "warning",
         "--workers", "1"],
        env={**os.environ, "DESCENT_JOINS_PER_MINUTE": "100000",
             "DESCENT_MAX_SESSIONS_PER_CLIENT": "1000"},
    )  # fmt: skip
    try:
        await wait_up(port)
        return await classroom(f"ws://127.0.0.1:{port}/ws/{args.lab}", server.pid, followers, args)
    finally:
        server.terminate()
        server.wait(timeout=10)


async def run(args: argparse.Namespace) -> None:
    columns = {n: await measure(n, args) for n in args.followers}
    print(f"classroom, lab {args.lab}, {args.query or 'defaults'}, "
          f"{args.seconds:g} s window, {args.tweaks} tweaks")  # fmt: skip
    heads = [f"{n} followers" for n in columns]
    print(f"{'':24}" + "".join(f"{h:>15}" for h in heads))
    for row in next(iter(columns.values())):
        print(f"{row:24}" + "".join(f"{col[row]:>15}" for col in columns.values()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lab", default="beans")
    parser.add_argument("--followers", type=int, nargs="+", default=[30])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--tweaks", type=int, default=20)
    parser.add_argument("--query", default="", help="the presenter's initial params, e.g. speed=10")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
