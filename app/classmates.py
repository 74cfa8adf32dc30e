"""The class side of a session: the teacher's actions, and a student's membership.

``Classroom`` (app/classroom.py) mixes this in. A presenting session owns a
``ClassView`` (app/classview.py) and acts on its class with ``{"op":"class",
"do":…}``; any other session refuses that with ``not_presenting``. A student's
session owns a ``Member`` (app/member.py) from the moment it follows a room: it
announces them, and after their fork it sends their summaries and carries out the
teacher's commands on their own session, in its runner like any op.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app import names
from app.bus import BusDown
from app.classview import ClassView
from app.member import Member, Relay, new_id
from app.protocol import ProtocolError, encode, shown
from app.rooms import Rooms, unavailable
from app.summaries import Summary

if TYPE_CHECKING:
    from app.session import Session

ID = re.compile(r"[A-Za-z0-9_-]{8,16}")  # a member id the page kept, to come back after a blip
ACTIONS = ("view", "pause", "play", "push", "spotlight", "anonymise", "leave")


@dataclass
class ClassCommand:
    """Put in a class member's inbox: the teacher's pause, push or spotlight."""

    command: dict[str, Any]


class ClassSide:
    """A session's part in a class, as teacher (``view``) or student (``member``)."""

    session: Session
    rooms: Rooms
    view: ClassView | None
    member: Member | None

    # -- the class: the teacher's actions, a student's membership --------------------

    def _to_teacher(self, message: dict[str, Any]) -> None:
        self.session.outbox.put(encode(message), mirror=False)

    def _to_student(self, event: str, **fields: Any) -> None:
        message = {"type": "class_event", "event": event, **fields}
        self.session.outbox.put(encode(message), mirror=False)

    async def act(self, msg: dict[str, Any], msg_id: Any) -> None:
        """``{"op":"class","do":…}``: a student may leave; the presenter acts on the class."""
        s, do = self.session, msg.get("do")
        if do == "leave" and self.member is not None:
            member, self.member = self.member, None
            await self._leave_class(member)
            s.outbox.put(s.encode_reply({"type": "class_event", "event": "left"}, msg_id),
                         mirror=False)  # fmt: skip
            return
        view = self.view
        if view is None:
            raise ProtocolError("not_presenting", "class: only the presenting page acts on a class")
        try:
            await class_action(view, do, msg, s.spec.presets, s.params)
        except BusDown as exc:
            raise unavailable("the class cannot be reached; try again in a moment") from exc
        s.outbox.put(s.encode_reply(view.update(full=do == "view"), msg_id), mirror=False)

    def _member(self, code: str, query: dict[str, str]) -> Member:
        ask = self.session.inbox.ask
        wanted = query.get("member", "")
        member_id = wanted if ID.fullmatch(wanted) else new_id()
        name = names.display(query.get("name"), query.get("nick"))
        return Member(self.rooms.bus, code, member_id, name,
                      lambda command: ask(ClassCommand(command)))  # fmt: skip

    async def _forked(self) -> None:
        """A member's own run begins: summaries to the teacher, commands from them."""
        s, member = self.session, self.member
        if member is None:
            return
        summary = Summary(s.spec.id)
        s.on_frame = summary.note
        try:
            await member.fork(summary, lambda: (s.running, s.params()))
        except BusDown:
            self.member = None
            await self._leave_class(member)
            self._to_student("closed", reason="rooms_unavailable")
            return
        self._to_student("joined", **{"class": member.public()})

    async def rejoin(self, query: dict[str, str]) -> None:
        """A student's page back after a blip (``class=CODE&member=ID``): in the class again."""
        s = self.session
        address = s.ws.client.host if s.ws.client else ""
        try:
            code = await self.rooms.take_seat(query["class"], s.spec.id, address)
        except ProtocolError as exc:
            self._to_student("closed", reason=exc.code)
            return
        self.member = self._member(code, query)
        self.member.seated = True
        await self._forked()

    async def _leave_class(self, member: Member) -> None:
        s = self.session
        s.on_frame = None
        if member.relay is not None:
            s.outbox.room = None
        seated = member.seated and not member.closed
        await member.leave()
        if seated:
            await self.rooms.free_seat(member.code)

    async def command(self, item: ClassCommand) -> None:
        """The teacher's command reaches a member's session (its runner: the lab is safe)."""
        s, c, member = self.session, item.command, self.member
        if member is None or member.state != "forked":
            return
        do = c["do"]
        if do in ("pause", "play"):
            self._to_student("paused" if do == "pause" else "resumed")
            await s.act({"op": do})
        elif do == "push" and isinstance(c.get("params"), dict):
            self._to_student("pushed", preset=c.get("preset"))
            await s.act({"op": "configure", "params": c["params"]})
        elif do == "watch":
            await self._watched(member, c.get("open") is True)
        elif do == "spotlight":
            you = c.get("id") == member.id
            self._to_student("spotlight", name=c.get("name"), you=you)
            if you and str(c.get("channel", "")).startswith(f"room:{member.code}:spot:"):
                await self._relay(member, str(c["channel"]))
        elif do == "unspotlight":
            self._to_student("unspotlight")
            if member.relay is not None:
                s.outbox.room = None
                await member.relay.stop()
                member.relay = None
        elif do == "closed":
            self.member = None
            await self._leave_class(member)
            self._to_student("closed", reason="room_closed")

    async def _watched(self, member: Member, open_: bool) -> None:
        """The class view opened (summaries from the newest frame on, one sent now) or closed."""
        if member.summary is None:
            return
        if not open_:
            member.summary.stop()
            return
        await self.session.call(member.summary.start)
        with contextlib.suppress(BusDown):
            await member.send(force=True)

    async def _relay(self, member: Member, channel: str) -> None:
        s = self.session
        if member.relay is not None:
            await member.relay.stop()
        member.relay = Relay(self.rooms.bus, channel)
        member.relay.catch_up(s.outbox.kept.catch_up())
        s.outbox.room = member.relay


