"""Five abusive clients and one learner on one server: what is left for the learner (issue 10).

The abusers, all from 127.0.0.1: two play at ``limits.max_speed`` on the biggest net the
server accepts (circles and digits; refused configs fall back step by step and the one
accepted is printed), one floods ``{"op":"step","steps":10000}``, one sends ops and never
reads, one opens ``--many`` idle sessions. The learner, from 127.0.0.2, plays circles at
its defaults and changes its learning rate every ``--tweak-every`` seconds: its frames/s
and tweak latency over ``--seconds``, a late join's fate, and the server's CPU and RSS are
reported. The issue's target: the learner keeps 20 frames/s or more on 2 cores.

``--pause`` then checks, on a fresh server, how long a client playing at max speed on the
heaviest accepted net waits for the answer to ``pause`` (the issue asks for < 1 s).

    python -m bench.abuse [--seconds 20] [--many 100] [--pause]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections import Counter
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from bench.server import Server, close_code, ms, quantile, serve, server_cpu, table
from bench.soak import Learner, join, listen, tweak

FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1", "sin_x2"]
BIG_DATA = {"n": 2000, "test_ratio": 0.1, "features": FEATURES}  # 1800 training points
# the heaviest first; each refused one (invalid_params) gives way to the next
HEAVIEST: dict[str, list[dict[str, Any]]] = {
    "circles": [
        {**BIG_DATA, "hidden": [64] * 6, "batch_size": 1800, "resolution": 128},
        {**BIG_DATA, "hidden": [64] * 6, "batch_size": 1000, "resolution": 128},
        {**BIG_DATA, "hidden": [64] * 6, "batch_size": 500, "resolution": 96},
        {**BIG_DATA, "hidden": [64] * 4, "batch_size": 256, "resolution": 64},
        {"hidden": [32] * 3, "batch_size": 100, "resolution": 48},
    ],
    "digits": [
        {"model": "mlp", "hidden": [256] * 4, "batch_size": 1400, "train_size": 1400},
        {"model": "mlp", "hidden": [256] * 4, "batch_size": 700, "train_size": 1400},
        {"model": "mlp", "hidden": [256] * 3, "batch_size": 500, "train_size": 1400},
        {"model": "mlp", "hidden": [128] * 3, "batch_size": 256, "train_size": 1400},
        {"model": "mlp", "hidden": [100], "batch_size": 100},
    ],
}
REPLY_WAIT = 60.0  # most seconds to wait for the answer to a configure
WARM_UP = 2.0  # seconds of abuse before the learner's window opens
PLAY_BEFORE_PAUSE = 3.0  # seconds of max-speed play before the pause is timed
DRAIN = 10.0  # most seconds the non-reader reads what was kept for it


async def reply(learner: Learner, msg_id: int) -> dict[str, Any]:
    """The first config or error carrying ``msg_id``; frames on the way are acked, as a page
    does (each frame counts as in flight until acked)."""
    async with asyncio.timeout(REPLY_WAIT):
        while True:
            text = str(await learner.ws.recv())
            if text.startswith('{"type":"frame"') and learner.ack:
                await learner.ws.send('{"op":"ack"}')
            if text.startswith(('{"type":"config"', '{"type":"error"')):
                msg: dict[str, Any] = json.loads(text)
                if msg.get("id") == msg_id:
                    return msg


async def heaviest(learner: Learner) -> str:
    """Configure the heaviest net the server accepts; which one, and what was refused."""
    refused: list[str] = []
    for i, params in enumerate(HEAVIEST[learner.lab]):
        await learner.ws.send(json.dumps({"op": "configure", "id": 900 + i, "params": params}))
        answer = await reply(learner, 900 + i)
        if answer["type"] == "config":
            gave_up = f" (refused: {'; '.join(refused)})" if refused else ""
            return json.dumps(params, separators=(",", ":")) + gave_up
        refused.append(",".join(e["field"] for e in answer.get("errors", [])) or answer["code"])
    return "none accepted: " + "; ".join(refused)


async def max_speed_player(server: Server, lab: str) -> tuple[Learner, str]:
    """A session on the heaviest accepted net, playing at ``limits.max_speed``."""
    learner = await join(server.url(lab), lab)
    accepted = await heaviest(learner)
    speed = learner.hello["limits"]["max_speed"]
    await learner.ws.send(json.dumps({"op": "configure", "id": 999, "params": {"speed": speed}}))
    await reply(learner, 999)
    await learner.ws.send('{"op":"play"}')
    return learner, accepted


async def flooder(server: Server, end: float, rate: float, out: dict[str, object]) -> None:
    """``step 10000`` on the biggest circles net, ``rate`` a second, the replies read aside."""
    learner = await join(server.url("circles"), "circles")
    await heaviest(learner)
    reader = asyncio.create_task(listen(learner))
    sent = 0
    while time.perf_counter() < end and learner.closed is None:
        sent += 1
        with contextlib.suppress(websockets.ConnectionClosed):
            await learner.ws.send(json.dumps({"op": "step", "steps": 10_000, "id": sent}))
        out.update({"steps sent": sent, "answered": len(learner.stepped),
                    "errors": dict(learner.errors) or "none"})  # fmt: skip
        await asyncio.sleep(1 / rate)
    out["closed by server"] = learner.closed or "no"
    reader.cancel()
    learner.ws.transport.abort()


async def non_reader(server: Server, end: float, rate: float, out: dict[str, object]) -> None:
    """Sends ``weights`` (a big reply) ``rate`` a second and never reads, until ``end``; then
    reads what the server kept for it, to see whether it was bounded (or closed)."""
    ws = await websockets.connect(server.url("circles"), max_size=None, max_queue=1)
    while not str(await ws.recv()).startswith('{"type":"frame"'):
        pass
    await ws.send(json.dumps({"op": "configure", "params": {"hidden": [64] * 6}}))
    sent, size, got = 0, 0, 0
    try:
        while time.perf_counter() < end:
            async with asyncio.timeout(5):  # a server that stopped reading us pushes back
                await ws.send('{"op":"weights"}')
            sent += 1
            await asyncio.sleep(1 / rate)
        async with asyncio.timeout(DRAIN):
            while True:
                size, got = size + len(await ws.recv()), got + 1
    except TimeoutError:
        out["read after the window"] = f"{got} messages, {size / 2**20:.1f} MiB, then silence"
    except (websockets.ConnectionClosed, OSError) as exc:
        out["read after the window"] = f"{got} messages, {size / 2**20:.1f} MiB"
        out["closed by server"] = close_code(exc) or type(exc).__name__
    out["ops sent"] = sent
    ws.transport.abort()


async def opener(server: Server, many: int, out: Counter[str]) -> list[ClientConnection]:
    """Open ``many`` beans sessions and hold them; accepted and refused counts."""

    async def one() -> ClientConnection | None:
        try:
            ws = await websockets.connect(server.url("beans"), open_timeout=10)
            if json.loads(await ws.recv()).get("type") == "hello":
                out["opened"] += 1
                return ws
            await ws.recv()  # an error, then the close
        except (websockets.ConnectionClosed, OSError, TimeoutError) as exc:
            out[f"refused ({close_code(exc)})"] += 1
        return None

    held: list[ClientConnection] = []
    for _ in range(0, many, 10):  # ten at a time, as a script would
        held += [ws for ws in await asyncio.gather(*(one() for _ in range(10))) if ws]
    return held


async def late_join(server: Server) -> str:
    start = time.perf_counter()
    try:
        learner = await join(server.url("circles"), "circles", index=40)  # from 127.0.0.2
    except (websockets.ConnectionClosed, OSError, TimeoutError) as exc:
        return f"refused ({close_code(exc)}, {type(exc).__name__})"
    await learner.ws.close()
    return f"admitted, first frame after {ms(time.perf_counter() - start)}"


async def abuse(server: Server, args: argparse.Namespace) -> list[tuple[str, object]]:
    """The learner's window of ``--seconds`` with the five abusers at work; the figures."""
    sampler = asyncio.create_task(server.sample_rss())
    normal = await join(server.url("circles"), "circles", index=40)  # from 127.0.0.2
    end = time.perf_counter() + WARM_UP + args.seconds
    flood: dict[str, object] = {}
    unread: dict[str, object] = {}
    opened = Counter[str]()
    players = await asyncio.gather(*(max_speed_player(server, lab) for lab in HEAVIEST))
    readers = [asyncio.create_task(listen(c)) for c in (normal, *(p for p, _ in players))]
    abusers = [asyncio.create_task(flooder(server, end, args.flood_rate, flood)),
               asyncio.create_task(non_reader(server, end, args.reader_rate, unread))]  # fmt: skip
    held = await opener(server, args.many, opened)
    await normal.ws.send('{"op":"play"}')
    await asyncio.sleep(max(0.0, end - args.seconds - time.perf_counter()))
    window, cpu, rss = time.perf_counter(), server_cpu(server.pid), [server.rss_kb()]
    await tweak(normal, 1, window, end - 1, args.tweak_every)
    late = await late_join(server)
    await asyncio.sleep(max(0.0, end - time.perf_counter()))
    wall, cpu = time.perf_counter() - window, server_cpu(server.pid) - cpu
    rss += [server.rss_kb(), max(kb for _, kb in server.rss)]
    await asyncio.wait(abusers, timeout=DRAIN + 10)  # the non-reader reads what was kept
    for task in [*readers, *abusers, sampler]:
        task.cancel()
    await asyncio.gather(*readers, *abusers, return_exceptions=True)
    for ws in [*held, normal.ws, *(player.ws for player, _ in players)]:
        ws.transport.abort()  # a stuck server would make a close handshake wait
    lat = [normal.answered[i] - t for i, t in normal.sent.items() if i in normal.answered]
    fps = [sum(window <= t < window + wall for t in c.frames) / wall
           for c in (normal, *(player for player, _ in players))]  # fmt: skip
    return [
        ("learner frames/s (circles defaults)", f"{fps[0]:.1f}"),
        ("learner tweaks answered", f"{len(lat)} of {len(normal.sent)}"),
        ("learner tweak → config p50 / p95 / max", " / ".join(
            ms(quantile(lat, q)) if lat else "-" for q in (0.5, 0.95, 1.0))),
        ("learner errors; closed", f"{dict(normal.errors) or 'none'}; {normal.closed or 'no'}"),
        *[(f"max-speed {lab}: frames/s", f"{fps[1 + i]:.1f}") for i, lab in enumerate(HEAVIEST)],
        *[(f"{lab} net accepted", players[i][1]) for i, lab in enumerate(HEAVIEST)],
        ("step 10000 flood (circles, that net)", flood),
        ("non-reader (weights, never reads)", unread),
        (f"session opener (--many {args.many})", dict(opened)),
        ("late join from 127.0.0.2", late),
        ("server CPU", f"{100 * cpu / wall:.0f} %"),
        ("server RSS start / end / max", " / ".join(f"{kb / 1024:.0f}" for kb in rss) + " MiB"),
    ]  # fmt: skip


