"""What a session sent that a late follower needs: the newest message of each kind."""

from __future__ import annotations

import re
from collections.abc import Iterable

from app.protocol import MAX_ID_LENGTH

# not replayed to latecomers: replies to one client, and what only a follower receives
NOT_KEPT = frozenset({"hello", "error", "export", "room", "room_closed"})
# `encode` writes "type" first; several messages of a kind are told apart by a "name" or a
# "cost_name" right after it (neuron's two surfaces)
_KIND = re.compile(r'^\{"type":\s*"(\w+)"(?:,\s*"(?:cost_)?name":\s*"(\w+)")?')


# a reply's ``id``: `session.reply` adds it as the last top-level key
_TRAILING_ID = re.compile(r',"id":(?:"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\}\Z')


def without_id(text: str) -> str:
    """``text`` as followers get it: the presenter's ``id`` answers the presenter only, and
    a follower's page, numbering its own requests, could take it for the answer to one."""
    # only the tail: an id of MAX_ID_LENGTH characters, each escaped as \uXXXX at worst
    match = _TRAILING_ID.search(text, max(0, len(text) - 6 * MAX_ID_LENGTH - 16))
    return text if match is None else text[: match.start()] + "}"


def has_details(frame: str) -> bool:
    """A frame with the weights (circles, digits; the digits CNN's ``filters``) that most
    frames leave out."""
    return '"weights":' in frame or '"filters":' in frame


class Kept:
    """The newest message of each kind a session sent, so a late follower can catch up.

    Fields are named ``NNN|kind`` in the order kinds were first sent, so that the
    bus's unordered hash gives them back in that order; ``dirty`` names the
    fields changed since a publisher last copied them.
    """

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.order: dict[str, str] = {}  # kind → field name
        self.dirty: set[str] = set()

    def note(self, texts: Iterable[str]) -> None:
        for text in texts:
            match = _KIND.match(text)
            kind = match.group(1) if match else None
            if kind == "frame":
                self._put("~frame", text)
                if has_details(text):
                    self._put("~detail", text)
            elif match and kind not in NOT_KEPT:
                self._put(f"{kind}:{match.group(2) or ''}", text)

    def _put(self, kind: str, text: str) -> None:
        name = self.order.get(kind)
        if name is None:
            name = self.order[kind] = f"{len(self.order):03d}|{kind}"
        self.fields[name] = text
        self.dirty.add(name)

    def load(self, fields: dict[str, bytes]) -> None:
        for name, text in sorted(fields.items()):
            self.order[name.split("|", 1)[1]] = name
            self.fields[name] = text.decode()

    def catch_up(self) -> list[str]:
        """The kept messages, then the newest frames (the detailed one first if older)."""
        kinds = [t for n, t in sorted(self.fields.items()) if not n.endswith(("~frame", "~detail"))]
        frame = self.fields.get(self.order.get("~frame", ""))
        detail = self.fields.get(self.order.get("~detail", ""))
        frames = [detail] if detail is not None and detail != frame else []
        return [*kinds, *frames, *([frame] if frame else [])]
