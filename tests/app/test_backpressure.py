"""Clients that do not read, against a real server: bounded memory, others unharmed."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import urllib.request

import websockets

from tests.live import Server, serve


async def flood_without_reading(url: str, seconds: float) -> int:
    """Ask for big replies as fast as the server takes them, and never read one."""
    sent = 0
    async with websockets.connect(url, max_size=None, max_queue=1, close_timeout=0.5) as ws:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            msg = json.dumps({"op": "export", "format": "python", "id": sent})
            try:
                await asyncio.wait_for(ws.send(msg), max(0.01, end - time.monotonic()))
            except (TimeoutError, websockets.ConnectionClosed):
                break
            sent += 1
            await asyncio.sleep(0.006)  # under the per-client message rate
    return sent


async def pause_latency(url: str) -> float:
    async with websockets.connect(url) as ws:
        for _ in range(4):
            await ws.recv()
        start = time.perf_counter()
        await ws.send(json.dumps({"op": "pause", "id": "p"}))
        while json.loads(await ws.recv()).get("id") != "p":
            pass
        return time.perf_counter() - start


def sessions(server: Server) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz") as r:
        return int(json.load(r)["sessions"])


def test_a_client_that_never_reads_is_closed_and_harms_no_one() -> None:
    env = {"DESCENT_SEND_TIMEOUT_S": "1", "DESCENT_MAX_MESSAGES_PER_SECOND": "1000"}
    with serve(env) as server:
        base = server.rss_mb()

        async def run() -> tuple[int, float, int]:
            flood = asyncio.create_task(flood_without_reading(f"{server.url}/ws/digits", 6))
            await asyncio.sleep(2)
            latency = await pause_latency(f"{server.url}/ws/beans")
            await asyncio.sleep(2)
            during = await asyncio.to_thread(sessions, server)  # the flood still connected
            return await flood, latency, during

        sent, latency, during = asyncio.run(run())
        # ~140 kB scripts asked for ~1,000 times: 140 MB had the server queued them all
        assert sent > 200 and server.rss_mb() - base < 100
        assert during == 0  # its session was closed for not reading, socket or no socket
        assert latency < 2  # another learner's session still answered


def test_sigterm_stops_a_busy_server_within_seconds() -> None:
    with serve() as server:

        async def busy() -> None:
            async with websockets.connect(f"{server.url}/ws/circles?batch_size=400") as ws:
                await ws.send(json.dumps({"op": "step", "steps": 10000}))
                await ws.recv()

        async def start_busy() -> asyncio.Task[None]:
            task = asyncio.create_task(busy())
            await asyncio.sleep(1)
            return task

        loop = asyncio.new_event_loop()
        task = loop.run_until_complete(start_busy())
        start = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=15)
        took = time.monotonic() - start
        task.cancel()
        loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
        loop.close()
        assert took < 5
