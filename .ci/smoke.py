"""Smoke-test a running Descent Playground: ``python .ci/smoke.py http://127.0.0.1:8000``.

Checks what a teacher's class needs from a fresh container or wheel: the health check, the
index and every lab page, loading nothing from the network, the vendored Plotly and the other
static files (hashed, cached for good, precompressed), a beans session that trains over the
WebSocket, and a classroom room: a presenter and followers on new connections, which may
land on different worker processes (rooms then go through Redis). Exits non-zero with a clear
message on the first failure.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import sys
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from websockets.sync.client import ClientConnection, connect

TIMEOUT = 10.0  # seconds for one HTTP request or for the whole WebSocket exchange
FOLLOWERS = 6  # new connections following one room: with 2+ workers, some land elsewhere


class SmokeError(Exception):
    """A check failed; the message says which and what came instead."""


def check(ok: bool, message: str) -> None:
    """Fail with ``message`` unless ``ok``."""
    if not ok:
        raise SmokeError(message)


def get(base: str, path: str) -> tuple[int, str, bytes]:
    """GET ``base + path``: status, content type and body."""
    with urllib.request.urlopen(base + path, timeout=TIMEOUT) as reply:
        return reply.status, reply.headers.get("Content-Type", ""), reply.read()


def head(base: str, path: str, **headers: str) -> dict[str, str]:
    """The response headers of GET ``base + path`` (lower-case names)."""
    request = urllib.request.Request(base + path, headers=headers)
    with urllib.request.urlopen(request, timeout=TIMEOUT) as reply:
        reply.read()
        return {k.lower(): v for k, v in reply.headers.items()}


def check_healthz(base: str) -> None:
    """/healthz answers {"status": "ok"}."""
    status, _, body = get(base, "/healthz")
    check(status == 200, f"/healthz: status {status}")
    check(json.loads(body).get("status") == "ok", f"/healthz: unexpected body {body[:200]!r}")


def check_pages(base: str) -> None:
    """The index links every lab; each lab page renders with its own script and no remote URL."""
    status, kind, body = get(base, "/")
    check(status == 200 and kind.startswith("text/html"), f"/: {status} {kind}")
    labs = sorted(set(re.findall(r'href="/labs/(\w+)', body.decode())))
    check({"beans", "circles", "digits", "neuron"} <= set(labs), f"/: links only {labs}")
    for lab in labs:
        status, kind, body = get(base, f"/labs/{lab}")
        page = body.decode()
        check(status == 200 and kind.startswith("text/html"), f"/labs/{lab}: {status} {kind}")
        check(f"/static/js/labs/{lab}." in page, f"/labs/{lab}: no {lab} script tag")
        remote = re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', page)
        check(not remote, f"/labs/{lab}: loads from the network: {remote}")
    check_boot(base)


def check_boot(base: str) -> None:
    """/labs/beans carries its boot JSON: the lab and its schema."""
    page = get(base, "/labs/beans")[2].decode()
    boot = re.search(r'<script type="application/json" id="boot">(.*?)</script>', page, re.S)
    check(boot is not None, "/labs/beans: no boot JSON in the page")
    assert boot is not None
    data = json.loads(boot.group(1))
    check(data.get("lab") == "beans", f"/labs/beans: boot JSON names lab {data.get('lab')!r}")
    check("lr" in data.get("schema", {}).get("properties", {}), "/labs/beans: no lr in schema")


def check_static(base: str) -> None:
    """The vendored Plotly and the CSS: hashed URLs, cached for good, sent precompressed."""
    page = get(base, "/labs/beans")[2].decode()
    plotly = re.search(
        r'<script id="plotly-js" type="module" src="(/static/vendor/plotly-[^"]+)"', page
    )
    css = re.search(r'href="(/static/css/site\.\w+\.css)"', page)
    check(plotly is not None and css is not None, "/labs/beans: no hashed Plotly or CSS URL")
    assert plotly is not None and css is not None
    status, kind, body = get(base, plotly.group(1))
    check(status == 200 and "javascript" in kind, f"{plotly.group(1)}: {status} {kind}")
    check(b"plotly.js v" in body[:300] and len(body) > 100_000, f"{plotly.group(1)}: not Plotly")
    # the 3-D add-on and the chunks the builds share, which the page preloads
    addon = re.search(r'data-addon="(/static/vendor/plotly-[^"]+)"', page)
    chunks = re.findall(r'<link rel="modulepreload" href="(/static/vendor/plotly-[^"]+)"', page)
    check(addon is not None and len(chunks) > 0, "/labs/beans: no Plotly add-on or shared chunk")
    for url in [addon.group(1) if addon else "", *chunks]:
        status, kind, body = get(base, url)
        check(status == 200 and b"plotly.js v" in body[:300], f"{url}: {status}, not Plotly")
    for url in (plotly.group(1), css.group(1)):
        headers = head(base, url, **{"Accept-Encoding": "gzip"})
        check("immutable" in headers.get("cache-control", ""), f"{url}: {headers}")
        check(headers.get("content-encoding") == "gzip" and "etag" in headers, f"{url}: {headers}")


def check_beans_socket(base: str) -> None:
    """hello, then data; after {"op":"step","steps":5} a frame at step 5 with a finite loss."""
    url = "ws" + base.removeprefix("http") + "/ws/beans"
    deadline = time.monotonic() + TIMEOUT
    with connect(url, open_timeout=TIMEOUT) as ws:
        receive = receiver(ws, url, deadline)
        hello = receive()
        check(hello.get("type") == "hello", f"{url}: first message is {hello.get('type')!r}")
        check(hello.get("lab") == "beans", f"{url}: hello names lab {hello.get('lab')!r}")
        data = receive()
        check(data.get("type") == "data", f"{url}: second message is {data.get('type')!r}")
        check(len(data["train"]["x"]) > 0, f"{url}: data has no training samples")
        ws.send(json.dumps({"op": "step", "steps": 5}))
        frame = until_frame(receive, 1)
        check(frame["step"] == 5, f"{url}: frame after 5 steps is at step {frame['step']}")
        loss = frame["loss"]["train"]
        check(isinstance(loss, float) and math.isfinite(loss), f"{url}: loss {loss!r}")


def receiver(ws: ClientConnection, url: str, deadline: float) -> Callable[[], dict[str, Any]]:
    """A function that returns the next message on ``ws``, failing after ``deadline``."""

    def receive() -> dict[str, Any]:
        left = deadline - time.monotonic()
        check(left > 0, f"{url}: timed out waiting for messages")
        message: dict[str, Any] = json.loads(ws.recv(timeout=left))
        check(message.get("type") != "error", f"{url}: server error {message}")
        return message

    return receive


def until_frame(receive: Callable[[], dict[str, Any]], step: int) -> dict[str, Any]:
    """Read messages until a frame at ``step`` or later."""
    while (message := receive()).get("type") != "frame" or message.get("step", -1) < step:
        pass
    return message


def check_room(base: str) -> None:
    """present, then followers on new connections get hello (read_only), the frame, live frames."""
    url = "ws" + base.removeprefix("http") + "/ws/beans"
    deadline = time.monotonic() + TIMEOUT
    with connect(url, open_timeout=TIMEOUT) as teacher:
        present = receiver(teacher, url, deadline)
        until_frame(present, 0)
        teacher.send(json.dumps({"op": "present"}))
        while (room := present()).get("type") != "room":
            pass
        code = room.get("room")
        check(isinstance(code, str) and len(code) == 5, f"{url}: present gave room {code!r}")
        teacher.send(json.dumps({"op": "step", "steps": 5}))
        until_frame(present, 5)
        followers = []
        with contextlib.ExitStack() as stack:  # closes every follower
            for i in range(FOLLOWERS):
                where = f"{url}?follow={code} (follower {i + 1})"
                ws = stack.enter_context(connect(f"{url}?follow={code}", open_timeout=TIMEOUT))
                followers.append(receive := receiver(ws, where, deadline))
                hello = receive()
                check(hello.get("type") == "hello", f"{where}: first message {hello!r:.200}")
                check(
                    hello.get("read_only") is True and hello.get("room") == code,
                    f"{where}: hello not read-only in room {code}: {hello!r:.200}",
                )
                frame = until_frame(receive, 0)  # the catch-up: the presenter's newest frame
                check(frame["step"] == 5, f"{where}: catch-up frame at step {frame['step']}")
            # the presenter's next frames reach every follower, whichever worker holds it
            teacher.send(json.dumps({"op": "step", "steps": 3}))
            for receive in followers:
                until_frame(receive, 8)


def main(argv: list[str]) -> int:
    """Run every check against the server at ``argv[1]``."""
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    base = argv[1].rstrip("/")
    checks = [check_healthz, check_pages, check_static, check_beans_socket, check_room]
    for run in checks:
        try:
            run(base)
        except Exception as error:  # any failure, HTTP or socket, fails the smoke test
            print(f"smoke: FAIL {run.__name__}: {error}", file=sys.stderr)
            return 1
        print(f"smoke: ok   {run.__doc__.splitlines()[0] if run.__doc__ else run.__name__}")
    # Not pytest's "N passed" form: CI reads that line from the test suite, not from here.
    print(f"smoke: all {len(checks)} checks ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
