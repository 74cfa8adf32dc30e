"""The server under test for the hardening benches (issue 10): start, watch, stop.

``serve()`` starts ``python -m app`` on a free loopback port in a subprocess, waits until
it listens, and always stops it (SIGTERM, then SIGKILL after a grace period; how long the
stop took is a figure too). Its log goes to a temporary file whose size is reported: a
traceback per killed session is a log flood. ``rss_kb`` and ``server_cpu`` read /proc.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from websockets.exceptions import ConnectionClosed

from bench.classroom import quantile, server_cpu
from bench.stream import free_port, wait_up

__all__ = [
    "Server", "close_code", "ms", "quantile", "rss_kb", "serve", "server_cpu", "source", "table",
]  # fmt: skip
STOP_GRACE = 10.0  # seconds SIGTERM gets before SIGKILL


def rss_kb(pid: int) -> int:
    """Resident memory of a process, in KiB (VmRSS in /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@dataclass
class Server:
    """A running server: its pid, port and log; RSS samples taken by ``sample_rss``."""

    process: subprocess.Popen[bytes]
    port: int
    log: IO[bytes]
    rss: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, KiB)
    started: float = field(default_factory=time.perf_counter)
    stop_seconds: float | None = None  # SIGTERM → exit; None while running
    killed: bool = False  # SIGTERM was not enough

    @property
    def pid(self) -> int:
        return self.process.pid

    def url(self, lab: str, query: str = "") -> str:
        return f"ws://127.0.0.1:{self.port}/ws/{lab}" + (f"?{query}" if query else "")

    def rss_kb(self) -> int:
        return rss_kb(self.pid) if self.process.poll() is None else 0

    def log_bytes(self) -> int:
        return Path(self.log.name).stat().st_size

    def alive(self) -> bool:
        return self.process.poll() is None

    async def sample_rss(self, every: float = 1.0) -> None:
        """Record RSS every ``every`` seconds until cancelled."""
        while self.alive():
            self.rss.append((time.perf_counter() - self.started, self.rss_kb()))
            await asyncio.sleep(every)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        start = time.perf_counter()
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            self.killed = True
            self.process.kill()
            self.process.wait(timeout=10)
        self.stop_seconds = time.perf_counter() - start


@contextlib.asynccontextmanager
async def serve(env: dict[str, str] | None = None) -> AsyncIterator[Server]:
    """A fresh server on loopback (``env`` adds DESCENT_* settings); stopped on the way out."""
    port = free_port()
    # one process: its RSS and CPU are the server's (several would need Redis too)
    command = [sys.executable, "-m", "app", "--port", str(port), "--workers", "1"]
    with tempfile.NamedTemporaryFile(prefix="descent-bench-", suffix=".log") as log:
        process = subprocess.Popen(
            [*command, "--log-level", "warning"],
            stdout=log,
            stderr=log,
            env={**os.environ, **(env or {})},
        )
        server = Server(process, port, log)
        try:
            await wait_up(port)
            yield server
        finally:
            server.stop()


def source(index: int, per_address: int = 40) -> tuple[str, int]:
    """A loopback source address for client ``index``: 127.0.0.1 for the first
    ``per_address``, then 127.0.0.2, …, so that per-address session limits see a class of
    machines rather than one. The server is always reached at 127.0.0.1."""
    return f"127.0.0.{1 + index // per_address}", 0


def close_code(exc: BaseException) -> int | None:
    """The close code the server sent (1006: the connection dropped without one)."""
    if isinstance(exc, ConnectionClosed):
        return exc.rcvd.code if exc.rcvd is not None else 1006
    return None


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.1f} ms"


def table(title: str, rows: Iterable[tuple[str, object]]) -> None:
    """Print ``title`` and aligned ``name  value`` rows."""
    rows = list(rows)
    width = max(len(name) for name, _ in rows)
    print(title)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
