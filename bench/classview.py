"""The class view's cost (issue 12): 1 teacher + N forked students playing circles.

One server (``--workers``, default 2: the workers share rooms through the private
redis-server the server starts). The teacher presents, N students follow the room and
fork, and all play, each acking every frame. Then, ``--rounds`` times, a window with the
class view closed (the same class: the students' sessions only send heartbeats) and one
with it open (each session summarises its frames and sends a summary twice a second
through the bus; the teacher's socket gets the tiles).

For each it reports the class view's update rate (``class`` messages/s), how often each
tile is updated (per student, min and median), the bytes/s the teacher's socket receives,
the students' frames/s, and the server's CPU (its whole process tree). A saturated server
spends all the CPU it has either way, so the cost is given per frame: server CPU ms per
student frame, and the open view's extra against the closed one. The machine may be
shared: "other" CPU is reported.

    python -m bench.classview [--students 60] [--seconds 20] [--rounds 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
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


async def gather_class(base: str, args: argparse.Namespace) -> tuple[Teacher, list[Student]]:
    teacher = Teacher(await connect(f"{base}/ws/circles"))
    await until(teacher.ws, FRAME)
    await send(teacher.ws, {"op": "present"})
    code = json.loads(await until(teacher.ws, '{"type":"room"'))["room"]
    sockets: list[ClientConnection] = []
    for i in range(0, args.students, 10):  # ten at a time: a class arriving, not a burst
        batch = range(i, min(i + 10, args.students))
        sockets += await asyncio.gather(*(fork(base, code, k) for k in batch))
    return teacher, [Student(ws) for ws in sockets]


async def phase(server: Server, teacher: Teacher, students: list[Student],
                seconds: float, open_: bool) -> dict[str, float]:  # fmt: skip
    """One window with the class view open or closed: CPU, frames, tiles, bytes."""
    await send(teacher.ws, {"op": "class", "do": "view", "open": open_})
    await asyncio.sleep(WARM_UP)  # the students hear of it; the loop settles
    frames = [s.frames for s in students]
    teacher.messages, teacher.bytes, teacher.tiles = 0, 0, Counter()
    meter = Meter({"server": server.pid})
    await asyncio.sleep(seconds)
    cpu = meter.read()
    fps = sorted((s.frames - n) / seconds for s, n in zip(students, frames, strict=True))
    tiles = teacher.tiles
    silent = [0.0] * (len(students) - len(tiles)) if open_ else []  # never updated
    rates = sorted([*silent, *(n / seconds for n in tiles.values())])
    total = sum(fps)
    return {
        "ms": 10 * cpu["server"] / total if total else float("nan"),
        "cpu": cpu["server"], "other": cpu["other"], "client": cpu["bench client"],
        "fps_min": fps[0], "fps_median": statistics.median(fps), "total": total,
        "messages": teacher.messages / seconds, "bytes": teacher.bytes / seconds,
        "tile_min": rates[0] if rates else float("nan"),
        "tile_median": statistics.median(rates) if rates else float("nan"),
    }  # fmt: skip


async def lesson(server: Server, args: argparse.Namespace) -> dict[bool, list[dict[str, float]]]:
    """The same class, its view closed then open, ``--rounds`` times over: a saturated
    server's CPU per frame drifts between servers by more than the view costs, so both
    columns come from one server, one class, interleaved."""
    base = f"ws://127.0.0.1:{server.port}"
    teacher, students = await gather_class(base, args)
    tasks = [asyncio.create_task(play(s)) for s in students]
    tasks.append(asyncio.create_task(watch(teacher)))
    phases: dict[bool, list[dict[str, float]]] = {False: [], True: []}
    try:
        for s in students:
            await send(s.ws, {"op": "play"})
        for _ in range(args.rounds):
            for open_ in (False, True):
                phases[open_].append(await phase(server, teacher, students, args.seconds, open_))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await close_all([teacher.ws, *(s.ws for s in students)])
    return phases


ROWS = {  # label, key, format
    "server CPU ms per student frame": ("ms", "{:.3f}"),
    "server CPU %": ("cpu", "{:.0f}"),
    "student frames/s: total": ("total", "{:.0f}"),
    "  min / median": ("fps", ""),
    "class messages/s": ("messages", "{:.2f}"),
    "bytes/s to the teacher (class)": ("bytes", "{:.0f}"),
    "tiles updated per student/s: min": ("tile_min", "{:.2f}"),
    "  median": ("tile_median", "{:.2f}"),
    "CPU % bench client / other": ("load", ""),
}


def cell(rows: list[dict[str, float]], key: str, form: str) -> str:
    """The median over the rounds (the min of each window for a min); "-" for none."""
    if all(math.isnan(r.get(key, 0.0)) for r in rows):
        return "-"

    def med(k: str) -> float:
        return statistics.median(r[k] for r in rows)

    if key == "fps":
        return f"{min(r['fps_min'] for r in rows):.1f} / {med('fps_median'):.1f}"
    if key == "load":
        return f"{med('client'):.0f} / {med('other'):.0f}"
    if key == "tile_min":
        return form.format(min(r[key] for r in rows))
    return form.format(med(key))


async def run(args: argparse.Namespace) -> None:
    async with launch(args.workers) as server:
        phases = await lesson(server, args)
    print(
        f"1 teacher + {args.students} forked students playing circles (defaults), acking each "
        f"frame; --workers {args.workers}; view closed, then open, {args.rounds} times, "
        f"{args.seconds:g} s windows (medians); server at {revision()}"
    )
    print(f"{'':34}{'view closed':>16}{'view open':>16}")
    for label, (key, form) in ROWS.items():
        print(f"{label:34}" + "".join(f"{cell(phases[o], key, form):>16}" for o in (False, True)))
    pairs = [b["ms"] / a["ms"] - 1 for a, b in zip(phases[False], phases[True], strict=True)]
    extra = (
        statistics.median(b["ms"] for b in phases[True])
        / statistics.median(a["ms"] for a in phases[False])
        - 1
    )
    print(
        f"extra server CPU per frame with the class view open: {100 * extra:+.1f} % "
        f"(target ≤ {100 * TARGET_EXTRA:.0f} %; each round: "
        + ", ".join(f"{100 * p:+.1f} %" for p in pairs)
        + f"); slowest tile {cell(phases[True], 'tile_min', '{:.2f}')} updates/s "
        f"(target ≥ {TARGET_TILE_HZ:g})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
