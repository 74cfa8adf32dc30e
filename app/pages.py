"""Server-rendered pages: the index and the lab pages, in Chinese or English.

Every UI string lives in ``static/i18n/<lang>/<catalog>.json``: ``site`` for
the shared chrome and one catalog per lab id. The server renders the first
paint in the learner's language; the page switches language without a reload.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
LANGS = ("en", "zh")

templates = Jinja2Templates(directory=ROOT / "templates")
# keep params in dataclass order: the controls follow it
templates.env.policies["json.dumps_kwargs"] = {"sort_keys": False}


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
    return (ROOT / "templates" / "labs" / f"{lab}.html").exists()


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


def render(request: Request, template: str, names: list[str], **context: Any) -> Any:
    """Render ``template`` with ``t(key)`` bound to the learner's language."""
    lang = language(request)
    strings = catalogs(names)

    def t(key: str) -> str:
        return strings[lang].get(key) or strings["en"].get(key) or key

    return templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": t,
            "catalogs": strings,
            "lang_explicit": "lang" in request.query_params,
            **context,
        },
    )
