"""Which ``Host`` and ``Origin`` headers the server answers to.

DNS rebinding: a page on ``evil.example`` can point its own name at this
server's address; the browser then sends ``Host: evil.example`` and treats the
server as same-origin with the attacker's page. Answering only to names we
know (and to IP literals, which cannot be rebound) closes that door, for pages
and WebSockets alike.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import cache
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from app.settings import comma_list

DEFAULT_PORTS = {"http": 80, "https": 443}
SOCKET_SCHEMES = {"ws": "http", "wss": "https"}  # a socket's scheme as its page's

Origin = tuple[str, str, int]  # (scheme, host, port), all explicit


def split_host(value: str) -> tuple[str, int | None] | None:
    """A ``Host`` header as (lowercase host without IPv6 brackets, port); None if malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port = rest[1:] if rest else None
    else:
        host, colon, after = value.partition(":")
        port = after if colon else None
    if not host or (port is not None and not (port.isascii() and port.isdigit())):
        return None
    return host, int(port) if port is not None else None


def is_ip_literal(host: str) -> bool:
    """``192.168.1.20`` or ``::1`` (unbracketed): a name no DNS answer can change."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@cache
def machine_names() -> tuple[str, ...]:
    """``localhost`` and this machine's names, as students may type them (mDNS ``.local`` too)."""
    name = socket.gethostname().lower()
    return tuple(dict.fromkeys(["localhost", name, f"{name}.local", socket.getfqdn().lower()]))


def allowed_hosts(extra: str) -> list[str]:
    """The host patterns for ``TrustedHostMiddleware``: ours plus the operator's list."""
    return [*machine_names(), *(h.lower() for h in comma_list(extra))]


class AllowedHosts(TrustedHostMiddleware):
    """``TrustedHostMiddleware`` that also lets any IP-literal ``Host`` through.

    A bad ``Host`` gets 400 before any route runs. A WebSocket is closed before
    it is accepted (uvicorn answers the handshake with 403), so no session starts.
    """

    def __init__(self, app: ASGIApp, hosts: str) -> None:
        super().__init__(app, allowed_hosts=allowed_hosts(hosts), www_redirect=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            parsed = split_host(Headers(scope=scope).get("host", ""))
            if parsed is not None and is_ip_literal(parsed[0]):
                await self.app(scope, receive, send)
                return
        if scope["type"] == "websocket":
            send = refusing_with_close(send)
        await super().__call__(scope, receive, send)


def refusing_with_close(send: Send) -> Send:
    """Turn a refused socket's HTTP answer into a close before accept.

    uvicorn logs an ERROR for every socket answered with an HTTP response (the
    handshake never completes); a close before accept is its plain, logged-as-info 403.
    """

    async def wrapped(message: Message) -> None:
        if message["type"] == "websocket.http.response.start":
            await send({"type": "websocket.close", "code": 1008, "reason": ""})
        elif message["type"] != "websocket.http.response.body":
            await send(message)

    return wrapped


def parse_origin(origin: str) -> Origin | None:
    """``https://School.example`` → ``("https", "school.example", 443)``; None if not http(s)."""
    try:
        parts = urlsplit(origin.strip().rstrip("/"))
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname, port or DEFAULT_PORTS[scheme]


def own_origin(websocket: WebSocket) -> Origin | None:
    """The origin of a page of this server, as the socket reached it (scheme, Host)."""
    scheme = SOCKET_SCHEMES.get(websocket.url.scheme, websocket.url.scheme)
    parsed = split_host(websocket.headers.get("host", ""))
    if parsed is None or scheme not in DEFAULT_PORTS:
        return None
    host, port = parsed
    return scheme, host, port or DEFAULT_PORTS[scheme]


def origin_allowed(websocket: WebSocket, allowed: str) -> bool:
    """A browser's socket must come from our own pages or an origin the operator listed.

    Without this, any web page a learner visits could open sessions here.
    Same origin means the same scheme (ws↔http, wss↔https), host and port,
    with default ports made explicit. Clients that send no ``Origin``
    (scripts, tests) are not browsers and pass.
    """
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    listed = comma_list(allowed)
    if "*" in listed:
        return True
    theirs = parse_origin(origin)
    if theirs is None:
        return False
    return theirs == own_origin(websocket) or theirs in {parse_origin(o) for o in listed}