async def pause_check(server: Server, lab: str, args: argparse.Namespace) -> tuple[str, object]:
    """Play at max speed on the heaviest accepted net for a while, then time the pause."""
    player, accepted = await max_speed_player(server, lab)
    reader = asyncio.create_task(listen(player))
    await asyncio.sleep(PLAY_BEFORE_PAUSE)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)  # its recv ends before ours starts
    sent = time.perf_counter()
    await player.ws.send('{"op":"pause","id":"p"}')
    try:
        async with asyncio.timeout(args.pause_timeout):
            while not (text := str(await player.ws.recv())).startswith('{"type":"state"') or (
                json.loads(text).get("id") != "p"
            ):
                pass
        waited = ms(time.perf_counter() - sent)
    except TimeoutError:
        waited = f"no answer in {args.pause_timeout:g} s"
    player.ws.transport.abort()
    fps = len(player.frames) / PLAY_BEFORE_PAUSE
    return f"{lab}: pause → state", f"{waited}; {fps:.1f} frames/s before; net {accepted}"


async def run(args: argparse.Namespace) -> None:
    async with serve() as server:
        rows = await abuse(server, args)
    rows.append(("server stop (SIGTERM → exit)", f"{server.stop_seconds or 0:.1f} s"
                 + (", killed" if server.killed else "")))  # fmt: skip
    table(f"abuse: 5 abusive clients and a learner, {args.seconds:g} s window", rows)
    if args.pause:
        async with serve() as server:
            rows = [await pause_check(server, lab, args) for lab in HEAVIEST]
        table(f"pause at max speed on the heaviest net, after {PLAY_BEFORE_PAUSE:g} s", rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="the learner's window")
    parser.add_argument("--many", type=int, default=100, help="sessions the opener tries")
    parser.add_argument("--flood-rate", type=float, default=5.0, help="step ops per second")
    parser.add_argument("--reader-rate", type=float, default=100.0, help="non-reader ops/s")
    parser.add_argument("--tweak-every", type=float, default=0.5, help="learner's seconds")
    parser.add_argument("--pause", action="store_true", help="then time pause on heavy nets")
    parser.add_argument("--pause-timeout", type=float, default=30.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
