"""A learner's own data, sent as CSV text in parts: the ``upload`` and ``upload_clear`` ops.

A file may be larger than one client message (``max_message_bytes``), so the page
sends it in parts, ``{"op": "upload", "text", "part", "parts"}``, in order; the
last part has the table parsed (``engine.userdata``) and handed to the lab, which
trains on it from step 0. What one upload can cost is bounded before any work:
a declared size past ``max_upload_bytes`` is refused at the first part, the text
kept never grows past it, parsing stops at ``max_upload_rows``, and a session may
start ``uploads_per_minute`` uploads. Anything wrong drops the parts and changes
nothing; a ``bad_upload`` error says why, with the line, for the page to translate.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from app.limits import JoinRate
from app.protocol import UPLOAD_OPS, ProtocolError, invalid
from engine.userdata import DataError, parse

if TYPE_CHECKING:
    from app.session import Session

__all__ = ["UPLOAD_OPS", "Uploads", "accepts"]
PART_BYTES = 1024  # the smallest part a page sends: bounds how many parts a file may declare


def accepts(lab: Any) -> bool:
    """Labs that train on uploaded data have an ``upload(table)`` method (beans, circles)."""
    return callable(getattr(lab, "upload", None))


def data_error(exc: DataError) -> ProtocolError:
    """A parse failure as one ``bad_upload`` error: its code, line and values to translate."""
    error = {"field": "text", "message": str(exc), "code": exc.code, "line": exc.line,
             "values": exc.values}  # fmt: skip
    return ProtocolError("bad_upload", f"the data was not used: {exc}", [error])  # type: ignore[list-item]


class Uploads:
    """The parts of the upload under way in one session, and its rate of uploads."""

    def __init__(self, session: Session) -> None:
        self.session = session
        s = session.settings
        self.max_bytes, self.max_rows = s.max_upload_bytes, s.max_upload_rows
        self.rate = JoinRate(s.uploads_per_minute)  # a bucket: that many at once, then refilled
        self._drop()

    def _drop(self) -> None:
        self.parts: list[str] = []
        self.expected = 0  # parts announced by part 0; 0 when no upload is under way
        self.size = 0

    async def handle(self, op: str, msg: dict[str, Any], msg_id: Any) -> None:
        s = self.session
        if op == "upload_clear":
            self._drop()
            s.outbox.put(*await s.call(self._use, None, msg_id))
            return
        text, part, parts = self._args(msg)
        try:
            self._take(text, part, parts)
        except ProtocolError:
            self._drop()
            raise
        if part + 1 < parts:
            reply = {"type": "upload", "done": False, "part": part, "parts": parts}
            s.outbox.put(s.encode_reply(reply, msg_id), mirror=False)
            return
        whole = "".join(self.parts)
        self._drop()
        s.outbox.put(*await s.call(self._parse_and_use, whole, msg_id))

    def _args(self, msg: dict[str, Any]) -> tuple[str, int, int]:
        unknown = [k for k in msg if k not in ("op", "id", "text", "part", "parts")]
        if unknown:
            raise invalid([{"field": str(k)[:60], "message": "unknown argument for upload"}
                           for k in unknown])  # fmt: skip
        text, part, parts = msg.get("text"), msg.get("part", 0), msg.get("parts", 1)
        errors = []
        if not isinstance(text, str):
            errors.append({"field": "text", "message": "expected a string of CSV text"})
        for name, value, low in (("part", part, 0), ("parts", parts, 1)):
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= low):
                errors.append({"field": name, "message": f"expected an integer ≥ {low}"})
        if errors:
            raise invalid(errors)
        return text, part, parts  # type: ignore[return-value]

    def _take(self, text: str, part: int, parts: int) -> None:
        """Keep one part in order, or refuse it (the caller then drops the upload)."""
        if part == 0:
            if parts > math.ceil(self.max_bytes / PART_BYTES):  # declared too large: no work
                raise data_error(DataError("too_large", None, {"max_kb": self.max_bytes // 1024}))
            if not self.rate.allow_join("upload"):
                raise ProtocolError(
                    "rate_limited",
                    "too many uploads: wait a minute before the next one",
                )
            self.expected = parts
        elif part != len(self.parts) or parts != self.expected:
            raise ProtocolError(
                "bad_upload", f"upload part {part} of {parts} out of order: start again at part 0"
            )
        self.size += len(text.encode("utf-8", "surrogatepass"))
        if self.size > self.max_bytes:
            raise data_error(DataError("too_large", None, {"max_kb": self.max_bytes // 1024}))
        self.parts.append(text)

    # -- on the scheduler's thread ---------------------------------------------------

    def _parse_and_use(self, text: str, msg_id: Any) -> list[str]:
        s = self.session
        try:
            table = parse(text, s.spec.id, self.max_rows, self.max_bytes)  # type: ignore[arg-type]
        except DataError as exc:
            raise data_error(exc) from None
        rows = len(table.y)
        if "n" in s.spec.names:  # more points than ``n`` allows cost more per frame
            costly = s.spec._over_cost(replace(s.lab.params, n=rows), {"n"})
            if costly:
                raise data_error(DataError("too_costly", None, {"rows": rows}))
        return self._use(table, msg_id)

    def _use(self, table: Any, msg_id: Any) -> list[str]:
        s = self.session
        messages = s.lab.upload(table)  # type: ignore[attr-defined]
        s.pacer.forget()  # the cost of a step may have changed
        done = {"type": "upload", "done": True, "rows": 0 if table is None else len(table.y),
                "classes": [] if table is None else list(table.classes)}  # fmt: skip
        texts = [s.encode_reply(m, msg_id) for m in [done, *messages]]
        return texts + s.data_and_frame(msg_id, False)
