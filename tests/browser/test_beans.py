"""A learner's view of the beans lab in headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def trace(page: Page, chart: str, index: int, key: str) -> list[float]:
    return page.evaluate(
        f"() => Array.from(document.getElementById('{chart}').data[{index}].{key} ?? [])"
    )


def step_count(page: Page) -> int:
    return int(page.locator("#stat-step").inner_text())


def open_lab(page: Page, server: str, query: str) -> None:
    page.goto(f"{server}/labs/beans?{query}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    page.wait_for_function("document.getElementById('chart-beans').data[0].x.length > 0")


def test_play_moves_the_line_and_the_path_in_english(page: Page, server: str) -> None:
    open_lab(page, server, "lang=en")
    expect(page.locator(".ctl-lr .ctl-label")).to_have_text("Learning rate α")
    line_before = trace(page, "chart-beans", 2, "y")
    page.keyboard.press("Space")
    page.wait_for_function("Number(document.getElementById('stat-step').textContent) > 40")
    assert trace(page, "chart-beans", 2, "y") != line_before
    assert len(trace(page, "chart-contour", 1, "x")) > 20  # the descent path
    assert len(trace(page, "chart-beans", 1, "x")) > 0  # the highlighted mini-batch
    expect(page.locator("#rule")).to_contain_text("∂C/∂w")
    shot(page, "beans-en-playing")


def test_changing_the_learning_rate_while_playing_applies_at_once(page: Page, server: str) -> None:
    open_lab(page, server, "lang=en&method=sgd&speed=2")
    page.keyboard.press("Space")
    page.wait_for_function("Number(document.getElementById('stat-step').textContent) > 10")
    box = page.locator(".ctl-lr input.ctl-num")
    box.fill("0.02")
    box.press("Enter")
    expect(page.locator("#rule")).to_contain_text("0.02 ×")
    before = step_count(page)
    page.wait_for_function(f"Number(document.getElementById('stat-step').textContent) > {before}")
    assert "lr=0.02" in page.url  # the address bar mirrors the experiment
    expect(page.locator("#btn-play")).to_have_attribute("aria-pressed", "true")


def test_clicking_the_contour_sets_the_start(page: Page, server: str) -> None:
    open_lab(page, server, "lang=en")
    page.locator("#btn-step").click()
    page.wait_for_function("Number(document.getElementById('stat-step').textContent) === 1")
    plot = page.locator("#chart-contour .nsewdrag").first
    box = plot.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.85, box["y"] + box["height"] * 0.15)
    page.wait_for_function("location.search.includes('w0=')")
    w0 = float(page.locator(".ctl-w0 input.ctl-num").input_value())
    b0 = float(page.locator(".ctl-b0 input.ctl-num").input_value())
    assert w0 > 1.0 and b0 > 1.0  # upper right of w ∈ [−1, 2], b ∈ [−2, 2]
    expect(page.locator("#stat-step")).to_have_text("0")
    current = trace(page, "chart-contour", 4, "x")
    assert current and abs(current[0] - w0) < 1e-9
    shot(page, "beans-en-start-from-click")


def test_chinese_page_and_language_toggle(page: Page, server: str) -> None:
    open_lab(page, server, "lang=zh")
    expect(page.locator(".ctl-lr .ctl-label")).to_have_text("学习率 α")
    expect(page.locator("#btn-play")).to_contain_text("播放")
    page.keyboard.press("Space")
    page.wait_for_function("Number(document.getElementById('stat-step').textContent) > 30")
    shot(page, "beans-zh-playing")
    page.locator("#lang-toggle").click()
    expect(page.locator(".ctl-lr .ctl-label")).to_have_text("Learning rate α")
    assert "lang=en" in page.url


def test_divergence_is_a_visible_state_and_reset_recovers(page: Page, server: str) -> None:
    open_lab(page, server, "lang=en")
    page.locator('[data-preset="too_large"]').click()
    expect(page.locator(".ctl-lr input.ctl-num")).to_have_value("0.800")
    speed = page.locator(".ctl-speed input.ctl-num")  # ~200 steps to blow up: faster than a lesson
    speed.fill("20")
    speed.press("Enter")
    page.locator("#btn-play").click()
    expect(page.locator("#diverged")).to_be_visible(timeout=20_000)
    expect(page.locator("#diverged")).to_contain_text("learning rate is too large")
    expect(page.locator("#btn-play")).to_have_attribute("aria-pressed", "false")
    shot(page, "beans-en-diverged")
    page.locator("#btn-diverged-reset").click()
    expect(page.locator("#diverged")).to_be_hidden()
    expect(page.locator("#stat-step")).to_have_text("0")
