"""Joining a class: ``/join/CODE`` (any case, spaces) and the address students can reach.

``/join/CODE`` finds the room's lab on the bus and sends the student to the
lab page that follows it; an unknown code goes back to the index page, which
says so. ``/api/reach`` tells the Present dialog which address to put in the
link and the QR code when the teacher opened the page as ``localhost``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse
from starlette.requests import Request

from app.bus import BusDown
from app.names import MAX_NAME
from app.rooms import Rooms

TEST_NET = "192.0.2.1"  # a documentation address: connecting a UDP socket sends nothing


def lan_address() -> str | None:
    """This machine's address on its network (the one its default route uses), if any."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((TEST_NET, 9))
        address = str(s.getsockname()[0])
        if not ipaddress.ip_address(address).is_loopback and address != "0.0.0.0":
            return address
    return None


def listening(address: str, port: int) -> bool:
    """Whether this server answers on ``address`` (not when it listens on loopback only)."""
    try:
        socket.create_connection((address, port), timeout=0.5).close()
    except OSError:
        return False
    return True


def make_router(rooms: Rooms) -> APIRouter:
    router = APIRouter()

    def extra(request: Request) -> dict[str, str]:
        keep = {k: request.query_params[k] for k in ("lang",) if k in request.query_params}
        name = request.query_params.get("name", "").strip()[:MAX_NAME]
        return {**keep, **({"name": name} if name else {})}

    @router.get("/join")
    async def join_form(request: Request, code: str = Query("", max_length=32)) -> Any:
        """The index page's box: on to ``/join/CODE``."""
        target = f"/join/{Rooms.normal(code) or code.strip()[:16] or '-'}"
        query = urlencode(extra(request))
        return RedirectResponse(f"{target}?{query}" if query else target, status_code=303)

    @router.get("/join/{code}")
    async def join(request: Request, code: str) -> Any:
        found, query = None, extra(request)
        with contextlib.suppress(BusDown):
            found = await rooms.lab_of(code[:32])
        if found is None:
            missing = urlencode({"join_missing": Rooms.normal(code[:32]) or code[:16], **query})
            return RedirectResponse(f"/?{missing}", status_code=303)
        canonical, lab = found
        return RedirectResponse(
            f"/labs/{lab}?{urlencode({'follow': canonical, **query})}", status_code=303
        )

    @router.get("/api/reach")
    def reach(request: Request) -> dict[str, Any]:  # a thread: it may wait on a socket
        """Where students can reach this server when the page was opened on loopback."""
        client = request.client.host if request.client else ""
        if not _loopback(client):  # only the teacher's own machine needs it: the LAN
            return {"origin": None, "reason": "not_local"}  # address is no one else's business
        address = lan_address()
        port = request.url.port or 80
        if address is None:
            return {"origin": None, "reason": "no_network"}
        if not listening(address, port):
            return {"origin": None, "address": address, "reason": "loopback_only"}
        return {"origin": f"http://{address}:{port}", "address": address, "reason": None}

    return router


def _loopback(host: str) -> bool:
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host).is_loopback
    return host == "localhost"
