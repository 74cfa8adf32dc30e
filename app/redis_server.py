"""A private ``redis-server`` for the rooms when one machine runs several workers.

Several worker processes must share their classroom rooms (app/bus.py). On one
machine nobody should have to set Redis up for that: when ``redis-server`` is
installed, ``python -m app`` starts its own on a Unix socket in a private
folder (no TCP port, no persistence), hands its URL to the workers, and stops
it on exit.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger("descent")
START_TIMEOUT = 10.0  # seconds for redis-server to open its socket


@contextlib.contextmanager
def private_redis() -> Iterator[str | None]:
    """``unix://…`` of a redis-server running until the block ends; None if none is installed."""
    exe = shutil.which("redis-server")
    if exe is None:
        yield None
        return
    try:
        folder = Path(tempfile.mkdtemp(prefix="descent-redis-"))
    except OSError as exc:  # e.g. a read-only container without a tmpfs on /tmp
        log.warning("no folder for a private redis-server (%s)", exc)
        yield None
        return
    socket = folder / "redis.sock"
    args = [exe, "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700",
            "--save", "", "--appendonly", "no", "--dir", str(folder),
            "--loglevel", "warning"]  # fmt: skip
    # its stdout is start-up chatter (and a memory-overcommit warning that does not apply)
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not socket.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{exe} did not start (exit status {process.poll()})")
            time.sleep(0.02)
        yield f"unix://{socket}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)
