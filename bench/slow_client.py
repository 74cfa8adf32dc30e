"""A client that draws 5 frames a second while the server streams at 30 (issue 11).

The client takes a frame, "draws" it (sleeps 1/``--draw-fps`` s), acks it and takes the
next, as the page does; it presses Play once the opening frame is drawn. A frame's age is
measured when the client takes it to draw: ``time.time() − frame.t`` (server and client
share the host's clock). With acks the server keeps ``window`` frames in flight and
trains no further ahead, so the age should not grow; how small it stays shows how fresh
the frame the server holds back for the client is. Without acks (``--noack-seconds``,
shorter: it only has to show the growth) the server streams at its own rate and frames
queue up in the kernel's and the client's buffers: each one drawn is older than the last.

    python -m bench.slow_client [--lab circles] [--seconds 120] [--window 30]
                                [--noack-seconds 15] [--draw-fps 5] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from bench.server import quantile
from bench.workers import ACK, FRAME, Meter, connect, frame_time, launch, revision, send

Ages = list[tuple[float, float]]  # (seconds since the first frame, age in seconds)
RECV_TIMEOUT = 10.0  # no frame for this long: the server stopped streaming


async def draw(url: str, seconds: float, draw_s: float, ack: bool) -> Ages:
    """Play, then draw every frame that arrives for ``seconds``; the age of each when drawn."""
    ws = await connect(url)
    try:
        hello = json.loads(await ws.recv())
        if ack and hello.get("flow", {}).get("ack") is not True:
            raise RuntimeError(f"the server offers no acks: {hello.get('flow')}")
        ages: Ages = []
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            text = await asyncio.wait_for(ws.recv(), RECV_TIMEOUT)
            assert isinstance(text, str)
            if not text.startswith(FRAME):
                continue
            ages.append((time.perf_counter() - start, time.time() - frame_time(text)))
            await asyncio.sleep(draw_s)  # drawing
            if ack:
                await ws.send(ACK)
            if len(ages) == 1:  # as on the page: Play is pressed once the first frame shows
                await send(ws, {"op": "play"})
        return ages
    finally:
        await ws.close()


def windows(ages: Ages, seconds: float, width: float) -> list[tuple[str, str]]:
    """One row per window: frames drawn, age p50, p95 and max."""
    rows = []
    start = 0.0
    while start < seconds - 1e-9:
        end = min(seconds, start + width)
        inside = [age for t, age in ages if start <= t < end]
        if inside:
            stats = (f"{quantile(inside, q) * 1000:9,.1f}" for q in (0.5, 0.95))
            rows.append((f"{start:4.0f}–{end:.0f} s", f"{len(inside):6d} {' '.join(stats)} "
                         f"{max(inside) * 1000:9,.1f}"))  # fmt: skip
        start = end
    return rows


def report(title: str, ages: Ages, seconds: float, width: float) -> None:
    print(f"{title}\n  {'window':>10} {'frames':>6} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    for window, figures in windows(ages, seconds, width):
        print(f"  {window:>10} {figures}")
    if ages:
        every = [age for _, age in ages]
        print(f"  {'all':>10} {len(every):6d} {quantile(every, 0.5) * 1000:9,.1f} "
              f"{quantile(every, 0.95) * 1000:9,.1f} {max(every) * 1000:9,.1f}")  # fmt: skip


async def run(args: argparse.Namespace) -> None:
    draw_s = 1 / args.draw_fps
    code = revision()
    async with launch(args.workers) as server:
        url = server.url(args.lab, args.query)
        meter = Meter({"server": server.pid})
        acked = await draw(url, args.seconds, draw_s, ack=True)
        cpu = meter.read()
        unacked = await draw(url, args.noack_seconds, draw_s, ack=False)
    print(f"slow client: lab {args.lab} ({args.query or 'defaults'}), draws {args.draw_fps:g} "
          f"frames/s, server streams at its fps (30); frame age when taken to draw; "
          f"server at {code}")  # fmt: skip
    report(f"with acks, {args.seconds:g} s", acked, args.seconds, args.window)
    report(f"without acks, {args.noack_seconds:g} s", unacked, args.noack_seconds,
           args.noack_seconds / 3)  # fmt: skip
    print("CPU % of one core while acking: " + ", ".join(f"{k} {v:.0f}" for k, v in cpu.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lab", default="circles")
    parser.add_argument("--query", default="", help="initial params, e.g. speed=10")
    parser.add_argument("--seconds", type=float, default=120.0, help="acking client's run")
    parser.add_argument("--window", type=float, default=30.0, help="seconds per row")
    parser.add_argument("--noack-seconds", type=float, default=15.0)
    parser.add_argument("--draw-fps", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=1)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
