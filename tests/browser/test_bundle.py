"""The small Plotly bundle in Chromium: every chart's trace type is in it, Plotly speaks Chinese
on zh pages, and the page paints and connects before Plotly arrives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.conftest import learner, shot

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
BUILD = json.loads((ROOT / "tools" / "plotly" / "traces.json").read_text())
LABS = ("beans", "circles", "digits", "neuron")
BUNDLE = "**/static/vendor/plotly-*.js"

# trace types drawn on the page and trace types the loaded Plotly knows
TYPES = """() => ({
  used: [...document.querySelectorAll('.js-plotly-plot')].flatMap(
    (gd) => gd.data.map((t) => t.type ?? 'scatter')),
  known: Object.keys(Plotly.PlotSchema.get().traces),
  charts: document.querySelectorAll('.js-plotly-plot').length,
})"""


def drawn(page: Page) -> None:
    """Every chart plotted (one after another: the first at once) and a first frame in: the
    loading pill is gone."""
    expect(page.locator("#loading")).to_be_hidden(timeout=30_000)
    page.wait_for_function("Number(document.getElementById('stat-step').textContent) >= 0")
    page.wait_for_function("window.descent.state.mounted === true")
    expect(page.locator("body")).to_have_attribute("data-charts", "all")


@pytest.mark.parametrize("lab", LABS)
def test_every_chart_type_is_in_the_bundle(page: Page, server: str, lab: str) -> None:
    page.goto(f"{server}/labs/{lab}?lang=zh")
    drawn(page)
    page.keyboard.press("s")  # a frame: charts that fill lazily get their traces
    page.wait_for_function("Number(document.getElementById('stat-step').textContent) >= 1")
    found = page.evaluate(TYPES)
    assert found["charts"] >= 3, found
    assert set(found["used"]) <= set(found["known"]), f"{lab}: {found}"
    bundle = BUILD["bundles"][BUILD["labs"].get(lab, BUILD["default"])]
    assert set(found["known"]) == set(bundle)  # the bundle holds what the build lists


def test_plotly_speaks_chinese_on_zh_pages(page: Page, server: str) -> None:
    page.goto(f"{server}/labs/beans?lang=zh")
    drawn(page)
    page.keyboard.press("Space")  # points on the loss curve
    page.wait_for_function("Number(document.getElementById('stat-step').textContent) > 20")
    box = page.locator("#chart-loss .nsewdrag").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.7, steps=8)
    page.mouse.up()
    # Plotly's own hint after a zoom, from its zh-CN dictionary
    expect(page.locator(".notifier-note")).to_contain_text("双击返回缩小显示")
    shot(page, "bundle-zh-zoom-hint")
    page.locator("#lang-toggle").click()  # in place (once the English strings are fetched)
    page.wait_for_function("document.getElementById('chart-loss')._context.locale === 'en'",
                           polling=100)  # fmt: skip


@pytest.fixture
def held(page: Page) -> Iterator[list[Route]]:
    """Plotly's requests (its bundle and the chunk it imports), held until the test lets
    them go (a slow network)."""
    routes: list[Route] = []
    page.route(BUNDLE, lambda route: routes.append(route))
    yield routes


@pytest.mark.parametrize(("lang", "text"), [("en", "Loading the charts…"), ("zh", "正在加载图表…")])
def test_page_paints_and_connects_before_plotly_arrives(
    page: Page, server: str, held: list[Route], lang: str, text: str
) -> None:
    # not "domcontentloaded": that waits for the deferred Plotly
    page.goto(f"{server}/labs/circles?lang={lang}", wait_until="commit")
    expect(page.locator("#loading")).to_have_text(text)
    expect(page.locator("#loading")).to_be_visible()
    expect(page.locator("#controls fieldset").first).to_be_visible()  # the controls are there
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")  # socket in parallel
    assert page.evaluate("typeof window.Plotly") == "undefined" and held
    shot(page, f"bundle-loading-{lang}")
    for route in held:
        route.continue_()
    drawn(page)
    expect(page.locator("#chart-loss .main-svg").first).to_be_visible()


def test_a_bundle_that_cannot_load_says_so(browser: Browser, server: str) -> None:
    with learner(browser) as page:
        page.route(BUNDLE, lambda route: route.abort())
        page.goto(f"{server}/labs/beans?lang=en")
        expect(page.locator("#toast")).to_contain_text("cannot load")
        expect(page.locator("#loading")).to_be_hidden()
        expect(page.locator("#conn")).to_have_attribute("data-state", "closed")


ADDON = "**/static/vendor/plotly-*-3d.min.*.js"


def test_the_first_charts_do_not_wait_for_the_3d_addon(page: Page, server: str) -> None:
    held: list[Route] = []
    page.route(ADDON, lambda route: held.append(route))
    page.goto(f"{server}/labs/beans?lang=en")
    # every 2-D chart drawn, with the server's data, while the 3-D traces are still on the way
    for chart in ("beans", "contour", "slice", "loss"):
        expect(page.locator(f"#chart-{chart} .main-svg").first).to_be_visible()
    expect(page.locator("#chart-beans .scatterlayer .point").first).to_be_visible()
    expect(page.locator("#chart-surface")).to_be_empty()
    assert held and page.evaluate("'surface' in Plotly.PlotSchema.get().traces") is False
    assert page.evaluate("document.body.dataset.charts") is None
    for route in held:
        route.continue_()
    expect(page.locator("body")).to_have_attribute("data-charts", "all")
    expect(page.locator("#chart-surface .gl-container canvas").first).to_be_attached()


def test_a_3d_addon_that_cannot_load_says_so(browser: Browser, server: str) -> None:
    with learner(browser) as page:
        page.route(ADDON, lambda route: route.abort())
        page.goto(f"{server}/labs/beans?lang=en")
        expect(page.locator("#toast")).to_contain_text("cannot load")
        expect(page.locator("#chart-loss .main-svg").first).to_be_visible()  # the rest draws
        expect(page.locator("#chart-surface")).to_be_empty()
        expect(page.locator("#conn")).to_have_attribute("data-state", "open")


def test_a_language_switch_that_cannot_fetch_its_strings_says_so(page: Page, server: str) -> None:
    """The page holds its own language's strings only: the other language's come on the first
    switch. If they cannot, the page says so and stays as it was; the next click tries again."""
    page.goto(f"{server}/labs/circles?lang=en")
    drawn(page)
    failing = {"on": True}

    def catalogs(route: Route) -> None:
        if failing["on"]:
            route.fulfill(status=500, body="down")
        else:
            route.continue_()

    page.route("**/static/i18n/zh/**", catalogs)
    page.locator("#lang-toggle").click()
    expect(page.locator("#toast")).to_contain_text("The other language could not be loaded")
    expect(page.locator("#btn-play")).to_contain_text("Play")
    assert "lang=zh" not in page.url and page.evaluate("document.documentElement.lang") == "en"
    failing["on"] = False
    page.locator("#lang-toggle").click()
    expect(page.locator("#btn-play")).to_contain_text("播放")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert "lang=zh" in page.url
