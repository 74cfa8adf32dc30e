"""Limits and deployment settings, read from ``DESCENT_*`` environment variables.

Every value is checked when it is read: a bad one stops the server before it
serves anything, with a message naming the variable, the value and what is
expected (``DESCENT_FPS='0': Input should be greater than 0 (default 30.0)``). A
server that starts with ``fps=0`` or a misspelt param in ``DESCENT_LIMITS``
fails later, in front of a class, one session at a time.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import field, fields
from typing import Annotated, Any
from urllib.parse import urlsplit

from annotated_types import Ge, Gt, Le
from pydantic import AfterValidator, ConfigDict, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass

from engine.userdata import MAX_ROWS

PREFIX = "DESCENT_"
log = logging.getLogger(__name__)


class SettingsError(ValueError):
    """A setting the server cannot start with; the message is for the operator."""


def comma_list(text: str) -> list[str]:
    """``"a, b,,c"`` → ``["a", "b", "c"]``."""
    return [item.strip() for item in text.split(",") if item.strip()]


def _origins(text: str) -> str:
    for origin in comma_list(text):
        parts = urlsplit(origin.rstrip("/"))
        _ = parts.port  # a port out of range raises ValueError
        if origin != "*" and (
            parts.scheme not in ("http", "https") or not parts.hostname or parts.path
        ):
            raise ValueError(f"expected origins like https://school.example[:port], got {origin!r}")
    return text


def _hosts(text: str) -> str:
    for host in comma_list(text):
        name = host.removeprefix("*.")
        # TrustedHostMiddleware matches names without the port; "*" only as "*" or "*."
        if host != "*" and (not name or any(c in name for c in "*/:@ []")):
            raise ValueError(
                f"expected host names like school.example or *.school.example, without "
                f"scheme or port (IP addresses always pass), or *, got {host!r}"
            )
    return text


Positive = Annotated[float, Gt(0)]
Count = Annotated[int, Ge(1)]
Seconds = Annotated[float, Gt(0), Le(3600)]


@dataclass(frozen=True, config=ConfigDict(allow_inf_nan=False))
class Settings:
    """Everything an operator may tune; every field has a safe default.

    ``limits`` lowers (or raises, up to the engine's own bounds) the maximum of
    a lab param: ``{"circles": {"n": 1000, "hidden": 4}}`` — for a list param
    the number is its longest allowed length.
    """

    fps: Annotated[float, Gt(0), Le(120)] = 30.0  # frames per second while playing
    frame_budget_ms: Annotated[float, Gt(0), Le(1000)] = 20.0  # CPU a session may train per frame
    max_steps: Count = 10_000  # most updates one `step` op may ask for
    max_speed: Annotated[float, Ge(1)] = 5_000.0  # most updates per frame the speed control allows
    max_sessions: Count = 200  # concurrent training sessions per process
    # a larger client message closes with 1008; uvicorn refuses frames over 1 MiB anyway
    max_message_bytes: Annotated[int, Ge(1024), Le(1 << 20)] = 64 * 1024
    max_messages_per_second: Positive = 200.0  # sustained client rate before 1008
    worker_threads: Annotated[int, Ge(1), Le(256)] = 4  # threads that train off the event loop
    # a session whose work per frame takes longer than this is "heavy"; at most
    # `heavy_threads` heavy jobs run at once, so light sessions always find a thread
    heavy_job_ms: Positive = 25.0
    heavy_threads: Count = 1
    # the cost of one update and of one frame, in millions of multiply-adds: params
    # that cost more are refused (about 10 ms and 30 ms on one core)
    max_update_cost: Positive = 150.0
    max_frame_cost: Positive = 400.0
    max_inbox: Count = 64  # client messages waiting per session; then the socket is not read
    # replies waiting for a client that is not reading: past this it is closed with 1008
    # (a follower is resynced to the room's state instead)
    max_outbox_bytes: Count = 4 * 1024 * 1024
    send_timeout_s: Seconds = 30.0  # one send stuck this long closes the socket with 1008
    # frames in flight to a client that acknowledges them: 1 keeps what it draws freshest
    frame_window: Annotated[int, Ge(1), Le(16)] = 1
    follower_fps: Annotated[float, Gt(0), Le(120)] = 15.0  # frames/s at most to a follower
    max_followers: Count = 100  # students following one presenter's room
    # a presenter's page that reloads (or loses its network) within this many seconds
    # takes its room, its class and its run back; 0 closes the room at once
    presenter_grace_s: Annotated[float, Ge(0), Le(3600)] = 60.0
    # rooms across worker processes and hosts: redis://host:6379/0 or unix:///path.sock;
    # empty: rooms live in this process (one worker)
    redis_url: str = ""
    # CSP frame-ancestors: who may show our pages in an iframe ("*" for anyone)
    frame_ancestors: str = "'self'"
    # Origins (scheme://host[:port], comma-separated) whose pages may open our
    # WebSockets besides our own; "*" allows any. Clients without Origin pass.
    ws_origins: Annotated[str, AfterValidator(_origins)] = ""
    # Host names the server answers to besides IP literals, localhost and this
    # machine's names (a comma list, *.school.example wildcards; "*" for any):
    # another name is refused, so a DNS-rebinding page cannot reach the server
    allowed_hosts: Annotated[str, AfterValidator(_hosts)] = ""
    # sessions one client address may hold: a whole class behind one NAT still fits
    max_sessions_per_client: Count = 50
    # room joins (follow) per address per minute, in bursts of as many: stops guessing codes
    joins_per_minute: Positive = 30.0
    # a connection must send its request line and headers within this (slowloris)
    header_timeout_s: Seconds = 10.0
    idle_timeout_s: Annotated[int, Ge(1), Le(3600)] = 5  # an idle keep-alive connection closes
    # past this many connections, HTTP requests get 503 (WebSockets count, and pass)
    max_connections: Count = 1000
    # a WebSocket that does not answer a ping within the timeout is closed
    ws_ping_interval_s: Seconds = 20.0
    ws_ping_timeout_s: Seconds = 20.0
    # on SIGTERM, connections still open after this are closed
    shutdown_timeout_s: Annotated[int, Ge(1), Le(3600)] = 5
    # a learner's own data (the `upload` op): its size, its rows, and uploads a session
    # may start per minute (each is parsed and restarts the lab)
    max_upload_bytes: Annotated[int, Ge(1024), Le(4 << 20)] = 1 << 20
    max_upload_rows: Annotated[int, Ge(2), Le(MAX_ROWS)] = MAX_ROWS
    uploads_per_minute: Positive = 10.0
    # memory per session for the checkpoints of rewind (app/rewind.py), in MiB: past it
    # they are thinned, and going back replays more updates
    rewind_budget_mb: Annotated[float, Ge(0.1), Le(1024)] = 8.0
    limits: dict[str, dict[str, Annotated[float, Ge(0)]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_connections <= self.max_sessions:
            raise ValueError(
                f"DESCENT_MAX_CONNECTIONS ({self.max_connections}) must exceed "
                f"DESCENT_MAX_SESSIONS ({self.max_sessions}): every session holds a connection"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``DESCENT_<FIELD>`` (``DESCENT_LIMITS`` is JSON) over the defaults.

        Raises ``SettingsError`` naming every bad variable; unknown ``DESCENT_*``
        names are logged as warnings (a typo would otherwise go unnoticed).
        """
        env = os.environ if env is None else env
        names = {PREFIX + f.name.upper(): f.name for f in fields(cls)}
        for var in sorted(k for k in env if k.startswith(PREFIX) and k not in names):
            close = difflib.get_close_matches(var, names, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            log.warning("%s is not a setting and is ignored%s", var, hint)
        raw = {names[k]: v for k, v in env.items() if k in names}
        values: dict[str, Any] = dict(raw)
        if "limits" in raw:
            try:
                values["limits"] = json.loads(raw["limits"])
            except ValueError as exc:
                raise SettingsError(
                    f"DESCENT_LIMITS={raw['limits']!r}: expected JSON like "
                    f'{{"beans": {{"n": 1000}}}} ({exc})'
                ) from None
        try:
            return cls(**values)
        except ValidationError as exc:
            raise SettingsError(describe(exc, raw)) from None


def describe(exc: ValidationError, raw: Mapping[str, str]) -> str:
    """One line per bad variable: ``DESCENT_FPS='0': Input should be … (default 30)``."""
    defaults = Settings()
    lines = []
    for err in exc.errors():
        if not err["loc"]:  # a check across fields, whose message names them
            lines.append(_reason(err["msg"]))
            continue
        name, *inner = (str(part) for part in err["loc"])
        where = f" at {'.'.join(inner)}" if inner else ""
        default = getattr(defaults, name)
        lines.append(
            f"{PREFIX}{name.upper()}={raw.get(name, '')!r}: {_reason(err['msg'])}{where} "
            f"(default {default!r})"
        )
    return "\n".join(lines)


def _reason(msg: str) -> str:
    return msg.removeprefix("Value error, ")  # pydantic's prefix for our own checks


def check_limits(limits: Mapping[str, Mapping[str, float]], labs: Mapping[str, Any]) -> None:
    """Each limit names a lab, one of its numeric or list params, and a usable maximum.

    ``labs`` is the engine's registry (lab id → lab class with a ``Params``
    dataclass). A limit under the param's default would start every session
    outside it; under the engine's minimum no value would be allowed.
    """
    problems = []
    for lab_id, params in limits.items():
        if lab_id not in labs:
            problems.append(f"no lab named {lab_id!r}; labs: {', '.join(labs)}")
            continue
        schema = TypeAdapter(labs[lab_id].Params).json_schema()["properties"]
        defaults = labs[lab_id].Params()
        for name, limit in params.items():
            problems += _limit_problems(lab_id, name, schema.get(name), defaults, limit)
    if problems:
        raise SettingsError("; ".join(f"DESCENT_LIMITS: {p}" for p in problems))


def _limit_problems(
    lab_id: str, name: str, prop: dict[str, Any] | None, defaults: Any, limit: float
) -> list[str]:
    where = f"{lab_id}.{name}"
    if prop is None:
        names = ", ".join(f.name for f in dataclasses.fields(defaults))
        return [f"{lab_id} has no param {name!r}; its params: {names}"]
    kind = prop.get("type")
    if kind not in ("integer", "number", "array"):
        return [f"{where} is not a number or a list, so it takes no maximum"]
    default = getattr(defaults, name)
    size = len(default) if kind == "array" else default
    floor = prop.get("minItems" if kind == "array" else "minimum", prop.get("exclusiveMinimum"))
    if floor is not None and limit < floor:
        return [f"{where} ≤ {limit:g} is under its minimum {floor:g}"]
    if limit < size:
        return [f"{where} ≤ {limit:g} is under its default {size:g}, where sessions start"]
    return []
