"""How ``python -m app`` meets the network: uvicorn's options from the settings,
and the request-head timeout uvicorn lacks.

What uvicorn 0.54's HTTP/1.1 protocol does by itself:

- A connection that sends nothing, or sends its request line and headers a
  byte every few seconds (slowloris), is never timed out: its only timer,
  keep-alive, is armed after a response, and every byte received disarms it.
  ``HeaderTimeoutProtocol`` below adds that deadline.
- After a response, a connection silent for ``timeout_keep_alive`` closes.
- ``limit_concurrency``: past that many open connections, HTTP requests get
  503. It refuses neither connections nor WebSocket upgrades.
- A WebSocket that answers no ping within ``ws_ping_timeout`` is closed, which
  also ends one stuck mid-frame; a live one left idle (a tab left open) stays.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, cast

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from app.settings import Settings
from app.wsdeflate import RoomDeflateProtocol

WS_MAX_SIZE = 1 << 20  # uvicorn refuses larger WebSocket messages


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, with a deadline for each request's line and headers.

    The clock starts when the connection opens and again after each response;
    only a complete request head stops it. A WebSocket upgrade completes its
    head before uvicorn hands the socket over, so open sockets are not timed.
    None of our routes reads a request body, so a body still trickling in
    after the response runs into the deadline too.
    """

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        header_timeout_s: float = 10.0,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timeout_s = header_timeout_s
        self.header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        waiting = self.conn.their_state is h11.IDLE
        super().handle_events()
        if waiting and self.conn.their_state is not h11.IDLE:  # a whole request head came
            self._disarm()

    def on_response_complete(self) -> None:
        # Armed first: the base class may go on to a pipelined request, whose head disarms it.
        self._arm()
        super().on_response_complete()

    def _arm(self) -> None:
        self._disarm()
        self.header_timer = self.loop.call_later(self.header_timeout_s, self._timed_out)

    def _disarm(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _timed_out(self) -> None:
        self.header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run`` that come from the settings."""
    # uvicorn instantiates the protocol with keywords; a partial of a module-level
    # class also survives being sent to --workers processes.
    protocol = functools.partial(HeaderTimeoutProtocol, header_timeout_s=settings.header_timeout_s)
    return {
        "http": cast(type[asyncio.Protocol], protocol),
        "ws": RoomDeflateProtocol,  # a room's frames deflated once per process
        "timeout_keep_alive": settings.idle_timeout_s,
        "limit_concurrency": settings.max_connections,
        "ws_ping_interval": settings.ws_ping_interval_s,
        "ws_ping_timeout": settings.ws_ping_timeout_s,
        "ws_max_size": WS_MAX_SIZE,
        "timeout_graceful_shutdown": settings.shutdown_timeout_s,
        # no "server: uvicorn" on every response: it tells a visitor nothing it needs, and a
        # page's 35 files each carried it
        "server_header": False,
    }
