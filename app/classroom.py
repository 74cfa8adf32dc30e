"""Present, follow, fork and export: the classroom ops of one session.

A presenting session opens a room and mirrors what it sends; a following
session has no lab of its own, shows the room's messages and refuses every op
but ``fork``; a fork copies the presenter's lab (in the presenter's own runner,
the only code that touches it) and becomes an ordinary session.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.protocol import ProtocolError, encode, shown
from app.rooms import Room, Rooms, Snapshot
from engine import export

if TYPE_CHECKING:
    from app.session import Session

NO_SUCH_ROOM = 4404
EXPORTERS = {"python": export.python_script, "json": export.json_export}


@dataclass
class ForkRequest:
    """Put in the presenter's inbox: its runner answers with a copy of its lab."""

    future: asyncio.Future[Snapshot | None]


class Classroom:
    """The classroom side of one session: the room it presents or follows."""

    def __init__(self, session: Session, rooms: Rooms) -> None:
        self.session, self.rooms = session, rooms
        self.room: Room | None = None  # the room this session presents
        self.following: Room | None = None  # the room this session watches

    async def handle(self, op: str, msg: dict[str, Any], msg_id: Any) -> bool:
        """Carry out a classroom op, or refuse any op while following; False if not ours."""
        if self.following is not None:
            if op != "fork":
                raise ProtocolError(
                    "read_only",
                    f"{op!r} refused: this page follows room {self.following.code}; "
                    "fork to train on your own",
                )
            await self.fork(msg_id)
        elif op == "present":
            self.present(msg_id)
        elif op == "export":
            await self.export(msg, msg_id)
        elif op == "fork":
            raise ProtocolError("not_following", "fork: this session follows no room")
        else:
            return False
        return True

    # -- presenter -------------------------------------------------------------------

    def present(self, msg_id: Any) -> None:
        s = self.session
        if self.room is None:
            room = self.rooms.create(s.spec.id, s.params, s.inbox, s.outbox.kept)
            self.room = s.outbox.room = room
        reply = {"type": "room", "room": self.room.code, "follow_url": self.room.follow_url}
        s.reply(msg_id, reply)

    async def answer_fork(self, request: ForkRequest) -> None:
        s = self.session
        lab = await s.call(copy.deepcopy, s.lab)
        if not request.future.done():
            request.future.set_result((lab, s.speed))

    def leave(self) -> None:
        """The session ends: close its room, or stop following."""
        s = self.session
        if self.room is not None:
            s.outbox.room = None
            self.rooms.close(self.room, s.lab, s.speed)
        if self.following is not None:
            self.following.followers.discard(s.outbox)

    # -- follower --------------------------------------------------------------------

    async def follow(self, code: str) -> bool:
        """Join room ``code``: hello, then what the room kept; False if refused."""
        s = self.session
        room = self.rooms.find(code)
        if room is None or room.lab_id != s.spec.id:
            return await self._refuse("no_such_room", f"no {s.spec.id} room {shown(code)} is open",
                                      NO_SUCH_ROOM)  # fmt: skip
        if len(room.followers) >= self.rooms.max_followers:
            return await self._refuse("room_full", f"room {room.code} is full", 1013)
        hello = s.hello(room.params(), read_only=True, room=room.code)
        s.outbox.put(encode(hello), *room.kept.catch_up())
        room.followers.add(s.outbox)
        s.outbox.resync = room.kept.catch_up  # a follower too far behind starts over from here
        s.outbox.frame_interval = 1 / s.settings.follower_fps  # watching needs fewer frames
        self.following = room
        return True

    async def _refuse(self, code: str, message: str, close: int) -> bool:
        ws = self.session.ws
        await ws.send_text(encode(ProtocolError(code, message).to_message()))
        await ws.close(close, message.encode()[:120].decode(errors="ignore"))  # ≤ 123 bytes
        return False

    async def fork(self, msg_id: Any) -> None:
        """Become an independent session from the presenter's state at the same step."""
        s, room = self.session, self.following
        assert room is not None
        snapshot: Snapshot | None = None
        if not room.closed:
            future: asyncio.Future[Snapshot | None] = asyncio.get_running_loop().create_future()
            room.forks.append(future)
            room.inbox.put_nowait(ForkRequest(future))
            try:
                snapshot = await future
            finally:
                if future in room.forks:  # a done future holds a whole lab: let it go
                    room.forks.remove(future)
        if snapshot is None:  # the presenter left: its lab no longer changes
            snapshot = (await s.call(copy.deepcopy, room.final), room.speed)
        room.followers.discard(s.outbox)
        self.following, s.outbox.resync, s.outbox.frame_interval = None, None, 0.0
        s.lab, s.speed = snapshot
        s.pacer.forget()
        config = {"type": "config", "params": s.params(), "reset": False}
        # "forked" is for this page only: a follower of a room this session opens later
        # must not catch up on it (nor on the room_closed it may have seen)
        s.outbox.put(s.encode_reply({**config, "forked": True}, msg_id), mirror=False)
        s.outbox.kept.note([encode(config)])
        s.outbox.put(*await s.call(s.data_and_frame, msg_id, False), s.state_text())

    # -- export ----------------------------------------------------------------------

    async def export(self, msg: dict[str, Any], msg_id: Any) -> None:
        fmt = msg.get("format")
        if not isinstance(fmt, str) or fmt not in EXPORTERS:
            raise ProtocolError(
                "invalid_params",
                "bad export format",
                [{"field": "format", "message": f"expected 'python' or 'json', got {shown(fmt)}"}],
            )
        s = self.session
        filename, content = await s.call(EXPORTERS[fmt], s.lab)
        reply = {"type": "export", "format": fmt, "filename": filename, "content": content}
        s.outbox.put(s.encode_reply(reply, msg_id), mirror=False)  # for the one who asked
