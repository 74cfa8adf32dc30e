"""The digits lab's CNN as a learner sees it, in English and Chinese, on a laptop and a phone:
switch to the CNN, train it, draw a digit and watch its feature maps change while drawing."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import learner

pytestmark = pytest.mark.browser

ART = Path(__file__).resolve().parents[2] / "artifacts" / "cnn"
TEST_ACCURACY = "parseFloat(document.getElementById('acc-test').textContent)"
# the ink (non-white pixels) of the first layer-1 feature map, as a string that changes
MAP = """(() => {
  const c = document.querySelector('#maps .map-row canvas');
  if (!c) return null;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  return Array.from(d).filter((v, i) => i % 4 === 0).join(',');
})()"""
TEXT = {
    "en": {"filters": "Learned filters (3×3)", "maps": "Feature maps of your digit",
           "counts": "Parameters: MLP against CNN", "preset": "CNN, 1,370 parameters",
           "fewer": "416× fewer", "layer": "layer 1: 8 maps of 8×8"},
    "zh": {"filters": "学到的卷积核（3×3）", "maps": "你写的数字的特征图",
           "counts": "参数个数：全连接网络与 CNN", "preset": "CNN，1370 个参数",
           "fewer": "少 416 倍", "layer": "第 1 层：8 张 8×8 特征图"},
}  # fmt: skip


def shot(page: Page, name: str, panels: tuple[str, ...] = ()) -> None:
    """The whole page, and close-ups of some panels (a phone's page is too tall to read)."""
    ART.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ART / f"{name}.png"), full_page=True)
    for panel in panels:
        page.locator(panel).first.screenshot(path=str(ART / f"{name}-{panel.strip('.#')}.png"))


def switch_to_cnn(page: Page, server: str, lang: str) -> None:
    """Open the lab (softmax regression), then the lesson's CNN preset."""
    page.goto(f"{server}/labs/digits?lang={lang}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    expect(page.locator(".p-maps")).to_be_hidden()
    preset = page.locator('[data-preset="cnn"]')
    expect(preset).to_have_text(TEXT[lang]["preset"])
    preset.click()
    expect(page.locator(".ctl-model select")).to_have_value("cnn")
    for panel in ("maps", "filters", "counts"):
        expect(page.locator(f".p-{panel}")).to_be_visible()
        expect(page.locator(f".p-{panel} figcaption").first).to_contain_text(TEXT[lang][panel])
    expect(page.locator(".p-weights")).to_be_hidden()
    expect(page.locator(".ctl-hidden")).to_have_class("ctl ctl-hidden inapplicable")


def stroke(page: Page, pts: list[tuple[float, float]]) -> None:
    box = page.locator("#draw").bounding_box()
    assert box is not None
    at = [(box["x"] + u * box["width"], box["y"] + v * box["height"]) for u, v in pts]
    for (x0, y0), (x1, y1) in itertools.pairwise(at):
        for k in range(1, 11):
            page.mouse.move(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)


def draw_seven_watching_the_maps(page: Page) -> None:
    """The top bar of a 7, the maps appear while the button is still down; then the
    diagonal, and the maps change before the button comes up: they follow the drawing."""
    box = page.locator("#draw").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 0.25 * box["width"], box["y"] + 0.2 * box["height"])
    page.mouse.down()
    stroke(page, [(0.25, 0.2), (0.75, 0.2)])
    page.wait_for_function(f"{MAP} !== null")
    bar = page.evaluate(MAP)
    stroke(page, [(0.75, 0.2), (0.6, 0.5), (0.45, 0.85)])
    page.wait_for_function(f"{MAP} !== {bar!r}")
    page.mouse.up()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_train_the_cnn_and_see_its_filters_maps_and_counts(
    browser: Browser, server: str, lang: str
) -> None:
    with learner(browser, 1366, 768) as page:
        switch_to_cnn(page, server, lang)
        page.keyboard.press("Space")
        page.wait_for_function(f"{TEST_ACCURACY} > 90", timeout=60_000)
        # 8 learned 3×3 filters, not blank
        filters = page.locator("#filters .filter-row canvas")
        expect(filters).to_have_count(8)
        expect(page.locator("#f-max")).not_to_have_text("+0")
        # 1,370 parameters against the matched MLP's 1,360; conv 1 has 80 where a dense
        # layer from 64 pixels to 8 maps of 8×8 would need 64·512 + 512 = 33,280
        counts = page.locator("#counts")
        expect(counts.locator(".count-bar.cnn b")).to_have_text("1,370")
        expect(counts.locator(".count-bar.mlp b")).to_have_text("1,360")
        expect(counts.locator(".count-mlp")).to_have_text("64 → 18: 1,170 · 18 → 10: 190")
        expect(counts.locator("tbody tr").first).to_contain_text("33,280")
        expect(counts.locator("tbody tr").first).to_contain_text(TEXT[lang]["fewer"])
        # draw: the feature maps of the drawing, live
        expect(page.locator("#maps-hint")).to_be_visible()
        draw_seven_watching_the_maps(page)
        expect(page.locator("#maps .map-row canvas")).to_have_count(8)
        expect(page.locator("#maps .cnn-layer .note").nth(1)).to_have_text(TEXT[lang]["layer"])
        expect(page.locator("#verdict b")).to_have_text("7")
        page.wait_for_timeout(600)  # let a detail frame or two paint before the picture
        shot(page, f"digits-cnn-{lang}-1366", (".ctl-filters", ".p-maps"))
        page.locator("#btn-clear").click()
        expect(page.locator("#maps-hint")).to_be_visible()
        page.locator(".ctl-model select").select_option("mlp")
        expect(page.locator(".p-maps")).to_be_hidden()
        expect(page.locator(".p-weights")).to_be_visible()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_cnn_on_a_phone_two_conv_layers(browser: Browser, server: str, lang: str) -> None:
    with learner(browser, 390, 844) as page:
        page.goto(f"{server}/labs/digits?lang={lang}&model=cnn&filters=6,12&optimizer=adam"
                  "&lr=0.01&batch_size=50")  # fmt: skip
        expect(page.locator("#conn")).to_have_attribute("data-state", "open")
        expect(page.locator(".p-filters")).to_be_visible()
        page.locator("#btn-play").click()
        page.wait_for_function(f"{TEST_ACCURACY} > 85", timeout=60_000)
        page.locator("#btn-play").click()
        expect(page.locator("#filters .filter-row canvas")).to_have_count(6)
        expect(page.locator("#filters canvas.mosaic")).to_have_count(1)  # 12 rows × 6 columns
        page.locator("#draw").scroll_into_view_if_needed()
        draw_seven_watching_the_maps(page)
        expect(page.locator("#maps .map-row")).to_have_count(2)
        expect(page.locator("#maps .map-row").nth(1).locator("canvas")).to_have_count(12)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"sideways scroll on a phone: {wide}px"
        page.wait_for_timeout(600)
        shot(page, f"digits-cnn-{lang}-390", (".p-draw", ".p-maps", ".p-filters", ".p-counts"))
