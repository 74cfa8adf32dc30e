"""Protocol v1: validating what clients send, and encoding what the engine returns.

This is the only place where NumPy arrays become JSON (PROTOCOL.md, "Arrays")
and where a lab's params dataclass becomes validation and a JSON schema.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import ValidationError

PROTOCOL_VERSION = 1
MAX_ID_LENGTH = 128  # an `id` is echoed on every reply: a long one would multiply traffic
SHOWN = 60  # characters of a client's value that an error message quotes
SESSION_PARAMS = ("speed",)  # handled by the session itself, not by the lab
CORE_OPS = ("configure", "play", "pause", "step", "reset", "seek")  # seek: app/rewind.py
CLASSROOM_OPS = ("present", "fork", "export", "class")  # see app/classroom.py
UPLOAD_OPS = ("upload", "upload_clear")  # a learner's own data: see app/upload.py


class ProtocolError(Exception):
    """A client message that cannot be acted on; becomes one ``error`` message."""

    def __init__(self, code: str, message: str, errors: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.code, self.message, self.errors = code, message, errors or []
        self.msg_id: Any = None  # the refused message's id, when it is known before dispatch

    def to_message(self) -> dict[str, Any]:
        return {"type": "error", "code": self.code, "message": self.message, "errors": self.errors}


def shown(value: Any) -> str:
    """A client's value quoted in an error message, cut short: errors must stay small."""
    text = repr(value)
    return text if len(text) <= SHOWN else f"{text[: SHOWN - 1]}…"


def invalid(errors: list[dict[str, str]]) -> ProtocolError:
    names = ", ".join(e["field"] for e in errors)
    return ProtocolError("invalid_params", f"invalid params: {names}", errors)


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """One ``{"field", "message"}`` per bad top-level field, however deep the fault."""
    merged: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        # a dataclass's __post_init__ names its field as "name: why" (no loc of its own)
        named = re.match(r"Value error, (\w+): ", err["msg"]) if not loc else None
        name = loc[0] if loc else named.group(1) if named else "params"
        where = f" (item {'.'.join(loc[1:])})" if len(loc) > 1 else ""
        merged.setdefault(name, []).append(f"{err['msg']}{where}")
    return [{"field": k, "message": "; ".join(v)} for k, v in merged.items()]


# -- client messages -------------------------------------------------------------


def parse_client(text: str) -> dict[str, Any]:
    """A client message as a dict with a string ``op``, or ``bad_message``.

    Whatever the text, this raises nothing but ``ProtocolError``: JSON nested too
    deep (RecursionError), integers past CPython's digit limit (ValueError) and
    escaped lone surrogates, which could not be sent back as UTF-8, all become
    ``bad_message``.
    """
    try:
        msg = json.loads(text)
        json.dumps(msg, ensure_ascii=False).encode()  # every string must be valid Unicode
    except json.JSONDecodeError as exc:
        raise ProtocolError("bad_message", f"malformed JSON: {exc.msg} at {exc.pos}") from exc
    except RecursionError as exc:
        raise ProtocolError("bad_message", "JSON nested too deep") from exc
    except UnicodeEncodeError as exc:
        raise ProtocolError(
            "bad_message", "text with an unpaired surrogate (\\ud800–\\udfff)"
        ) from exc
    except ValueError as exc:  # e.g. an integer literal with thousands of digits
        raise ProtocolError("bad_message", f"unreadable JSON: {shown(str(exc))}") from exc
    if not isinstance(msg, dict):
        raise ProtocolError("bad_message", f"expected a JSON object, got {type(msg).__name__}")
    _check_id(msg.get("id"))
    if not isinstance(msg.get("op"), str):
        raise ProtocolError("bad_message", "expected an `op` string")
    return msg


def _check_id(msg_id: Any) -> None:
    """An ``id`` is a short string or a finite number: every reply repeats it."""
    if msg_id is None:
        return
    if isinstance(msg_id, str):
        ok = len(msg_id) <= MAX_ID_LENGTH
    elif isinstance(msg_id, float):
        ok = math.isfinite(msg_id)
    else:  # an int of any size: JSON allows it, and it echoes back exactly
        ok = isinstance(msg_id, int) and not isinstance(msg_id, bool) and msg_id.bit_length() < 64
    if not ok:
        raise ProtocolError(
            "bad_message", f"`id` must be a string of at most {MAX_ID_LENGTH} characters or a "
            "finite number",
        )  # fmt: skip


# -- server messages ---------------------------------------------------------------


def pack(array: np.ndarray) -> Any:
    """An ndarray as a packed array (float32/float64/uint8) or, for others, a list."""
    if array.dtype == np.bool_:
        array = array.astype(np.uint8)
    if array.dtype.kind in "iu" and array.dtype != np.uint8:
        return array.tolist()
    arr = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    return {
        "dtype": arr.dtype.name,
        "shape": list(arr.shape),
        "b64": base64.b64encode(arr.tobytes()).decode("ascii"),
    }


def jsonable(value: Any) -> Any:
    """Plain JSON values: arrays packed, NumPy scalars unwrapped, non-finite → None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return pack(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    return value


def encode(message: Mapping[str, Any]) -> str:
    """Compact JSON with ``type`` first (rooms read it without parsing the rest)."""
    if "type" in message and next(iter(message)) != "type":
        message = {"type": message["type"], **message}
    return json.dumps(jsonable(message), separators=(",", ":"), allow_nan=False, ensure_ascii=False)
