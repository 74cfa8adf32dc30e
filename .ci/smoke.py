"""Smoke-test a running Descent Playground: ``python .ci/smoke.py http://127.0.0.1:8000``.

Checks what a teacher's class needs from a fresh container: the health check, a lab page
that loads nothing from the network, the vendored Plotly, and a beans session that trains
over the WebSocket. Exits non-zero with a clear message on the first failure.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
import urllib.request
from typing import Any

from websockets.sync.client import connect

TIMEOUT = 10.0  # seconds for one HTTP request or for the whole WebSocket exchange


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


def check_healthz(base: str) -> None:
    """/healthz answers {"status": "ok"}."""
    status, _, body = get(base, "/healthz")
    check(status == 200, f"/healthz: status {status}")
    check(json.loads(body).get("status") == "ok", f"/healthz: unexpected body {body[:200]!r}")


def check_lab_page(base: str) -> None:
    """/labs/beans is the beans page: its boot JSON names the lab, Plotly comes from us."""
    status, kind, body = get(base, "/labs/beans")
    page = body.decode()
    check(status == 200 and kind.startswith("text/html"), f"/labs/beans: {status} {kind}")
    boot = re.search(r'<script type="application/json" id="boot">(.*?)</script>', page, re.S)
    check(boot is not None, "/labs/beans: no boot JSON in the page")
    assert boot is not None
    data = json.loads(boot.group(1))
    check(data.get("lab") == "beans", f"/labs/beans: boot JSON names lab {data.get('lab')!r}")
    check("lr" in data.get("schema", {}).get("properties", {}), "/labs/beans: no lr in schema")
    check('src="/static/js/labs/beans.js"' in page, "/labs/beans: no beans script tag")
    check('<script src="/vendor/plotly.min.js">' in page, "/labs/beans: no local Plotly tag")
    remote = re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', page)
    check(not remote, f"/labs/beans: loads from the network: {remote}")


def check_plotly(base: str) -> None:
    """The vendored plotly.min.js is served, so pages work offline."""
    status, kind, body = get(base, "/vendor/plotly.min.js")
    check(status == 200 and "javascript" in kind, f"/vendor/plotly.min.js: {status} {kind}")
    check(len(body) > 1_000_000, f"/vendor/plotly.min.js: only {len(body)} bytes")
    check(b"plotly" in body[:2000].lower(), "/vendor/plotly.min.js: does not look like Plotly")


def check_beans_socket(base: str) -> None:
    """hello, then data; after {"op":"step","steps":5} a frame at step 5 with a finite loss."""
    url = "ws" + base.removeprefix("http") + "/ws/beans"
    deadline = time.monotonic() + TIMEOUT
    with connect(url, open_timeout=TIMEOUT) as ws:

        def receive() -> dict[str, Any]:
            left = deadline - time.monotonic()
            check(left > 0, f"{url}: timed out waiting for messages")
            message: dict[str, Any] = json.loads(ws.recv(timeout=left))
            return message

        hello = receive()
        check(hello.get("type") == "hello", f"{url}: first message is {hello.get('type')!r}")
        check(hello.get("lab") == "beans", f"{url}: hello names lab {hello.get('lab')!r}")
        data = receive()
        check(data.get("type") == "data", f"{url}: second message is {data.get('type')!r}")
        check(len(data["train"]["x"]) > 0, f"{url}: data has no training samples")
        ws.send(json.dumps({"op": "step", "steps": 5}))
        while (frame := receive()).get("type") != "frame" or frame.get("step") == 0:
            check(frame.get("type") != "error", f"{url}: server error {frame}")
        check(frame["step"] == 5, f"{url}: frame after 5 steps is at step {frame['step']}")
        loss = frame["loss"]["train"]
        check(isinstance(loss, float) and math.isfinite(loss), f"{url}: loss {loss!r}")


def main(argv: list[str]) -> int:
    """Run every check against the server at ``argv[1]``."""
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    base = argv[1].rstrip("/")
    checks = [check_healthz, check_lab_page, check_plotly, check_beans_socket]
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
