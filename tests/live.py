"""A real server in a subprocess, for what TestClient cannot show: sockets, buffers, RSS."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        """Resident memory of the server process, from /proc."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
        return int(kb) / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(
    env: dict[str, str] | None = None, args: tuple[str, ...] = ("--workers", "1")
) -> Iterator[Server]:
    """``python -m app`` on a free loopback port until the block ends (then SIGTERM)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--port", str(port), "--log-level", "warning", *args],
        cwd=ROOT,
        # the test's own settings only, whatever the shell running the tests has set
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("DESCENT_")},
            **(env or {}),
        },
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.05)
        yield Server(port, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
