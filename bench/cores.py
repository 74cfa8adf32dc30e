"""Every core (issue 11): saturation throughput with ``--workers 1`` against ``--workers 2``.

``--sessions`` circles sessions (default net) play at ``--speed`` and ack every frame as it
arrives. The default, 80 sessions at the default speed, is a class more than 2 cores can
serve at 30 frames/s, so total frames/s is what the server manages. ``--speed max`` (the
hello's ``max_speed``: each frame trains for the whole CPU budget) saturates with a
handful of sessions, but how much one frame trains then depends on how the budget's
wall-clock time is shared, so frames/s says less there and updates/s more. Over a
``--seconds`` window after a warm-up it counts the frames and updates (the ``step`` each
frame carries) of all sessions, for each worker count on a fresh server, and the ratio of
the last count to the first. How the kernel spread the sessions over the workers is
printed too: they share one listening socket, and a burst of connections can land unevenly.

    python -m bench.cores [--sessions 80] [--speed default] [--seconds 20] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection

from bench.workers import (
    ACK,
    FRAME,
    Meter,
    close_all,
    connect_many,
    connections,
    launch,
    revision,
    send,
)

WARM_UP = 3.0
STEP_AT = len('{"type":"frame","step":')  # circles frames put the step first


@dataclass
class Player:
    ws: ClientConnection
    frames: int = 0
    step: int = 0


async def listen(player: Player) -> None:
    """Count frames, note the step of the last, ack each at once."""
    ws = player.ws
    async for text in ws:
        assert isinstance(text, str)
        if text.startswith(FRAME):
            player.frames += 1
            player.step = int(text[STEP_AT : text.index(",", STEP_AT)])
            await ws.send(ACK)
        elif text.startswith('{"type":"error"'):
            raise RuntimeError(f"server error: {text[:200]}")


async def start(ws: ClientConnection, speed: str) -> None:
    """Set the speed (``max``: the hello's ``max_speed``), then play."""
    hello = json.loads(await ws.recv())
    if speed != "default":
        value = hello["limits"]["max_speed"] if speed == "max" else float(speed)
        await send(ws, {"op": "configure", "params": {"speed": value}})
    await send(ws, {"op": "play"})


async def measure(workers: int, args: argparse.Namespace) -> dict[str, float]:
    async with launch(workers) as server:
        players = [Player(ws) for ws in await connect_many([server.url("circles")] * args.sessions)]
        try:
            await asyncio.gather(*(start(p.ws, args.speed) for p in players))
            tasks = [asyncio.create_task(listen(p)) for p in players]
            try:
                await asyncio.sleep(WARM_UP)
                frames, steps = sum(p.frames for p in players), sum(p.step for p in players)
                meter, began = Meter({"server": server.pid}), time.perf_counter()
                await asyncio.sleep(args.seconds)
                wall = time.perf_counter() - began
                frames = sum(p.frames for p in players) - frames
                steps = sum(p.step for p in players) - steps
                cpu = meter.read()
                held = sorted(connections(server.pid, server.port).values(), reverse=True)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await close_all(p.ws for p in players)
    print(f"  --workers {workers}: sessions per process {held}")
    return {"frames/s, total": frames / wall, "updates/s, total": steps / wall,
            **{f"CPU % {k}": v for k, v in cpu.items()}}  # fmt: skip


async def run(args: argparse.Namespace) -> None:
    print(f"cores: {args.sessions} circles sessions at speed {args.speed}, "
          f"{args.seconds:g} s window; server at {revision()}")  # fmt: skip
    columns = {f"--workers {w}": await measure(w, args) for w in args.workers}
    first, last = next(iter(columns.values())), list(columns.values())[-1]
    print(f"{'':22}" + "".join(f"{head:>14}" for head in columns) + f"{'ratio':>10}")
    for row in first:
        ratio = f"{last[row] / first[row]:10.2f}" if row.endswith("total") else ""
        print(f"{row:22}" + "".join(f"{col[row]:14,.0f}" for col in columns.values()) + ratio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=80)
    parser.add_argument("--speed", default="default", help="default, max, or updates per frame")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