async def class_action(view: ClassView, do: Any, msg: dict[str, Any],
                       presets: dict[str, dict[str, Any]],
                       params: Callable[[], dict[str, Any]]) -> None:  # fmt: skip
    """Carry out one of the teacher's actions, or refuse it with a clear error."""
    if do == "view":
        await view.watch(_flag(msg, "open"))
    elif do in ("pause", "play"):
        await view.command({"do": do})
    elif do == "push":
        preset = msg.get("preset")
        if preset is not None and (not isinstance(preset, str) or preset not in presets):
            error = {"field": "preset", "message": f"expected one of: {', '.join(presets)}"}
            raise ProtocolError("invalid_params", f"no lesson {shown(preset)}", [error])
        pushed = presets[preset] if preset is not None else params()
        await view.command({"do": "push", "params": pushed, "preset": preset})
    elif do == "spotlight":
        student = msg.get("student")
        if student is not None and not isinstance(student, str):
            error = {"field": "student", "message": "expected a student's id or null"}
            raise ProtocolError("invalid_params", "bad student", [error])
        if not await view.spotlight(student):
            raise ProtocolError("no_such_student", "spotlight: no such student has forked")
    elif do == "anonymise":
        await view.anonymise(_flag(msg, "on"))
    else:
        error = {"field": "do", "message": "expected one of: " + ", ".join(ACTIONS)}
        raise ProtocolError("invalid_params", f"class: unknown action {shown(do)}", [error])


def _flag(msg: dict[str, Any], name: str) -> bool:
    value = msg.get(name)
    if not isinstance(value, bool):
        error = {"field": name, "message": f"expected true or false, got {shown(value)}"}
        raise ProtocolError("invalid_params", f"bad {name}", [error])
    return value
