"""Server-rendered pages: the index and the lab pages, in Chinese or English.

Every UI string lives in ``app/static/i18n/<lang>/<catalog>.json``: ``site`` for
the shared chrome and one catalog per lab id. The server renders the first
paint in the learner's language; the page switches language without a reload.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import static_files

# static/ and templates/ are package data of `app`, so an installed wheel finds them too.
PACKAGE = Path(__file__).resolve().parent
STATIC = static_files.STATIC
LANGS = ("en", "zh")
MAX_HIDDEN = 64  # more names than any lab has controls

templates = Jinja2Templates(
    env=Environment(loader=PackageLoader("app", "templates"), autoescape=True)
)
# keep params in dataclass order: the controls follow it
templates.env.policies["json.dumps_kwargs"] = {"sort_keys": False}
# every static URL in a page is hashed: static('css/site.css'), plotly_url(lab)
templates.env.globals.update(
    static=static_files.url,
    plotly_url=static_files.plotly_url,
    plotly_addon_url=static_files.plotly_addon_url,
    plotly_addon_traces=static_files.plotly_addon_traces,
    plotly_chunks=static_files.plotly_chunks,
    module_imports=static_files.module_imports,
)


@cache
def catalog(lang: str, name: str) -> dict[str, str]:
    """One catalog (``site`` or a lab id) in one language; missing files are empty."""
    path = STATIC / "i18n" / lang / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def catalogs(names: list[str]) -> dict[str, dict[str, str]]:
    """Language → merged strings of the given catalogs (later ones win)."""
    merged: dict[str, dict[str, str]] = {}
    for lang in LANGS:
        merged[lang] = {}
        for name in names:
            merged[lang].update(catalog(lang, name))
    return merged


def has_page(lab: str) -> bool:
    """A lab is shown only once it has a page (an engine module alone is not a lab yet)."""
    return (PACKAGE / "templates" / "labs" / f"{lab}.html").exists()


def language(request: Request) -> str:
    """``?lang=`` if given, else the browser's first supported language, else English."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return "en"


def hidden(request: Request) -> list[str]:
    """``?hide=lr,method``: the controls, groups or sections to hide, in order, once each."""
    names = (n.strip() for n in request.query_params.get("hide", "").split(","))
    return list(dict.fromkeys(n for n in names if n))[:MAX_HIDDEN]


def embedded(request: Request) -> bool:
    """``?embed=1``: the page goes in an iframe, without the site's chrome."""
    return request.query_params.get("embed", "").lower() in ("1", "true", "yes")


def full_page_url(request: Request) -> str:
    """This page as a stand-alone page: the same URL without ``embed`` and ``hide``."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("embed", "hide")]
    return request.url.path + (f"?{urlencode(query, safe=',')}" if query else "")


@cache
def page_strings(lang: str, names: tuple[str, ...]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """A page's strings in ``lang`` (English where one is empty or missing), and the hashed
    URLs of the other languages' catalog files: the same for every page of a kind, so made
    once, not on every request."""
    strings = catalogs(list(names))
    shown = {**strings["en"], **{k: v for k, v in strings[lang].items() if v}}
    files = {
        other: [
            static_files.url(f"i18n/{other}/{name}.json")
            for name in names
            if (STATIC / "i18n" / other / f"{name}.json").exists()
        ]
        for other in LANGS
        if other != lang
    }
    return shown, files


def render(request: Request, template: str, names: list[str], **context: Any) -> Any:
    """Render ``template`` with ``t(key)`` bound to the learner's language.

    The page's script gets only this language's strings (English where a string is not
    translated), and the URLs of the other language's catalog files, fetched if the learner
    switches: both catalogs inline weighed about 10 kB more, gzipped, on every cold load."""
    lang = language(request)
    shown, files = page_strings(lang, tuple(names))

    def t(key: str) -> str:
        return shown.get(key) or key

    return templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": t,
            "catalogs": {lang: shown},
            "catalog_files": files,
            "lang_explicit": "lang" in request.query_params,
            "embed": embedded(request),
            "hide": hidden(request),
            "full_page_url": full_page_url(request),
            **context,
        },
    )


def content_security_policy(frame_ancestors: str) -> str:
    """Our own scripts, styles (Plotly sets inline ones), images and sockets only.

    No inline script runs and no string is evaluated (the browser tests bypass the
    policy to evaluate theirs, except the one that checks it). ``frame_ancestors`` says which pages
    may show ours in an iframe (``'self'``, origins, or ``*``); a stray ``;`` cannot
    smuggle in another directive.
    """
    ancestors = " ".join(frame_ancestors.replace(";", " ").split()) or "'none'"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        ]
    )


class SecurityHeaders:
    """ASGI middleware: every HTML response gets ``Content-Security-Policy``.

    Every response also says: don't guess a content type (a JSON or text reply is
    never run as a script or page), and send no address of ours to other sites.
    """

    def __init__(self, app: ASGIApp, policy: str) -> None:
        self.app, self.policy = app, policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = self.policy
            await send(message)

        await self.app(scope, receive, send_with_policy)
