"""Fuzzing sessions: no message, however malformed, ends one or stops its answers (issue 10).

Seeded hostile messages from bench/hostile.py (5,200 over the four labs, every op, every
vector) go through TestClient. After each one a ``pause`` with a fresh id must get its
``state`` reply, with the session still open. On the way, every error must carry a code,
each message must be answered as it deserves (``Hostile.expect``: an error for a bad
message, none for a valid one), and every reply must be sendable on a real socket: a lone
surrogate echoed back cannot be UTF-8, which kills a real connection although TestClient
passes Python strings through. A session that dies or hangs is noted and reopened, so one
run lists every failing vector. bench/fuzz.py sends ten times more over real sockets.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import re
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from app.main import create_app
from app.settings import Settings
from bench.bounds import LABS
from bench.hostile import Hostile, stream, verdict

PER_LAB = 1_300  # messages per lab: 5,200 in all
SEED = 10
PROBE = 10**12  # probe ids: far from the ids the generator writes
DEADLINE = 3.0  # seconds a reply may take: a stuck session fails the test, not hangs it
# a closed socket, a crashed app, a reply that never came
DEATHS = (WebSocketDisconnect, anyio.ClosedResourceError, anyio.EndOfStream, TimeoutError)
WINDOW = 32  # items sent before reading their answers (64 messages: the server's inbox)
Exchange = tuple[list[dict[str, Any]], BaseException | None]


@dataclasses.dataclass(frozen=True)
class Failure:
    item: Hostile
    why: str


@pytest.fixture(scope="module")
def fuzz_client() -> Iterator[TestClient]:
    # 200 messages/s would close the socket with 1008: a defence, but not the one under test
    settings = dataclasses.replace(Settings(), max_messages_per_second=1e6)
    with TestClient(create_app(settings)) as c:
        yield c


def frame(payload: str | bytes) -> dict[str, Any]:
    key = "bytes" if isinstance(payload, bytes) else "text"
    return {"type": "websocket.receive", key: payload}


def probe(n: int) -> dict[str, Any]:
    return frame(json.dumps({"op": "pause", "id": n}))


def exchange(ws: WebSocketTestSession, items: list[Hostile], first: int) -> Exchange:
    """Send each item then a probe (ids ``first``, ``first + 1``, …); read up to the last
    probe's reply. What came, and the exception that ended it early, if any.

    One portal call each way for the whole window: a call per message would make the
    suite several times slower. ``ws.receive`` has no deadline, hence ``_send_rx``.
    """
    last = first + len(items) - 1

    async def run() -> Exchange:
        came: list[dict[str, Any]] = []
        try:
            for i, item in enumerate(items):
                await ws._receive_tx.send(frame(item.payload))
                await ws._receive_tx.send(probe(first + i))
            with anyio.fail_after(DEADLINE):
                while not came or not is_state(came[-1], last):
                    came.append(await ws._send_rx.receive())
                    if came[-1]["type"] == "websocket.close":
                        code = came[-1].get("code", 1000)
                        return came, WebSocketDisconnect(code, came[-1].get("reason"))
        except DEATHS as exc:
            return came, exc
        return came, None

    result: Exchange = ws.portal.call(run)
    return result


def is_state(message: dict[str, Any], probe_id: int) -> bool:
    text = message.get("text")
    return (
        isinstance(text, str)
        and text.startswith('{"type":"state"')
        and (json.loads(text).get("id") == probe_id)
    )


def judge(
    items: list[Hostile], first: int, came: list[dict[str, Any]], failures: list[Failure]
) -> int:
    """Note the failures among the answered items; how many were answered.

    The errors that answer item k are those between probe k − 1's reply and probe k's.
    """
    k, codes = 0, []
    for message in came:
        text = message.get("text")
        if not isinstance(text, str):
            continue  # the close, judged by the caller
        try:
            text.encode()
        except UnicodeEncodeError:  # TestClient passes it; a real socket cannot send it
            failures.append(Failure(items[k], "a reply with a lone surrogate: not UTF-8"))
        msg = json.loads(text)
        if msg.get("type") == "error":
            codes.append(msg.get("code"))
        elif msg.get("type") == "state" and msg.get("id") == first + k:
            if why := verdict(items[k], codes):
                failures.append(Failure(items[k], why))
            k, codes = k + 1, []
    return k


def serve(
    client: TestClient, lab: str, items: list[Hostile], window: int, failures: list[Failure]
) -> tuple[int, str | None]:
    """Send ``items`` on one session, ``window`` at a time, until the session dies.

    How many were judged, and how the session died (None if it lived): the first item not
    judged is the suspect, but only a window of one convicts it, since the session reads
    ahead of its answers and a message further on may have killed it first.
    """
    stack = contextlib.ExitStack()
    # an IP literal: a name would have to be among the server's allowed hosts
    ws = stack.enter_context(client.websocket_connect(f"ws://127.0.0.1/ws/{lab}"))
    while not ws.receive_text().startswith('{"type":"frame"'):  # the opening ends with a frame
        pass
    for start in range(0, len(items), window):
        chunk = items[start : start + window]
        came, death = exchange(ws, chunk, PROBE + start)
        judged = judge(chunk, PROBE + start, came, failures)
        if death is not None:
            return start + judged, died(stack, death)
    stack.close()
    return len(items), None


def died(stack: contextlib.ExitStack, death: BaseException) -> str:
    """How the session ended: what the app raised, if it crashed, or else the close."""
    why = f"session died: {type(death).__name__} {death}".strip()
    try:
        stack.close()  # re-raises what the app raised
    except Exception as crash:
        why = f"session died: the app raised {type(crash).__name__}: {crash}"
    return re.sub(r"has \d+ digits", "has N digits", why)[:160]  # one group for all sizes


def report(lab: str, failures: list[Failure]) -> str:
    """Failures grouped by vector and reason, each with a count and one example."""
    groups = collections.Counter((f.item.kind, f.why) for f in failures)
    example = {(f.item.kind, f.why): f.item.payload for f in reversed(failures)}
    lines = [f"{lab}: {len(failures)} of {PER_LAB} messages broke the contract"]
    for (kind, why), n in sorted(groups.items(), key=lambda g: -g[1]):
        lines.append(f"  {kind:<17} ×{n:<4} {why}; e.g. {example[kind, why][:90]!r}")
    return "\n".join(lines)


def fuzz(client: TestClient, lab: str, items: list[Hostile]) -> list[Failure]:
    """Every failure, each death pinned on the message that caused it."""
    failures: list[Failure] = []
    done, careful = 0, 0  # after a death in a window: one at a time up to `careful`
    suspect: Failure | None = None  # that death, until one message alone does it again
    while done < len(items):
        alone = done < careful
        chunk = items[done:careful] if alone else items[done:]
        judged, death = serve(client, lab, chunk, 1 if alone else WINDOW, failures)
        if death is not None and alone:
            failures.append(Failure(chunk[judged], death))
            done, suspect = done + judged + 1, None
        elif death is not None:
            suspect = Failure(chunk[judged], f"{death} (in a window; not again alone)")
            done, careful = done + judged, done + judged + WINDOW
        else:
            done += judged
        if suspect is not None and done >= min(careful, len(items)):
            failures.append(suspect)
            suspect = None
    return failures


@pytest.mark.parametrize("lab", LABS)
def test_no_message_stops_a_session_answering(fuzz_client: TestClient, lab: str) -> None:
    items = list(stream(lab, SEED, PER_LAB))
    assert {item.kind for item in items} >= {"binary", "deep_nesting", "surrogate_id", "valid"}
    failures = fuzz(fuzz_client, lab, items)
    assert not failures, report(lab, failures)
