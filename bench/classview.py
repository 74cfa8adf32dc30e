"""The class view's cost (issue 12): 1 teacher + N forked students playing circles.

Two runs, each on a fresh server (``--workers``, default 2: the workers share rooms
through the private redis-server the server starts):

- ``no class view``: the teacher presents and N private circles sessions play, each
  acking every frame (the same load with no class: no summaries, no tiles);
- ``class view``: the teacher presents, N students follow the room and fork (so each
  session sends its summary twice a second through the bus), play the same way, and
  the teacher's socket has the class view open.

Over a ``--seconds`` window after a warm-up it reports the class view's update rate
(``class`` messages/s), how often each tile is updated (per student, min and median),
the bytes/s the teacher's socket receives, the students' frames/s, and the server's CPU
(its whole process tree). A saturated server spends all the CPU it has either way, so
the cost is also given per frame: server CPU ms per student frame, and the class view's
extra against the run without it. The machine is shared: "other" CPU is reported.

    python -m bench.classview [--students 60] [--seconds 60] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from collections import Counter
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection

from bench.server import Server
from bench.workers import ACK, FRAME, Meter, close_all, connect, launch, revision, send

WARM_UP = 5.0
TARGET_TILE_HZ = 1.0  # issue 12: tiles update at least once a second
TARGET_EXTRA = 0.10  # and cost at most 10 % more server CPU


@dataclass
class Student:
    ws: ClientConnection
    frames: int = 0


@dataclass
class Teacher:
    ws: ClientConnection
    messages: int = 0
    bytes: int = 0
    tiles: Counter[str] | None = None


async def until(ws: ClientConnection, prefix: str) -> str:
    async with asyncio.timeout(60):
        while True:
            text = await ws.recv()
            assert isinstance(text, str)
            if text.startswith(prefix):
                return text


async def play(student: Student) -> None:
    """Count frames and ack each at once (a page that draws at once)."""
    async for text in student.ws:
        if isinstance(text, str) and text.startswith(FRAME):
            student.frames += 1
            await student.ws.send(ACK)


async def watch(teacher: Teacher) -> None:
    """Count the class view's messages, their bytes and the tiles each updates."""
    async for text in teacher.ws:
        assert isinstance(text, str)
        if text.startswith('{"type":"class"'):
            teacher.messages += 1
            teacher.bytes += len(text.encode())
            if teacher.tiles is not None:
                teacher.tiles.update(t["id"] for t in json.loads(text)["tiles"])
        elif text.startswith('{"type":"frame"'):
            await teacher.ws.send(ACK)


async def fork(url: str, code: str, i: int) -> ClientConnection:
    ws = await connect(f"{url}/ws/circles?follow={code}&name=Student%20{i}")
    await until(ws, FRAME)
    await send(ws, {"op": "fork", "id": "f"})
    await until(ws, '{"type":"class_event"')
    return ws


async def lesson(server: Server, args: argparse.Namespace, class_view: bool) -> dict[str, str]:
    base = f"ws://127.0.0.1:{server.port}"
    teacher = Teacher(await connect(f"{base}/ws/circles"))
    await until(teacher.ws, FRAME)
    await send(teacher.ws, {"op": "present"})
    code = json.loads(await until(teacher.ws, '{"type":"room"'))["room"]
    sockets: list[ClientConnection] = []
    for i in range(0, args.students, 10):  # ten at a time: a class arriving, not a burst
        batch = range(i, min(i + 10, args.students))
        sockets += await asyncio.gather(*(
            fork(base, code, k) if class_view else connect(f"{base}/ws/circles") for k in batch
        ))  # fmt: skip
    students = [Student(ws) for ws in sockets]
    tasks = [asyncio.create_task(play(s)) for s in students]
    tasks.append(asyncio.create_task(watch(teacher)))
    try:
        for s in students:
            await send(s.ws, {"op": "play"})
        if class_view:
            await send(teacher.ws, {"op": "class", "do": "view", "open": True})
        await asyncio.sleep(WARM_UP)
        frames = [s.frames for s in students]
        teacher.messages, teacher.bytes, teacher.tiles = 0, 0, Counter()
        meter = Meter({"server": server.pid})
        await asyncio.sleep(args.seconds)
        cpu = meter.read()
        fps = sorted((s.frames - n) / args.seconds for s, n in zip(students, frames, strict=True))
        tiles = teacher.tiles or Counter()
        messages, received = teacher.messages, teacher.bytes
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await close_all([teacher.ws, *sockets])
    total = sum(fps)
    silent = [0.0] * (args.students - len(tiles)) if class_view else []  # never updated
    rates = sorted([*silent, *(n / args.seconds for n in tiles.values())])
    return {
        "class messages/s": f"{messages / args.seconds:.2f}",
        "tiles updated per student/s: min": f"{rates[0]:.2f}" if rates else "-",
        "  median": f"{statistics.median(rates):.2f}" if rates else "-",
        "  students with a tile": str(len(rates)),
        "bytes/s to the teacher (class)": f"{received / args.seconds:.0f}",
        "student frames/s: total": f"{total:.0f}",
        "  min / median": f"{fps[0]:.1f} / {statistics.median(fps):.1f}",
        "server CPU %": f"{cpu['server']:.0f}",
        "server CPU ms per frame": f"{10 * cpu['server'] / total:.3f}" if total else "-",
        "CPU % bench client": f"{cpu['bench client']:.0f}",
        "CPU % other": f"{cpu['other']:.0f}",
    }


async def run(args: argparse.Namespace) -> None:
    columns = {}
    for name, class_view in (("no class view", False), ("class view", True)):
        async with launch(args.workers) as server:
            columns[name] = await lesson(server, args, class_view)
    per_frame = [float(c["server CPU ms per frame"]) for c in columns.values()]
    extra = per_frame[1] / per_frame[0] - 1
    print(
        f"1 teacher + {args.students} students playing circles (defaults), acking each frame; "
        f"--workers {args.workers}; {args.seconds:g} s window; server at {revision()}"
    )
    print(f"{'':34}" + "".join(f"{head:>16}" for head in columns))
    for row in columns["class view"]:
        print(f"{row:34}" + "".join(f"{col[row]:>16}" for col in columns.values()))
    tiles = columns["class view"]["tiles updated per student/s: min"]
    print(
        f"extra server CPU per frame with the class view: {100 * extra:+.1f} % "
        f"(target ≤ {100 * TARGET_EXTRA:.0f} %); slowest tile {tiles} updates/s "
        f"(target ≥ {TARGET_TILE_HZ:g})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
