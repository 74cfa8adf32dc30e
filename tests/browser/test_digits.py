"""A learner's view of the digits lab in headless Chromium."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

TEST_ACCURACY = "parseFloat(document.getElementById('acc-test').textContent)"
PROBS = "Array.from(document.getElementById('chart-probs').data[0].y)"


def open_lab(page: Page, server: str, query: str) -> None:
    page.goto(f"{server}/labs/digits?{query}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    expect(page.locator("#gallery .digit")).to_have_count(40)


def train_past(page: Page, percent: float) -> None:
    page.keyboard.press("Space")
    page.wait_for_function(f"{TEST_ACCURACY} > {percent}", timeout=30_000)


def draw_seven(page: Page) -> None:
    """A 7 with the mouse: the top bar, then the diagonal, in small moves."""
    box = page.locator("#draw").bounding_box()
    assert box is not None
    pts = [(0.25, 0.2), (0.75, 0.2), (0.6, 0.5), (0.45, 0.85)]
    at = [(box["x"] + u * box["width"], box["y"] + v * box["height"]) for u, v in pts]
    page.mouse.move(*at[0])
    page.mouse.down()
    for (x0, y0), (x1, y1) in itertools.pairwise(at):
        for k in range(1, 11):
            page.mouse.move(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)
    page.mouse.up()


def test_training_in_english_fills_curves_and_gallery(page: Page, server: str) -> None:
    open_lab(page, server, "lang=en")
    expect(page.locator(".ctl-lr .ctl-label")).to_have_text("Learning rate α")
    expect(page.locator('[data-preset="overfit"]')).to_have_text("Overfitting")
    train_past(page, 80)
    # the dashed test curve: a point a frame (how many by 80 % depends on the pacing)
    page.wait_for_function("document.getElementById('chart-acc').data[1].y.length > 5")
    labels = page.locator("#gallery .digit .lbl").all_inner_texts()
    assert len(labels) == 40 and all(lbl.strip() in "0123456789" and lbl.strip() for lbl in labels)
    expect(page.locator("#gallery-wrong")).to_contain_text("/ 40")
    expect(page.locator("#weights canvas")).to_have_count(10)
    confusion = page.evaluate(
        "document.getElementById('chart-confusion').data[0].z.flat().reduce((a, b) => a + b, 0)"
    )
    assert confusion == 397
    shot(page, "digits-en-playing")


def test_drawing_a_digit_shows_its_probabilities(page: Page, server: str) -> None:
    open_lab(page, server, "lang=en")
    train_past(page, 80)
    draw_seven(page)
    page.wait_for_function(f"{PROBS}.some((p) => p > 0)")
    probs = page.evaluate(PROBS)
    assert len(probs) == 10 and abs(sum(probs) - 100) < 0.1
    expect(page.locator("#verdict")).to_contain_text("It looks like a")
    seen = page.evaluate(
        "Array.from(document.getElementById('seen').getContext('2d')"
        ".getImageData(0, 0, 8, 8).data).filter((v, i) => i % 4 === 0 && v < 128).length"
    )
    assert 6 <= seen <= 40  # the 8×8 the model sees has ink, not a filled square
    shot(page, "digits-en-drawn")
    page.locator("#btn-clear").click()
    expect(page.locator("#verdict")).to_have_text("Draw a digit in the box.")
    page.wait_for_function(f"{PROBS}.every((p) => p === 0)")
    page.locator("#gallery .digit").first.click()  # a test 0, which softmax gets right
    expect(page.locator("#verdict")).to_contain_text("It looks like a 0")
    expect(page.locator("#gallery .digit").first).to_have_class(re.compile(r"\bpicked\b"))
    shot(page, "digits-en-picked")


def test_the_loss_log_toggle_changes_the_axis_and_the_url(page: Page, server: str) -> None:
    open_lab(page, server, "lang=en")
    page.locator("#log-toggle").check()
    page.wait_for_function("document.getElementById('chart-loss').layout.yaxis.type === 'log'")
    page.wait_for_function("location.search.includes('logy=1')")
    page.reload()
    expect(page.locator("#log-toggle")).to_be_checked()


def test_chinese_page_and_language_toggle(page: Page, server: str) -> None:
    open_lab(page, server, "lang=zh")
    expect(page.locator(".ctl-lr .ctl-label")).to_have_text("学习率 α")
    expect(page.locator(".p-curve figcaption").first).to_contain_text("准确率")
    expect(page.locator("#btn-play")).to_contain_text("播放")
    train_past(page, 80)
    draw_seven(page)
    expect(page.locator("#verdict")).to_contain_text("看起来像")
    shot(page, "digits-zh-playing")
    page.locator("#lang-toggle").click()
    expect(page.locator(".ctl-lr .ctl-label")).to_have_text("Learning rate α")
    expect(page.locator("#verdict")).to_contain_text("It looks like a")
    assert "lang=en" in page.url


def test_a_network_preset_shows_hidden_unit_weights(page: Page, server: str) -> None:
    open_lab(page, server, "lang=en")
    page.locator('[data-preset="overfit"]').click()
    expect(page.locator(".ctl-train_size input.ctl-num")).to_have_value("100")
    expect(page.locator("#weights canvas")).to_have_count(32)
    expect(page.locator(".p-weights > figcaption")).to_contain_text("First-layer weights")
    page.keyboard.press("Space")
    page.wait_for_function("Number(document.getElementById('stat-step').textContent) > 300")
    shot(page, "digits-en-overfit")
