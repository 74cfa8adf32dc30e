"""Servers with worker processes for the issue-11 benches: start, measure, stop.

``launch(workers, env)`` starts ``python -m app --workers N`` on a free loopback port
(``bench.server.serve`` always takes the default, one worker per core). With several
workers the server is a process tree: uvicorn's supervisor, its workers and the private
redis-server it starts. RSS and CPU are summed over that tree, found as descendants of
the server's pid through /proc/*/stat. On the way out the server gets SIGTERM (and
SIGKILL after a grace), then any process of its tree still alive is killed by pid: a
supervisor killed before its workers would otherwise leave them running.

Also the lean client side: a frame is told by its first bytes and its time ``t`` read
from its tail, so a bench that receives thousands of frames a second parses none.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from bench.server import Server
from bench.stream import free_port, wait_up

# Benches open every session from 127.0.0.1: lift the per-address limits meant for classes.
MANY_CLIENTS = {
    "DESCENT_MAX_SESSIONS_PER_CLIENT": "1000",
    "DESCENT_JOINS_PER_MINUTE": "100000",
}
FRAME = '{"type":"frame"'  # app.protocol.encode writes the type first
CONFIG = '{"type":"config"'
ACK = '{"op":"ack"}'
IDLE_S = 0.5  # the tree used no CPU for this long: every worker has started
START_TIMEOUT = 30.0


def _git(*args: str) -> str:
    run = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    return run.stdout.strip()


def revision() -> str:
    """The commit the server runs, and whether app/ or engine/ differ from it: the server
    changes as work goes on, and a figure is only worth the code it was measured on."""
    dirty = (
        " + uncommitted app/engine changes"
        if _git("status", "--porcelain", "app", "engine")
        else ""
    )
    return _git("rev-parse", "--short", "HEAD") + dirty


def _stat(pid: int) -> list[str] | None:
    """Fields 3… of /proc/<pid>/stat (after the command name); None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (by the ppid field of /proc/*/stat)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        found.append(current := todo.pop())
        todo += children.get(current, [])
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (0 if it is gone)."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    """Resident memory of one process in KiB (0 if it is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def proc_name(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/comm").read_text().strip()
    return "?"


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each process of the tree."""
    return {p: cpu_seconds(p) for p in tree(pid)}


def tree_rss_mb(pid: int) -> float:
    return sum(rss_kb(p) for p in tree(pid)) / 1024


def connections(pid: int, port: int) -> dict[int, int]:
    """Established connections to ``port`` that each process of the tree holds: how the
    kernel spread the sessions over the workers (/proc/net/tcp, and each process's fds)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        if cols[3] == "01" and int(cols[1].rsplit(":", 1)[1], 16) == port:  # ESTABLISHED
            inodes.add(f"socket:[{cols[9]}]")
    held = {}
    for p in tree(pid):
        with contextlib.suppress(OSError):
            fds = Path(f"/proc/{p}/fd").iterdir()
            held[p] = sum(1 for fd in fds if _link(fd) in inodes)
    return {p: n for p, n in held.items() if n}


def _link(fd: Path) -> str:
    try:
        return str(fd.readlink())
    except OSError:
        return ""


def machine_cpu() -> float:
    """CPU seconds every process of the machine has used (all cores), from /proc/stat:
    what is left after the server and the bench is other load skewing the figures."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_percent(before: dict[int, float], after: dict[int, float], wall: float) -> float:
    """CPU of a tree between two ``tree_cpu`` readings, in % of one core."""
    return 100 * sum(after[p] - before.get(p, 0.0) for p in after) / wall


@dataclass
class Meter:
    """CPU over a window: each server's tree (by label), this client, the rest of the machine."""

    pids: dict[str, int]  # label → pid of a server (its whole tree counts) or other process
    wall: float = field(default_factory=time.perf_counter)
    client: float = field(default_factory=time.process_time)
    machine: float = field(default_factory=machine_cpu)
    before: dict[str, dict[int, float]] = field(init=False)

    def __post_init__(self) -> None:
        self.before = {label: tree_cpu(pid) for label, pid in self.pids.items()}

    def read(self) -> dict[str, float]:
        """% of one core each since the start: per label, this client, other processes."""
        wall = time.perf_counter() - self.wall
        out = {label: cpu_percent(self.before[label], tree_cpu(pid), wall)
               for label, pid in self.pids.items()}  # fmt: skip
        ours = sum(out.values())
        out["bench client"] = 100 * (time.process_time() - self.client) / wall
        machine = 100 * (machine_cpu() - self.machine) / wall
        out["other"] = max(0.0, machine - ours - out["bench client"])
        return out


async def _wait_idle(pid: int, processes: int) -> None:
    """Until the tree has ``processes`` processes and uses no CPU for ``IDLE_S``."""
    deadline = time.monotonic() + START_TIMEOUT
    last = None
    while time.monotonic() < deadline:
        cpu = tree_cpu(pid)
        if len(cpu) >= processes and last is not None and sum(cpu.values()) == last:
            return
        last = sum(cpu.values())
        await asyncio.sleep(IDLE_S)
    raise RuntimeError(f"server {pid} did not settle with {processes} processes")


def _kill_left(started: Iterable[tuple[int, str]]) -> None:
    """SIGKILL each process still running that is the one recorded (pid and start time)."""
    for pid, start in started:
        fields = _stat(pid)
        if fields is not None and fields[19] == start:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@contextlib.asynccontextmanager
async def launch(workers: int = 1, env: dict[str, str] | None = None) -> AsyncIterator[Server]:
    """``python -m app --workers N`` on loopback, every worker started; stopped on the way out."""
    port = free_port()
    with tempfile.NamedTemporaryFile(prefix="descent-bench-", suffix=".log") as log:
        argv = [sys.executable, "-m", "app", "--port", str(port), "--workers", str(workers),
                "--log-level", "warning"]  # fmt: skip
        process = subprocess.Popen(
            argv, stdout=log, stderr=log, env={**os.environ, **MANY_CLIENTS, **(env or {})}
        )
        server = Server(process, port, log)
        started: list[tuple[int, str]] = []
        try:
            await wait_up(port)
            # several workers: the supervisor, each worker, and the redis-server it started
            await _wait_idle(process.pid, 1 if workers == 1 else workers + 1)
            started = [(p, f[19]) for p in tree(process.pid) if (f := _stat(p)) is not None]
            yield server
        finally:
            started += [(p, f[19]) for p in tree(process.pid) if (f := _stat(p)) is not None]
            server.stop()
            _kill_left(started)


async def connect(url: str) -> ClientConnection:
    return await websockets.connect(url, max_size=None, open_timeout=60)


async def connect_many(urls: list[str], at_once: int = 20) -> list[ClientConnection]:
    """Open every URL, ``at_once`` handshakes at a time (a burst of hundreds times out)."""
    out: list[ClientConnection] = []
    for i in range(0, len(urls), at_once):
        out += await asyncio.gather(*(connect(u) for u in urls[i : i + at_once]))
    return out


async def close_all(connections: Iterable[ClientConnection]) -> None:
    with contextlib.suppress(Exception):
        await asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True)


def frame_time(text: str) -> float:
    """A frame's ``t`` (server Unix time), read from its tail: the session adds it last,
    and only a reply's ``id`` may follow it."""
    at = text.rfind('"t":')
    end = at + 4
    while text[end] not in ",}":
        end += 1
    return float(text[at + 4 : end])


async def send(ws: ClientConnection, msg: dict[str, Any]) -> None:
    await ws.send(json.dumps(msg))
