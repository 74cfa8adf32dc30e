"""Limits and deployment settings, read from ``DESCENT_*`` environment variables."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Settings:
    """Everything an operator may tune; every field has a safe default.

    ``limits`` lowers (or raises, up to the engine's own bounds) the maximum of
    a lab param: ``{"circles": {"n": 1000, "hidden": 4}}`` — for a list param
    the number is its longest allowed length.
    """

    fps: float = 30.0  # frames per second while playing
    frame_budget_ms: float = 20.0  # CPU time one session may train per frame
    max_steps: int = 10_000  # most updates one `step` op may ask for
    max_speed: float = 5_000.0  # most updates per frame the speed control allows
    max_sessions: int = 200  # concurrent training sessions per process
    max_message_bytes: int = 64 * 1024  # a larger client message closes with 1008
    max_messages_per_second: float = 200.0  # sustained client rate before 1008
    worker_threads: int = 4  # threads that run training off the event loop
    max_followers: int = 100  # students following one presenter's room
    # CSP frame-ancestors: who may show our pages in an iframe ("*" for anyone)
    frame_ancestors: str = "'self'"
    # Origins (scheme://host[:port], comma-separated) whose pages may open our
    # WebSockets besides our own; "*" allows any. Clients without Origin pass.
    ws_origins: str = ""
    limits: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read ``DESCENT_<FIELD>`` (``DESCENT_LIMITS`` is JSON) over the defaults."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"DESCENT_{f.name.upper()}")
            if raw is None:
                continue
            values[f.name] = (
                json.loads(raw) if f.name == "limits" else type(getattr(cls(), f.name))(raw)
            )
        return cls(**values)
