"""Present, follow, fork and export: the classroom ops of one session.

A presenting session opens a room on the bus and mirrors what it sends; a
following session has no lab of its own, shows the room's messages and refuses
every op but ``fork``; a fork gets the presenter's lab, pickled by the
presenter's own runner (the only code that touches it) in whichever process it
lives, and becomes an ordinary session at the same step.
"""

from __future__ import annotations

import asyncio
import contextlib
import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.classmates import ClassSide
from app.classview import ClassView
from app.member import Member
from app.presented import Presented
from app.protocol import ProtocolError, encode, shown
from app.rooms import Rooms, Watch
from engine import export
from engine.export.lang import LANGS

if TYPE_CHECKING:
    from app.session import Session
    from engine.lab import Lab

NO_SUCH_ROOM = 4404
# close codes for a refused follower: an unknown room is final, the others may pass
REFUSED = {"no_such_room": NO_SUCH_ROOM, "rate_limited": 1008}
EXPORTERS = {"python": export.python_script, "json": export.json_export}


@dataclass
class ForkRequest:
    """Put in the presenter's inbox: its runner answers with a snapshot of its lab."""

    request: str


@dataclass
class RoomTaken:
    """Put in the presenter's inbox: another of its pages (a reload) presents the room now."""


def snapshot(lab: Lab[Any], speed: float) -> bytes:
    """A lab and its speed as bytes any process of this server can load."""
    return pickle.dumps((lab, speed), protocol=pickle.HIGHEST_PROTOCOL)


