"""What the server's log must not hold: a presenter's room key.

A presenting page that reloads asks for its room back with ``?present=CODE&key=K``
in its socket's URL (docs/protocol.md §9), and uvicorn logs every WebSocket's path
with its query. The key lets whoever has it present the room, so it is blanked
before any handler sees the record.
"""

from __future__ import annotations

import logging
import re

KEY = re.compile(r"(\bkey=)[^&\s\"']+")


class HideRoomKeys(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                KEY.sub(r"\1…", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = KEY.sub(r"\1…", record.msg)
        return True


def hide_room_keys() -> None:
    """On uvicorn's loggers, once per process (after uvicorn has configured logging)."""
    for name in ("uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, HideRoomKeys) for f in logger.filters):
            logger.addFilter(HideRoomKeys())
