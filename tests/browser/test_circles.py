"""A learner's view of the circles lab in headless Chromium."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page, WebSocket, expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

ACC = "parseFloat(document.getElementById('acc-test').textContent)"


def open_lab(page: Page, server: str, query: str) -> None:
    page.goto(f"{server}/labs/circles?{query}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    page.wait_for_function("document.getElementById('chart-boundary').data[1].x.length > 0")
    page.wait_for_function("document.querySelectorAll('#network .node').length > 0")


def heatmap(page: Page, chart: str) -> list[list[float]]:
    return page.evaluate(f"() => document.getElementById('{chart}').data[0].z")


def play_until_accurate(page: Page) -> None:
    play = page.locator("#btn-play")
    page.keyboard.press("Space")
    expect(play).to_have_attribute("aria-pressed", "true")
    page.wait_for_function(f"{ACC} >= 90", timeout=30_000)
    play.click()
    expect(play).to_have_attribute("aria-pressed", "false", timeout=10_000)


@pytest.mark.parametrize(
    ("lang", "title", "panel"),
    [("en", "Decision boundary", "The network"), ("zh", "决策边界", "网络结构")],
)
def test_play_draws_the_boundary(
    page: Page, server: str, lang: str, title: str, panel: str
) -> None:
    open_lab(page, server, f"lang={lang}&test=1")
    expect(page.locator(".p-boundary figcaption")).to_contain_text(title)
    expect(page.locator(".p-network figcaption")).to_contain_text(panel)
    play_until_accurate(page)
    z = heatmap(page, "chart-boundary")
    assert len(z) == 48 and len(z[0]) == 48
    assert z[24][24] > 0.7 and z[0][0] < 0.3  # the disk is class 1, the corner class 0
    assert page.evaluate("document.getElementById('chart-boundary').data[7].visible") is True
    assert len(page.evaluate("document.getElementById('chart-loss').data[1].x")) > 5
    assert len(page.evaluate("document.getElementById('chart-grads').data")) == 5
    assert "test=1" in page.url
    shot(page, f"circles-{lang}-trained")


class Received:
    """The newest frame step and boundary the page was sent, from the socket itself."""

    def __init__(self, page: Page) -> None:
        self.step = -1
        self.boundary: dict[str, Any] | None = None
        self.asked = 0  # boundaries sent as replies to the page's `boundary` op
        page.on("websocket", lambda ws: self.watch(ws))

    def watch(self, ws: WebSocket) -> None:
        ws.on("framereceived", lambda payload: self.take(payload))

    def take(self, payload: str | bytes) -> None:
        msg = json.loads(payload)
        if msg["type"] == "frame":
            self.step = msg["step"]
            self.boundary = msg.get("boundary", self.boundary)
        elif msg["type"] == "boundary":
            self.boundary, self.asked = msg, self.asked + 1

    def image(self) -> np.ndarray:
        assert self.boundary is not None
        z = self.boundary["z"]
        return np.frombuffer(base64.b64decode(z["b64"]), np.uint8).reshape(z["shape"])


def wait_until(page: Page, ok: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not ok():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)  # lets the page's events through


def test_paused_the_plane_shows_the_boundary_of_the_step_on_the_counter(
    page: Page, server: str
) -> None:
    """Frames leave out a boundary that barely moved; paused, the page asks for it."""
    got = Received(page)
    open_lab(page, server, "lang=en")
    play_until_accurate(page)  # paused, maybe on a frame without a new boundary
    wait_until(page, lambda: got.boundary is not None and got.boundary["step"] == got.step)
    for _ in range(4):
        before = got.step
        page.keyboard.press("s")  # one update
        expect(page.locator("#stat-step")).to_have_text(str(before + 1))
        wait_until(page, lambda: got.boundary is not None and got.boundary["step"] == got.step)
        want = (got.image() / 255).tolist()
        wait_until(page, lambda want=want: heatmap(page, "chart-boundary") == want)  # drawn
    assert got.asked > 0  # a trained net's single update is too small for the frames to carry


def test_click_adds_a_point_of_the_chosen_class(page: Page, server: str) -> None:
    open_lab(page, server, "lang=en")
    # two circles have two classes: the control for the multi-class sets is greyed
    expect(page.locator(".ctl-classes")).to_have_class(re.compile("inapplicable"))
    page.locator(".tools .cls[data-class='1']").click()
    area = page.locator("#chart-boundary .nsewdrag").first
    box = area.bounding_box()
    assert box is not None
    # 3/4 of the way right and 1/4 down: (x₁, x₂) = (3, 3) on the [−6, 6]² plane.
    area.click(position={"x": box["width"] * 0.75, "y": box["height"] * 0.25})
    expect(page.locator("#added")).to_have_text("1")
    # the plane redraws at most ~15 times a second: the point may show a little after the count
    page.wait_for_function("document.getElementById('chart-boundary').data[13].x.length === 1")
    added = page.evaluate("() => { const d = document.getElementById('chart-boundary').data[13];"
                          " return [d.x, d.y, d.marker.symbol]; }")  # fmt: skip
    x, y, symbol = added
    assert x[0] == pytest.approx(3, abs=0.1) and y[0] == pytest.approx(3, abs=0.1)
    assert symbol == ["diamond"]
    page.locator("#btn-clear").click()
    expect(page.locator("#added")).to_have_text("0")


def test_clicking_a_neuron_shows_its_heatmap(page: Page, server: str) -> None:
    open_lab(page, server, "lang=zh&hidden=4,3&activation=tanh")
    assert page.locator("#network .node").count() == 2 + 4 + 3 + 1
    page.keyboard.press("Space")
    page.wait_for_function(f"{ACC} >= 80", timeout=30_000)
    page.locator("#btn-play").click()
    page.locator('#network .node[data-layer="1"][data-unit="2"]').click()
    expect(page.locator("#inspect-title")).to_have_text("隐藏层 1，神经元 3")
    page.wait_for_function("document.getElementById('chart-inspect').data[0].z.length === 48")
    z = heatmap(page, "chart-inspect")
    flat = [v for row in z for v in row]
    assert min(flat) == 0 and max(flat) == 1  # scaled to the unit's own range
    expect(page.locator("#network .node.sel")).to_have_count(1)
    expect(page.locator(".p-small figcaption").nth(3)).to_contain_text("tanh")
    shot(page, "circles-zh-neuron")


def test_small_laptop_screen(browser_context_1366: Page, server: str) -> None:
    page = browser_context_1366
    open_lab(page, server, "lang=en&disc=1")
    play_until_accurate(page)
    z = heatmap(page, "chart-boundary")
    assert {v for row in z for v in row} <= {0, 1}  # discretized
    for sel in ("#chart-boundary", "#network", "#chart-act"):
        box = page.locator(sel).bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1366
    shot(page, "circles-en-1366")


@pytest.fixture
def browser_context_1366(page: Page) -> Page:
    page.set_viewport_size({"width": 1366, "height": 768})
    return page
