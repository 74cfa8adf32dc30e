"""Fuzzing a real server: many clients, tens of thousands of hostile messages (issue 10).

The larger run behind tests/app/test_fuzz.py, over real sockets. ``--clients`` clients,
each on one lab (in turn), send their share of ``--messages`` seeded items from
bench/hostile.py; after each, a ``pause`` probe with a fresh id must get its ``state``
reply. A session that dies (its close code) or leaves a probe unanswered for
``--timeout`` seconds is noted against the vector that did it, and the client opens a
new one. Each client keeps under ``--rate`` messages a second, below the server's flood
limit, and the run ends after ``--seconds`` at most.

    python -m bench.fuzz [--messages 50000] [--clients 16] [--seconds 300] [--heavy]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from bench.bounds import LABS
from bench.hostile import Hostile, stream, verdict
from bench.server import Server, close_code, ms, quantile, serve, table

PROBE = 10**12  # probe ids: far from the ids the generator writes


@dataclass
class Tally:
    """What all clients saw."""

    items: int = 0
    sent: int = 0  # frames: items and probes
    answered: int = 0  # probes answered
    latency: list[float] = field(default_factory=list)  # item sent → probe answered
    codes: Counter[str] = field(default_factory=Counter)  # error codes received
    deaths: Counter[tuple[str, int | None]] = field(default_factory=Counter)  # (kind, close)
    unanswered: Counter[str] = field(default_factory=Counter)  # kind of the item before
    broken: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, verdict)
    refused: Counter[int | None] = field(default_factory=Counter)  # connects closed at once
    example: dict[object, str | bytes] = field(default_factory=dict)  # a payload per key above

    def note(self, counts: Counter[Any], key: Any, item: Hostile) -> None:
        counts[key] += 1
        self.example.setdefault(key, item.payload)


async def exchange(ws: ClientConnection, item: Hostile, probe: int, tally: Tally) -> list[object]:
    """Send ``item`` and the probe; the error codes that came before the probe's reply."""
    await ws.send(item.payload)
    await ws.send(json.dumps({"op": "pause", "id": probe}))
    tally.items, tally.sent = tally.items + 1, tally.sent + 2
    codes: list[object] = []
    while True:
        text = await ws.recv()
        if isinstance(text, bytes) or text.startswith('{"type":"frame"'):
            continue  # play frames, until the probe's pause stops them
        msg = json.loads(text)
        if msg.get("type") == "error":
            codes.append(msg.get("code"))
        elif msg.get("type") == "state" and msg.get("id") == probe:
            return codes


async def opening(url: str) -> ClientConnection:
    ws = await websockets.connect(url, max_size=None, open_timeout=10, close_timeout=1)
    while not str(await ws.recv()).startswith('{"type":"frame"'):
        pass
    return ws


async def client(
    server: Server, index: int, args: argparse.Namespace, tally: Tally, deadline: float
) -> None:
    """One client: its lab and share of the items, a new session after each death."""
    lab = args.labs[index % len(args.labs)]
    items = stream(lab, args.seed + index, args.messages // args.clients, heavy=args.heavy)
    gap, probe, item = 2 / args.rate, PROBE + index * 10**7, None
    pending = iter(items)
    while time.perf_counter() < deadline:
        ws = None
        try:
            ws = await opening(server.url(lab))
            for item in pending:
                if time.perf_counter() > deadline:
                    return
                probe, start = probe + 1, time.perf_counter()
                async with asyncio.timeout(args.timeout):
                    codes = await exchange(ws, item, probe, tally)
                tally.answered += 1
                tally.latency.append(time.perf_counter() - start)
                if why := verdict(item, codes):
                    tally.note(tally.broken, (item.kind, why), item)
                tally.codes.update(str(c) for c in codes)
                await asyncio.sleep(max(0.0, start + gap - time.perf_counter()))
            return
        except TimeoutError:
            if item is not None:
                tally.note(tally.unanswered, item.kind, item)
        except (websockets.ConnectionClosed, OSError) as exc:
            if item is None:
                tally.refused[close_code(exc)] += 1
                await asyncio.sleep(1)
            else:
                tally.note(tally.deaths, (item.kind, close_code(exc)), item)
        finally:
            if ws is not None:
                await ws.close()
        item = None


async def run(args: argparse.Namespace) -> None:
    tally = Tally()
    async with serve() as server:
        rss_before = server.rss_kb()
        sampler = asyncio.create_task(server.sample_rss())
        start = time.perf_counter()
        deadline = start + args.seconds
        await asyncio.gather(
            *(client(server, i, args, tally, deadline) for i in range(args.clients))
        )
        wall = time.perf_counter() - start
        rss_after = server.rss_kb()
        sampler.cancel()
        log = server.log_bytes()
    report(args, tally, wall, server, rss_before, rss_after, log)


def report(
    args: argparse.Namespace,
    tally: Tally,
    wall: float,
    server: Server,
    rss_before: int,
    rss_after: int,
    log: int,
) -> None:
    lat = tally.latency
    rss_max = max((kb for _, kb in server.rss), default=0)
    table(
        f"fuzz: {args.clients} clients over {', '.join(args.labs)}, seed {args.seed}"
        + (", heavy messages included" if args.heavy else ""),
        [
            ("hostile messages sent", f"{tally.items:,} (and as many probes) in {wall:.0f} s"),
            ("probes answered", f"{tally.answered:,} of {tally.items:,}"),
            ("probe latency p50 / p95 / max", " / ".join(ms(quantile(lat, q)) if lat else "-"
                                                        for q in (0.5, 0.95, 1.0))),
            ("sessions died", f"{sum(tally.deaths.values()):,}"),
            ("probes unanswered", f"{sum(tally.unanswered.values()):,} in {args.timeout:g} s"),
            ("connects refused", dict(tally.refused) or "none"),
            ("errors by code", dict(tally.codes.most_common()) or "none"),
            ("replies breaking the contract", f"{sum(tally.broken.values()):,}"),
            ("server RSS before / after / max", f"{rss_before / 1024:.0f} / {rss_after / 1024:.0f}"
                                                f" / {rss_max / 1024:.0f} MiB"),
            ("server log", f"{log / 1024:,.0f} KiB"),
            ("server stop (SIGTERM → exit)", f"{server.stop_seconds or 0:.1f} s"
                                             + (", killed" if server.killed else "")),
        ],
    )  # fmt: skip
    for title, counts in (
        ("sessions died, by vector and close code", tally.deaths),
        ("probes unanswered, by vector", tally.unanswered),
        ("contract broken, by vector", tally.broken),
    ):
        if counts:
            rows = [
                (str(k), f"{n:,}  e.g. {tally.example[k][:70]!r}")
                for k, n in counts.most_common(20)
            ]
            table(title, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=50_000, help="hostile messages in all")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--labs", nargs="+", default=list(LABS), choices=LABS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=150.0, help="most messages/s per client")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a probe may wait")
    parser.add_argument("--seconds", type=float, default=300.0, help="most seconds to run")
    parser.add_argument("--heavy", action="store_true", help="add the costliest valid messages")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
