"""Embedding a lab: ?embed=1, hide=, the Embed dialog, PNG export and the CSP, in Chromium."""

from __future__ import annotations

import re
import struct
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import learner, shot

pytestmark = pytest.mark.browser

# Every violation of the page's Content-Security-Policy, recorded from the first script on.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`));
"""


def steps(page: Page) -> int:
    return int(page.locator("#stat-step").inner_text())


def open_lab(page: Page, url: str, chart: str = "chart-beans") -> None:
    page.goto(url)
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    page.wait_for_function(f"document.getElementById('{chart}').data[0].x.length > 0")


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (PNG spec), not from any app code."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_embedded_lab_without_chrome_and_with_lr_locked(page: Page, server: str) -> None:
    page.set_viewport_size({"width": 800, "height": 600})
    open_lab(page, f"{server}/labs/beans?embed=1&hide=lr&lr=0.05&lang=en")
    expect(page.locator(".topbar")).to_have_count(0)
    expect(page.locator("#lang-toggle")).to_have_count(0)
    expect(page.locator(".ctl-lr")).to_be_hidden()
    expect(page.locator(".ctl-method")).to_be_visible()
    assert page.evaluate("window.descent.state.params.lr") == 0.05  # still applies
    expect(page.locator(".lab")).to_have_css("grid-template-columns", "250px 550px")
    line = page.evaluate("Array.from(document.getElementById('chart-beans').data[2].y)")
    page.keyboard.press("Space")
    page.wait_for_function("Number(document.getElementById('stat-step').textContent) > 20")
    assert page.evaluate("Array.from(document.getElementById('chart-beans').data[2].y)") != line
    page.keyboard.press("Space")
    expect(page.locator("#btn-play")).to_have_attribute("aria-pressed", "false")
    shot(page, "embed-beans-800x600")

    page.locator(".ctl-method select").select_option("batch")
    page.wait_for_function("location.search.includes('method=batch')")
    q = query(page.url)
    assert q["embed"] == ["1"] and q["hide"] == ["lr"] and q["lr"] == ["0.05"]
    way_out = page.locator("#embed-open")
    expect(way_out).to_have_attribute("target", "_blank")
    out = query(way_out.get_attribute("href") or "")
    assert out == {"method": ["batch"], "lr": ["0.05"], "lang": ["en"]}


def test_hidden_groups_sections_and_chart_clicks(page: Page, server: str) -> None:
    open_lab(page, f"{server}/labs/beans?hide=start,presets,player,nosuchthing&w0=-0.5")
    expect(page.locator(".topbar")).to_be_visible()  # hide works without embed too
    expect(page.locator("fieldset.group-start")).to_be_hidden()
    expect(page.locator("fieldset.group-player")).to_be_hidden()
    expect(page.locator(".player")).to_be_hidden()
    expect(page.locator(".presets")).to_be_hidden()
    expect(page.locator("fieldset.group-data")).to_be_visible()
    # a click on the contour would set the start (w0, b0): locked, it changes nothing
    plot = page.locator("#chart-contour .nsewdrag").first
    box = plot.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.85, box["y"] + box["height"] * 0.15)
    page.locator(".ctl-noise input.ctl-num").fill("0.3")  # a round trip after the click
    page.locator(".ctl-noise input.ctl-num").press("Enter")
    page.wait_for_function("location.search.includes('noise=0.3')")
    assert page.evaluate("window.descent.state.params.w0") == -0.5
    assert "hide=start,presets,player,nosuchthing" in page.url


def test_embed_dialog_builds_the_snippet(page: Page, server: str) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_lab(page, f"{server}/labs/beans?lang=en&method=batch")
    page.locator("#btn-embed").click()
    dialog = page.locator("#embed-dialog")
    expect(dialog).to_be_visible()
    code = page.locator("#embed-code")
    snippet = code.input_value()
    assert snippet.startswith(f'<iframe src="{server}/labs/beans?method=batch&amp;lang=en')
    assert "embed=1" in snippet and "hide=" not in snippet
    assert 'width="100%" height="640"' in snippet and 'loading="lazy"' in snippet
    assert 'title="Beans' in snippet and 'style="border:0"' in snippet

    dialog.get_by_label("Learning rate α").check()
    expect(page.locator("#embed-warn")).to_be_hidden()
    dialog.get_by_label("Play, Step and Reset").check()
    assert "hide=player,lr" in code.input_value()
    # an iframe nobody can start: the dialog says so
    expect(page.locator("#embed-warn")).to_be_visible()
    expect(page.locator("#embed-warn")).to_contain_text("nobody can press Play")
    code.focus()
    page.keyboard.press("Space")  # keys in the dialog never reach the lab
    page.keyboard.press("s")
    page.locator("#embed-copy").click()
    expect(page.locator("#toast")).to_have_text("Copied to the clipboard")
    expect(page.locator("#toast")).to_be_visible()  # above the dialog's backdrop
    assert page.evaluate("navigator.clipboard.readText()") == code.input_value()
    shot(page, "embed-dialog")
    dialog.get_by_label("Play, Step and Reset").uncheck()
    assert "hide=lr" in code.input_value() and "player" not in code.input_value()
    expect(page.locator("#embed-warn")).to_be_hidden()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#btn-play")).to_have_attribute("aria-pressed", "false")
    assert steps(page) == 0

    # the snippet's address opens the embedded lab as configured
    src = code.input_value().split('src="')[1].split('"')[0].replace("&amp;", "&")
    open_lab(page, src)
    expect(page.locator(".ctl-lr")).to_be_hidden()
    expect(page.locator(".ctl-method select")).to_have_value("batch")
    expect(page.locator(".topbar")).to_have_count(0)


def test_each_chart_downloads_a_png(page: Page, server: str) -> None:
    open_lab(page, f"{server}/labs/beans?lang=zh")
    chart = page.locator("#chart-loss")
    chart.hover()
    buttons = chart.locator(".modebar-btn")
    expect(buttons).to_have_count(1)  # nothing but the PNG button
    button = buttons.first
    expect(button).to_be_visible()
    expect(button).to_have_attribute("data-title", "下载为 PNG 图片")
    button.hover()
    shot(page, "embed-png-button")
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "beans-loss.png"
    path = Path(download.path())
    box = chart.bounding_box()
    assert box is not None
    width, height = png_size(path)
    assert abs(width - 2 * box["width"]) <= 2 and abs(height - 2 * box["height"]) <= 2
    expect(page.locator("#chart-surface .modebar-btn")).to_have_count(2)  # + reset the view


LABS = {"beans": "chart-beans", "neuron": "chart-output", "circles": "chart-loss",
        "digits": "chart-loss"}  # fmt: skip


@pytest.mark.parametrize("lab", LABS)
def test_no_csp_violation_in_any_lab(browser: Browser, server: str, lab: str) -> None:
    # A context that keeps the policy (the page fixture bypasses it): waits go through
    # locators, which Playwright runs outside the page's own script world.
    with learner(browser, 1280, 800, bypass_csp=False) as page:
        page.add_init_script(WATCH_CSP)
        for extra in ("", "&embed=1&hide=data"):
            page.goto(f"{server}/labs/{lab}?lang=en{extra}")
            expect(page.locator("#conn")).to_have_attribute("data-state", "open")
            page.keyboard.press("Space")
            expect(page.locator("#stat-step")).to_have_text(re.compile(r"^([6-9]|\d\d+)$"))
            page.locator(f"#{LABS[lab]}").hover()
            assert page.evaluate("window.__csp") == [], lab


# An iframe of `src`, resolved once it has loaded (or failed to).
FRAME = """(src) => new Promise((done) => {
  const f = document.createElement("iframe");
  f.width = 900; f.height = 600; f.onload = () => done(); f.src = src;
  document.body.append(f);
})"""


def test_other_sites_can_neither_frame_the_lab_nor_open_sockets(page: Page, server: str) -> None:
    # localhost and 127.0.0.1 are different origins served by the same test server
    other = server.replace("127.0.0.1", "localhost")
    page.goto(f"{other}/healthz")
    refused = page.evaluate(
        """(url) => new Promise((done) => {
          const ws = new WebSocket(url), got = [];
          ws.onmessage = (e) => got.push(JSON.parse(e.data).code);
          ws.onclose = (e) => done([got, e.code]);
        })""",
        server.replace("http", "ws") + "/ws/beans",
    )
    assert refused == [["forbidden_origin"], 1008]
    page.evaluate(FRAME, f"{server}/labs/beans?embed=1")
    blocked = page.frames[-1]
    assert blocked.locator("#conn").count() == 0  # refused by frame-ancestors
    page.goto(f"{server}/healthz")  # our own site may frame it
    page.evaluate(FRAME, f"{server}/labs/beans?embed=1")
    expect(page.frame_locator("iframe").locator("#conn")).to_have_attribute("data-state", "open")
