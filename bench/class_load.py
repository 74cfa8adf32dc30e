"""A class on one server (issue 11): N circles sessions playing at once, each acking.

Every session plays with the default net and speed and acks each frame as it arrives (a
page that draws at once), so the server, not the client, sets the pace. Each sends a live
``configure`` of ``lr`` every ``--tweak-every`` seconds (staggered) and times its
``config`` reply. Over a ``--seconds`` window (after a warm-up) it reports frames/s per
session (min, median, min/median), the tweak latency, the server's RSS at the start,
middle and end of the window (summed over its process tree: supervisor, workers,
redis-server), and CPU: the server's, each worker's, this client's (it shares the 2 cores:
one asyncio process that reads a message's first bytes only) and other processes'.
Each ``--workers`` count gets a fresh server and a column.

    python -m bench.class_load [--sessions 60] [--seconds 300] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection

from bench.server import Server, quantile
from bench.workers import (
    ACK,
    CONFIG,
    FRAME,
    Meter,
    close_all,
    connect_many,
    connections,
    cpu_percent,
    launch,
    proc_name,
    revision,
    send,
    tree_cpu,
    tree_rss_mb,
)

WARM_UP = 5.0  # seconds of play before the window: every session is up to speed
GRACE = 3.0  # most seconds after the window for the last replies
TWEAK_LRS = (0.011, 0.01)  # each tweak changes circles' lr, live
RSS_EVERY = 5.0
TARGET_FPS = 15  # issue 11: each session at 15 frames/s or more


@dataclass
class Learner:
    """One session's counts: frames received, tweaks sent and answered (by id)."""

    ws: ClientConnection
    frames: int = 0
    sent: dict[int, float] = field(default_factory=dict)
    answered: dict[int, float] = field(default_factory=dict)


async def listen(learner: Learner) -> None:
    """Count frames and ack each at once; time config replies. Only replies are parsed."""
    ws = learner.ws
    async for text in ws:
        assert isinstance(text, str)
        if text.startswith(FRAME):
            learner.frames += 1
            await ws.send(ACK)
        elif text.startswith(CONFIG):
            now = time.perf_counter()
            learner.answered.setdefault(json.loads(text).get("id"), now)
        elif text.startswith('{"type":"error"'):
            raise RuntimeError(f"server error: {text[:200]}")


async def tweak(learner: Learner, offset: float, every: float, until: float) -> None:
    """A live lr change every ``every`` seconds from ``offset`` until ``until``."""
    await asyncio.sleep(offset)
    i = 0
    while time.perf_counter() < until:
        i += 1
        learner.sent[i] = time.perf_counter()
        await send(learner.ws, {"op": "configure", "id": i, "params": {"lr": TWEAK_LRS[i % 2]}})
        await asyncio.sleep(every)


async def sample_rss(pid: int, into: list[tuple[float, float]]) -> None:
    while True:
        into.append((time.perf_counter(), tree_rss_mb(pid)))
        await asyncio.sleep(RSS_EVERY)


def rss_at(samples: list[tuple[float, float]], when: float) -> float:
    return min(samples, key=lambda s: abs(s[0] - when))[1]


async def measure(workers: int, args: argparse.Namespace) -> dict[str, str]:
    """A fresh server with ``workers`` workers; the figures of one window."""
    async with launch(workers) as server:
        url = server.url("circles", args.query)
        learners = [Learner(ws) for ws in await connect_many([url] * args.sessions)]
        try:
            return await play(server, learners, args)
        finally:
            await close_all(learner.ws for learner in learners)


async def play(server: Server, learners: list[Learner], args: argparse.Namespace) -> dict[str, str]:
    rss: list[tuple[float, float]] = []
    tasks = [asyncio.create_task(listen(learner)) for learner in learners]
    tasks.append(asyncio.create_task(sample_rss(server.pid, rss)))
    for learner in learners:
        await send(learner.ws, {"op": "play"})
    try:
        await asyncio.sleep(WARM_UP)
        start, counts, meter = (
            time.perf_counter(),
            [x.frames for x in learners],
            Meter({"server": server.pid}),
        )
        spread_over = sorted(connections(server.pid, server.port).values(), reverse=True)
        end = start + args.seconds
        spread = args.tweak_every / len(learners)
        tasks += [asyncio.create_task(tweak(x, i * spread, args.tweak_every, end))
                  for i, x in enumerate(learners)]  # fmt: skip
        await asyncio.sleep(args.seconds)
        fps = sorted((x.frames - n) / args.seconds for x, n in zip(learners, counts, strict=True))
        cpu, workers = meter.read(), cpu_percent_by_process(meter)
        stop = time.perf_counter() + GRACE
        while time.perf_counter() < stop and any(len(x.answered) < len(x.sent) for x in learners):
            await asyncio.sleep(0.1)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    lat = [x.answered[i] - t for x in learners for i, t in x.sent.items() if i in x.answered]
    sent = sum(len(x.sent) for x in learners)
    median = statistics.median(fps)
    return {
        "frames/s per session: min": f"{fps[0]:.1f}",
        "  median": f"{median:.1f}",
        "  min / median": f"{fps[0] / median:.2f}" if median else "-",
        f"sessions under {TARGET_FPS} frames/s": str(sum(f < TARGET_FPS for f in fps)),
        "frames/s, all sessions": f"{sum(fps):.0f}",
        "tweak → config p50 ms": f"{quantile(lat, 0.5) * 1000:.1f}" if lat else "-",
        "  p95 ms": f"{quantile(lat, 0.95) * 1000:.1f}" if lat else "-",
        "  answered": f"{len(lat)}/{sent}",
        "server RSS MB: start": f"{rss_at(rss, start):.0f}",
        "  middle": f"{rss_at(rss, start + args.seconds / 2):.0f}",
        "  end": f"{rss_at(rss, end):.0f}",
        "  max": f"{max(mb for t, mb in rss if t >= start):.0f}",
        **{f"CPU % {k}": f"{v:.0f}" for k, v in cpu.items()},
        "CPU % per python process": workers,
        "sessions per process": " ".join(map(str, spread_over)),
    }


def cpu_percent_by_process(meter: Meter) -> str:
    """Each python process of the server's tree (the workers), busiest first."""
    before, after = meter.before["server"], tree_cpu(meter.pids["server"])
    wall = time.perf_counter() - meter.wall
    shares = [cpu_percent({p: before.get(p, 0.0)}, {p: c}, wall)
              for p, c in after.items() if proc_name(p) == "python"]  # fmt: skip
    return " ".join(f"{s:.0f}" for s in sorted(shares, reverse=True) if s >= 1) or "-"


async def run(args: argparse.Namespace) -> None:
    code, columns = revision(), {}
    for workers in args.workers:
        columns[f"--workers {workers}"] = await measure(workers, args)
    print(f"a class: {args.sessions} circles sessions ({args.query or 'defaults'}), each acking "
          f"every frame; {args.seconds:g} s window, a tweak per session every "
          f"{args.tweak_every:g} s; server at {code}")  # fmt: skip
    print(f"{'':28}" + "".join(f"{head:>16}" for head in columns))
    for row in next(iter(columns.values())):
        print(f"{row:28}" + "".join(f"{col[row]:>16}" for col in columns.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--tweak-every", type=float, default=10.0)
    parser.add_argument("--query", default="", help="initial params, e.g. speed=4")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
