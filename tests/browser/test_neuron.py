"""A learner's view of the neuron lab (learning slowdown) in headless Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def number(match: re.Match[str] | None) -> float:
    """A number as the page prints it: − for minus, ×10⁻⁴ for exponents."""
    assert match is not None
    text = match.group(1).replace("−", "-").translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
    return float(text.replace("×10", "e"))


def trace(page: Page, chart: str, index: int, key: str) -> list[float]:
    return page.evaluate(
        f"() => Array.from(document.getElementById('{chart}').data[{index}].{key} ?? [])"
    )


def wait_steps(page: Page, more_than: int) -> None:
    page.wait_for_function(
        f"Number(document.getElementById('stat-step').textContent) > {more_than}"
    )


def open_lab(page: Page, server: str, query: str) -> None:
    page.goto(f"{server}/labs/neuron?{query}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    # the surfaces and the step-0 frame have been drawn
    page.wait_for_function(
        "document.getElementById('chart-surface-quadratic').data[0].z.length > 0"
        " && document.getElementById('chart-surface-cross_entropy').data[3].x.length === 1"
    )


def pick(page: Page, preset: str) -> None:
    page.locator(f'[data-preset="{preset}"]').click()
    expect(page.locator("#stat-step")).to_have_text("0")


def test_saturated_start_quadratic_crawls_while_cross_entropy_learns(
    page: Page, server: str
) -> None:
    open_lab(page, server, "lang=en")
    expect(page.locator(".ctl-lr .ctl-label")).to_have_text("Learning rate η")
    pick(page, "saturated")
    expect(page.locator(".ctl-w0 input.ctl-num")).to_have_value("2")
    grads = page.locator("#grads")
    expect(grads).to_contain_text("(a − y)·σ′(z)·x")
    expect(grads).to_contain_text("0.0177")  # σ′(4), the factor the quadratic gradient carries
    expect(page.locator("#chart-sigmoid")).to_contain_text("slope σ′(z) = 0.0177")
    before = grads.inner_text()
    page.keyboard.press("Space")
    wait_steps(page, 80)
    assert grads.inner_text() != before  # the live numbers follow the runs
    quad_a = trace(page, "chart-output", 0, "y")
    ce_a = trace(page, "chart-output", 1, "y")
    assert len(quad_a) > 60 and len(ce_a) > 60
    assert quad_a[-1] > 0.9 > 0.2 > ce_a[-1]  # the quadratic run is still on its plateau
    assert len(trace(page, "chart-cost", 0, "y")) > 60
    assert len(trace(page, "chart-surface-quadratic", 1, "x")) > 60  # the paths
    assert len(trace(page, "chart-surface-cross_entropy", 1, "x")) > 60
    expect(page.locator("#chart-surface-quadratic")).to_contain_text("plateau")
    shot(page, "neuron-en-saturated-playing")


def test_gentle_start_reaches_the_notes_horizon(page: Page, server: str) -> None:
    open_lab(page, server, "lang=en&speed=8")
    pick(page, "saturated")
    pick(page, "gentle")
    expect(page.locator(".ctl-b0 input.ctl-num")).to_have_value("0.90")
    rings = trace(page, "chart-output", 2, "y")
    assert len(rings) == 12 and rings[0] == 0.818  # the notes' table, both costs
    page.keyboard.press("Space")
    wait_steps(page, 310)
    page.keyboard.press("Space")
    expect(page.locator("#btn-play")).to_have_attribute("aria-pressed", "false")
    ce_a = trace(page, "chart-output", 1, "y")
    assert ce_a[-1] < 0.013 and len(ce_a) > 30
    x_range = page.evaluate("document.getElementById('chart-output').layout.xaxis.range")
    assert x_range[1] >= 300
    expect(page.locator("#chart-output")).to_contain_text("notes: 300 epochs")
    shot(page, "neuron-en-gentle-300")
    page.locator("#btn-step").click()
    expect(page.locator("#stat-step")).not_to_have_text("0")
    pick(page, "gentle")  # the lesson already in force: its button starts it over


def test_learning_rate_changes_live_and_lands_in_the_address_bar(page: Page, server: str) -> None:
    open_lab(page, server, "lang=en")
    page.keyboard.press("Space")
    wait_steps(page, 10)
    box = page.locator(".ctl-lr input.ctl-num")
    box.fill("0.5")
    box.press("Enter")
    page.wait_for_function("location.search.includes('lr=0.5')")
    expect(page.locator("#btn-play")).to_have_attribute("aria-pressed", "true")
    assert int(page.locator("#stat-step").inner_text()) > 10  # no reset
    page.locator("#btn-play").click()  # Space would type into the focused number box
    expect(page.locator("#btn-play")).to_have_attribute("aria-pressed", "false")
    # The step the learner reads uses the new η: Δw = −η·∂C/∂w (shown to 4 decimals).
    for name in ("quadratic", "cross_entropy"):
        text = page.locator(f"#grads .run-{name}").inner_text()
        grad = number(re.search(r"∂C/∂b = .* = (\S+)", text))
        delta = number(re.search(r"Δw = −η·∂C/∂w = (\S+)", text))
        assert delta == pytest.approx(-0.5 * grad, abs=2e-4) and delta < 0


def test_chinese_page_and_language_toggle(page: Page, server: str) -> None:
    open_lab(page, server, "lang=zh")
    expect(page.locator(".ctl-lr .ctl-label")).to_have_text("学习率 η")
    expect(page.locator(".intro")).to_contain_text("交叉熵")
    expect(page.locator("#grads")).to_contain_text("交叉熵")
    expect(page.locator("#grads")).to_contain_text("二次代价")
    expect(page.locator('[data-preset="saturated"]')).to_have_text("w = b = 2.0（饱和）")
    expect(page.locator("#chart-output .legend")).to_contain_text("交叉熵")
    pick(page, "saturated")
    page.keyboard.press("Space")
    wait_steps(page, 120)
    shot(page, "neuron-zh-saturated-playing")
    page.locator("#lang-toggle").click()
    expect(page.locator("#chart-output .legend")).to_contain_text("cross-entropy")
    expect(page.locator("#grads")).to_contain_text("quadratic cost")
    assert "lang=en" in page.url


def test_fits_a_laptop_screen(page: Page, server: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    open_lab(page, server, "lang=en&w0=2&b0=2&speed=3")
    page.keyboard.press("Space")
    wait_steps(page, 250)
    for panel in ("#chart-output", "#chart-surface-cross_entropy", "#grads"):
        box = page.locator(panel).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 768  # both rows on one screen
    shot(page, "neuron-en-1366x768")
