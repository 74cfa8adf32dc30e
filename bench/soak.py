"""A class's worth of learners for minutes: every tweak answered, quickly, memory flat (issue 10).

``--clients`` sessions on a real server, the labs in turn, all playing at their default
settings. Each changes its learning rate live every ``--every`` seconds (the clients
staggered over that period), for ``--seconds``, and acknowledges frames as the page does
when the hello offers flow control. Reported: tweaks sent and answered, the latency from
sending a ``configure`` to its ``config`` reply, each client's frames/s, and the server's
RSS over time and per session. The issue's target on 2 cores: 40 clients, every 10 s, for
5 minutes: every tweak answered, p95 ≤ 250 ms, RSS flat.

    python -m bench.soak [--clients 40] [--every 10] [--seconds 300]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from bench.bounds import LABS
from bench.server import Server, close_code, ms, quantile, serve, server_cpu, source, table

TWEAK_LRS = (0.02, 0.01)  # valid in every lab; each tweak changes the rate
GRACE = 5.0  # most seconds after the window to wait for the last replies


@dataclass
class Learner:
    """One client's session and what it saw."""

    lab: str
    ws: ClientConnection
    hello: dict[str, Any]
    frames: list[float] = field(default_factory=list)  # arrival times
    sent: dict[int, float] = field(default_factory=dict)  # tweak id → sent at
    answered: dict[int, float] = field(default_factory=dict)  # tweak id → config came at
    stepped: dict[Any, float] = field(default_factory=dict)  # op id → its frame came at
    errors: Counter[str] = field(default_factory=Counter)
    closed: int | None = None  # the close code, if the server closed the session

    @property
    def ack(self) -> bool:
        """The server takes frame acks (flow control), as a page then sends them."""
        return bool(self.hello.get("flow", {}).get("ack"))


async def join(url: str, lab: str, index: int = 0) -> Learner:
    """A session from loopback source address ``source(index)``, read up to its first frame."""
    ws = await websockets.connect(url, max_size=None, open_timeout=30, local_addr=source(index))
    learner = Learner(lab, ws, json.loads(await ws.recv()))
    while not str(await ws.recv()).startswith('{"type":"frame"'):
        pass
    if learner.ack:  # every frame counts in flight, the opening one too, as a page acks it
        await ws.send('{"op":"ack"}')
    return learner


async def listen(learner: Learner) -> None:
    """Count frames (acking each, as a page does), note configs and errors, until closed."""
    try:
        async for text in learner.ws:
            now = time.perf_counter()
            if not isinstance(text, str):
                continue
            if text.startswith('{"type":"frame"'):
                learner.frames.append(now)
                if '"id":' in text[-80:]:  # a reply to an op (the id goes last): parse it
                    learner.stepped.setdefault(json.loads(text).get("id"), now)
                if learner.ack:
                    await learner.ws.send('{"op":"ack"}')
            elif text.startswith('{"type":"config"'):
                learner.answered.setdefault(json.loads(text).get("id"), now)
            elif text.startswith('{"type":"error"'):
                learner.errors[str(json.loads(text).get("code"))] += 1
    except websockets.ConnectionClosed as exc:
        learner.closed = close_code(exc)


async def tweak(learner: Learner, first_id: int, start: float, end: float, every: float) -> None:
    """A live lr change every ``every`` seconds from ``start`` until ``end``."""
    at, tweak_id = start, first_id
    while at < end:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        if learner.closed is not None:
            return
        lr = TWEAK_LRS[tweak_id % 2]
        learner.sent[tweak_id] = time.perf_counter()
        msg = {"op": "configure", "id": tweak_id, "params": {"lr": lr}}
        with contextlib.suppress(websockets.ConnectionClosed):
            await learner.ws.send(json.dumps(msg))
        at, tweak_id = at + every, tweak_id + 1


async def soak(server: Server, args: argparse.Namespace) -> list[tuple[str, object]]:
    idle = server.rss_kb()
    labs = [args.labs[i % len(args.labs)] for i in range(args.clients)]
    learners = await asyncio.gather(*(join(server.url(lab), lab, i) for i, lab in enumerate(labs)))
    tasks = [asyncio.create_task(listen(learner)) for learner in learners]
    for learner in learners:
        await learner.ws.send('{"op":"play"}')
    sampler = asyncio.create_task(server.sample_rss())
    start, cpu, mine = time.perf_counter(), server_cpu(server.pid), time.process_time()
    end = start + args.seconds
    spread = args.every / args.clients
    await asyncio.gather(*(tweak(learner, i * 10**6, start + i * spread, end, args.every)
                           for i, learner in enumerate(learners)))  # fmt: skip
    await asyncio.sleep(max(0.0, end - time.perf_counter()))
    wall, cpu, mine = (
        time.perf_counter() - start,
        server_cpu(server.pid) - cpu,
        time.process_time() - mine,
    )
    deadline = time.perf_counter() + GRACE
    while time.perf_counter() < deadline and any(len(c.answered) < len(c.sent) for c in learners):
        await asyncio.sleep(0.1)
    sampler.cancel()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*(learner.ws.close() for learner in learners), return_exceptions=True)
    return figures(learners, server, idle, start, end, wall, cpu, mine)


def figures(
    learners: list[Learner], server: Server, idle: int, start: float, end: float,
    wall: float, cpu: float, mine: float,
) -> list[tuple[str, object]]:  # fmt: skip
    lat = sorted(c.answered[i] - t for c in learners for i, t in c.sent.items() if i in c.answered)
    sent = sum(len(c.sent) for c in learners)
    fps = sorted(sum(start <= t < end for t in c.frames) / (end - start) for c in learners)
    rss = [kb for t, kb in server.rss]  # sampled from the window's start
    errors = sum((c.errors for c in learners), Counter[str]())
    closed = Counter(c.closed for c in learners if c.closed is not None)
    return [
        ("tweaks answered", f"{len(lat):,} of {sent:,}"),
        ("tweak → config p50 / p95 / max", " / ".join(ms(quantile(lat, q)) if lat else "-"
                                                     for q in (0.5, 0.95, 1.0))),
        ("frames/s per client min / median", f"{fps[0]:.1f} / {statistics.median(fps):.1f}"),
        ("flow control (acks)", "yes" if any(c.ack for c in learners) else "not offered"),
        ("server RSS idle, start / middle / end / max", f"{idle / 1024:.0f}, " + " / ".join(
            f"{kb / 1024:.0f}" for kb in (rss[0], rss[len(rss) // 2], rss[-1], max(rss))) + " MiB"),
        ("server RSS per session", f"{(rss[0] - idle) / len(learners):,.0f} KiB"),
        ("server CPU, bench client CPU", f"{100 * cpu / wall:.0f} %, {100 * mine / wall:.0f} %"),
        ("errors", dict(errors) or "none"),
        ("sessions closed by the server", dict(closed) or "none"),
    ]  # fmt: skip


async def run(args: argparse.Namespace) -> None:
    async with serve() as server:
        rows = await soak(server, args)
    title = (f"soak: {args.clients} clients over {', '.join(args.labs)}, a tweak each every "
             f"{args.every:g} s for {args.seconds:g} s")  # fmt: skip
    table(title, [*rows, ("server stop (SIGTERM → exit)", f"{server.stop_seconds or 0:.1f} s")])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between tweaks")
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--labs", nargs="+", default=list(LABS), choices=LABS)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
