"""Issue 14's aim as a test: a lab page's cold load, gzip only, stays under 600 kB.

A browser on plain HTTP (a classroom's LAN address) asks gzip, not brotli. Everything a
cold load fetches is named by the page: its stylesheets and icon, its module and the
modules it preloads (every static import), Plotly's base build, the add-on and the chunks
they import. Their gzipped sizes as served, plus each response's head (its headers as the
test client sees them, and what uvicorn adds), must stay under the aim; `python -m
bench.page_weight` measures the same in Chromium (README, "Page weight"). Modules a page
imports later (the class view) and the other language's strings are not part of a cold
load.
"""

from __future__ import annotations

import gzip
import re

import pytest
from fastapi.testclient import TestClient

AIM = 600_000
# what the test client leaves out of a response's head: the status line, uvicorn's date
# header and the blank line
HEAD = len("HTTP/1.1 200 OK\r\n") + len("date: Wed, 02 Dec 2026 13:00:00 GMT\r\n") + 2
LABS = ("beans", "circles", "digits", "neuron")
URLS = re.compile(
    r"""<link rel="(?:icon|stylesheet|modulepreload)" href="([^"]+)"|"""
    r"""<script[^>]* src="([^"]+)"|data-addon="([^"]+)\""""
)


def fetched(html: str) -> list[str]:
    """The URLs a cold load of the page fetches, each once."""
    urls = [u for groups in URLS.findall(html) for u in groups if u]
    return list(dict.fromkeys(urls))


def gzip_only(client: TestClient, url: str) -> tuple[int, str]:
    """What ``url`` weighs for a gzip-only browser (body as sent, plus headers), and its body."""
    reply = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert reply.status_code == 200, url
    sent = reply.headers.get("content-length")
    if reply.headers.get("content-encoding") != "gzip" or sent is None:
        sent = str(len(gzip.compress(reply.content)))  # a small file sent as is, or chunked
    head = HEAD + sum(len(k) + len(v) + 4 for k, v in reply.headers.items())  # "k: v\r\n"
    return int(sent) + head, reply.text


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("lab", LABS)
def test_a_cold_load_is_under_600_kb_gzip_only(client: TestClient, lab: str, lang: str) -> None:
    size, html = gzip_only(client, f"/labs/{lab}?lang={lang}")
    urls = fetched(html)
    assert any("/vendor/plotly-" in u for u in urls) and any(u.endswith(".css") for u in urls)
    total = size + sum(gzip_only(client, url)[0] for url in urls)
    assert total <= AIM, f"{lab} ({lang}): {total:,} bytes gzip only, over the {AIM:,} aim"


def test_the_sum_counts_what_a_browser_fetched() -> None:
    page = (
        '<link rel="icon" href="/static/favicon.1.svg"><link rel="stylesheet" href="/s.css">'
        '<link rel="modulepreload" href="/static/js/lib/a.js"><script type="module" '
        'src="/static/js/labs/x.js"></script><script id="plotly-js" type="module" '
        'src="/static/vendor/p.js" data-addon="/static/vendor/q.js"></script>'
        '<link rel="modulepreload" href="/static/js/lib/a.js">'
    )
    assert fetched(page) == [
        "/static/favicon.1.svg", "/s.css", "/static/js/lib/a.js", "/static/js/labs/x.js",
        "/static/vendor/p.js", "/static/vendor/q.js",
    ]  # fmt: skip