class Classroom(ClassSide):
    """The classroom side of one session: the room it presents or follows."""

    def __init__(self, session: Session, rooms: Rooms) -> None:
        self.session, self.rooms = session, rooms
        self.room: Presented | None = None  # the room this session presents
        self.following: Watch | None = None  # the room this session watches
        self.cached: tuple[Any, bytes] | None = None  # the last snapshot, and of what state
        self.view: ClassView | None = None  # the class of the room this session presents
        self.member: Member | None = None  # this session's place in a class
        self.key = ""  # the room's key, told to the presenter's page only (to come back)

    async def handle(self, op: str, msg: dict[str, Any], msg_id: Any) -> bool:
        """Carry out a classroom op, or refuse any op while following; False if not ours."""
        if self.following is not None:
            if op != "fork":
                raise ProtocolError(
                    "read_only",
                    f"{shown(op)} refused: this page follows room {self.following.code}; "
                    "fork to train on your own",
                )
            await self.fork(msg_id)
        elif op == "class":
            await self.act(msg, msg_id)
        elif op == "present":
            await self.present(msg_id)
        elif op == "export":
            await self.export(msg, msg_id)
        elif op == "fork":
            raise ProtocolError("not_following", "fork: this session follows no room")
        else:
            return False
        return True

    # -- presenter -------------------------------------------------------------------

    async def present(self, msg_id: Any) -> None:
        if self.member is not None:  # a student presenting their own room leaves their class
            member, self.member = self.member, None
            await self._leave_class(member)
            self._to_student("left")
        if self.room is None:
            await self._open(None)
        assert self.room is not None
        self._room_reply(msg_id, resumed=False)

    async def _open(self, back: tuple[str, str] | None) -> None:
        s, ask = self.session, self.session.inbox.ask
        room, key = await self.rooms.open(s.spec.id, s.params, s.outbox.kept,
                                          lambda req: ask(ForkRequest(req)),
                                          lambda: ask(RoomTaken()), back)  # fmt: skip
        self.key = key or self.key
        self.room = s.outbox.room = room
        self.view = ClassView(self.rooms.bus, room, s.outbox, self._to_teacher)
        await self.view.start()

    def _room_reply(self, msg_id: Any, resumed: bool) -> None:
        """The room, to the presenter's page only: its key lets a reload take it back."""
        assert self.room is not None
        s, room = self.session, self.room
        reply = {"type": "room", "room": room.code, "follow_url": room.follow_url,
                 "key": self.key, "resumed": resumed}  # fmt: skip
        s.outbox.put(s.encode_reply(reply, msg_id), mirror=False)

    async def reclaim(self, query: dict[str, str]) -> bool:
        """A presenter's page back (``present=CODE&key=K``): its room, class and run again,
        at the step it had reached. False if that cannot be (the page starts anew)."""
        s, key = self.session, query.get("key", "")
        back = await self.rooms.reclaim(query.get("present", ""), s.spec.id, key)
        if back is None:
            return False
        code, hashed, state = back
        s.lab, s.speed = await s.call(pickle.loads, state)
        s.outbox.put(encode(s.hello(s.params())))
        s.outbox.put(*await s.call(s.data_and_frame, None, True), s.state_text())
        try:
            await self._open((code, hashed))
        except ProtocolError as exc:
            s.outbox.put(encode(exc.to_message()), mirror=False)  # presents no more, runs on
            return True
        self.key = key
        # followers watching still show the old owner's state (or a student's spotlight)
        assert self.room is not None
        off = encode({"type": "spotlight", "on": False})
        self.room.broadcast([off, *s.outbox.kept.catch_up()])
        self._room_reply(None, resumed=True)
        return True

    async def taken(self) -> None:
        """Another page of this presenter took the room: this one presents no more."""
        s, room, view = self.session, self.room, self.view
        if room is None or view is None:
            return
        self.room = self.view = s.outbox.room = None
        await view.suspend(give_back=False)
        await room.retire()
        s.outbox.put(
            encode({"type": "room_closed", "room": room.code, "taken": True}), mirror=False
        )

    async def answer_fork(self, request: ForkRequest) -> None:
        s, room = self.session, self.room
        if room is None:
            return  # it stopped presenting meanwhile; the follower uses the last state
        log = s.lab.log
        state = (id(s.lab), id(log), s.lab.steps, len(log.events), len(log.rows), s.speed)
        if self.cached is None or self.cached[0] != state:  # many forks of one state: one copy
            self.cached = (state, await s.call(snapshot, s.lab, s.speed))
        await room.answer(request.request, self.cached[1])

    async def leave(self) -> None:
        """The session ends: its room waits for the page to come back (or closes, keeping its
        last state for forks), or it stops following."""
        s, grace = self.session, self.session.settings.presenter_grace_s
        view, self.view = self.view, None
        taken = self.room is not None and self.room.retired.is_set()  # another page has it
        if view is not None:
            await (view.suspend(give_back=not taken) if grace or taken else view.close())
        if self.member is not None:
            member, self.member = self.member, None
            await self._leave_class(member)
        if self.room is not None:
            room, self.room, s.outbox.room = self.room, None, None
            # the lab has settled (no job runs now): pickling it off the event loop is safe
            final = await asyncio.to_thread(snapshot, s.lab, s.speed)
            if taken:
                await room.retire()
            elif grace and view is not None:
                await room.away(final, grace)
                self.rooms.linger(room, grace, lambda: _end(view, room, final))
            else:
                await room.close(final)
        if self.following is not None:
            await self.rooms.leave(self.following, s.outbox)

    # -- follower --------------------------------------------------------------------

    async def follow(self, code: str, query: dict[str, str] | None = None) -> bool:
        """Join room ``code``: hello, then what the room kept; False if refused."""
        s = self.session
        address = s.ws.client.host if s.ws.client else ""
        try:
            watch, params, catch_up = await self.rooms.join(code, s.spec.id, s.outbox, address)
        except ProtocolError as exc:
            return await self._refuse(exc)
        self.member = self._member(watch.code, query or {})
        with contextlib.suppress(Exception):  # the class view misses a watcher, nothing more
            await self.member.announce()
        hello = s.hello(params, read_only=True, room=watch.code, member=self.member.public())
        s.outbox.put(encode(hello), *catch_up)
        s.outbox.resync = watch.kept.catch_up  # a follower too far behind starts over from here
        s.outbox.frame_interval = 1 / s.settings.follower_fps  # watching needs fewer frames
        self.following = watch
        return True

    async def _refuse(self, exc: ProtocolError) -> bool:
        ws = self.session.ws
        await ws.send_text(encode(exc.to_message()))
        reason = exc.message.encode()[:120].decode(errors="ignore")  # a close reason ≤ 123 bytes
        await ws.close(REFUSED.get(exc.code, 1013), reason)
        return False

    async def fork(self, msg_id: Any) -> None:
        """Become an independent session from the presenter's state at the same step."""
        s, watch = self.session, self.following
        assert watch is not None
        data = await self.rooms.fork(watch)
        lab, speed = await s.call(pickle.loads, data)
        if watch.closed and self.member is not None:  # no class to stay in
            member, self.member = self.member, None
            await self._leave_class(member)
        if self.member is not None:
            self.member.seated = True  # set first: whatever happens next, leaving frees it
        with contextlib.suppress(Exception):
            await self.rooms.leave(watch, s.outbox, keep_seat=self.member is not None)
        self.following, s.outbox.resync, s.outbox.frame_interval = None, None, 0.0
        s.lab, s.speed = lab, speed
        s.pacer.forget()
        config = {"type": "config", "params": s.params(), "reset": False}
        # "forked" is for this page only: a follower of a room this session opens later
        # must not catch up on it (nor on the room_closed it may have seen)
        s.outbox.put(s.encode_reply({**config, "forked": True}, msg_id), mirror=False)
        s.outbox.kept.note([encode(config)])
        s.outbox.put(*await s.call(s.data_and_frame, msg_id, False), s.state_text())
        await self._forked()

    # -- export ----------------------------------------------------------------------

    async def export(self, msg: dict[str, Any], msg_id: Any) -> None:
        fmt = msg.get("format")
        if not isinstance(fmt, str) or fmt not in EXPORTERS:
            message = f"expected 'python' or 'json', got {shown(fmt)}"
            error = {"field": "format", "message": message}
            raise ProtocolError("invalid_params", "bad export format", [error])
        lang = msg.get("lang", "en")  # the page's language, for the script's comments
        if not isinstance(lang, str) or lang not in LANGS:
            message = f"expected one of {', '.join(LANGS)}, got {shown(lang)}"
            error = {"field": "lang", "message": message}
            raise ProtocolError("invalid_params", "bad language", [error])
        s = self.session
        if fmt == "python":
            filename, content = await s.call(export.python_script, s.lab, lang)
        else:
            filename, content = await s.call(export.json_export, s.lab)
        reply = {"type": "export", "format": fmt, "filename": filename, "content": content}
        s.outbox.put(s.encode_reply(reply, msg_id), mirror=False)  # for the one who asked


async def _end(view: ClassView, room: Presented, final: bytes) -> None:
    """No page came back to a room in time: the class and the room close."""
    await view.close()
    await room.close(final)
