"""What WebSocket clients see while playing: frames/s, bytes per frame, and the
latency from a live tweak to the first frame that reflects it.

Starts the real server in a subprocess on loopback, connects ``--clients``
sessions at once (a class sharing one server), plays for ``--seconds``, and
tweaks the learning rate ``--tweaks`` times on the first client.

    python -m bench.stream [--lab beans] [--clients 1] [--seconds 5] [--tweaks 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

import websockets


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_up(port: int) -> None:
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


async def watch(url: str, seconds: float, query: str) -> dict[str, Any]:
    """Play and count frames and their bytes."""
    async with websockets.connect(f"{url}?{query}", max_size=None) as ws:
        await ws.send(json.dumps({"op": "play"}))
        frames = size = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            text = await ws.recv()
            if '"type":"frame"' in text[:40]:
                frames += 1
                size += len(text)
        elapsed = time.perf_counter() - start
    return {"fps": frames / elapsed, "bytes": size / max(frames, 1)}


async def tweak_latency(url: str, tweaks: int, query: str) -> list[float]:
    """Seconds from sending a live configure to the first frame after its reply."""
    out = []
    async with websockets.connect(f"{url}?{query}", max_size=None) as ws:
        await ws.send(json.dumps({"op": "play"}))
        for i in range(tweaks):
            await asyncio.sleep(0.1)
            lr = 0.01 + 0.001 * (i % 50)
            sent = time.perf_counter()
            await ws.send(json.dumps({"op": "configure", "id": i, "params": {"lr": lr}}))
            seen_config = False
            while True:
                msg = json.loads(await ws.recv())
                if msg["type"] == "config" and msg.get("id") == i:
                    seen_config = True
                elif msg["type"] == "frame" and seen_config:
                    out.append(time.perf_counter() - sent)
                    break
    return out


async def run(args: argparse.Namespace) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "--port", str(port), "--log-level", "warning"]
    )
    try:
        await wait_up(port)
        url = f"ws://127.0.0.1:{port}/ws/{args.lab}"
        watchers = [watch(url, args.seconds, args.query) for _ in range(args.clients)]
        results = await asyncio.gather(tweak_latency(url, args.tweaks, args.query), *watchers)
        lat, stats = sorted(results[0]), results[1:]
        fps = [s["fps"] for s in stats]
        print(f"lab {args.lab}, {args.clients} client(s) playing, {args.query or 'defaults'}")
        print(f"frames/s per client: mean {statistics.mean(fps):.1f}, min {min(fps):.1f}")
        print(f"bytes per frame: {statistics.mean(s['bytes'] for s in stats):,.0f}")
        p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
        print(f"tweak → reflecting frame: p50 {statistics.median(lat) * 1000:.1f} ms, "
              f"p95 {p95 * 1000:.1f} ms over {len(lat)} tweaks")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lab", default="beans")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--tweaks", type=int, default=40)
    parser.add_argument("--query", default="", help="initial params, e.g. speed=10")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
