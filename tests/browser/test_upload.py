"""A learner brings their own data, and trains three classes, in headless Chromium.

What a learner sees: their points on the plane (read back from the chart), a
refused file's line-numbered reason in their language, and after training on
three classes, three colours on the plane.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import learner, shot

pytestmark = pytest.mark.browser

ROWS = [(i % 9, i // 9, ["north", "south", "east"][(i // 9) % 3]) for i in range(54)]
GOOD = "x1,x2,label\n" + "".join(f"{a},{b},{c}\n" for a, b, c in ROWS)
BAD = "x1,x2,label\n1,2,north\n3,4,south\n5,abc,east\n"
ERRORS = {
    "en": "Line 4: “abc” in column x2 is not a number. Nothing was changed.",
    "zh": "第 4 行：x2 列的“abc”不是数字。数据没有任何改变。",
}
DONE = {
    "en": "Training on your data: 54 rows, 3 classes.",
    "zh": "正在用你的数据训练：54 行，3 个类别。",
}


def open_lab(page: Page, server: str, lab: str, query: str) -> None:
    page.goto(f"{server}/labs/{lab}?{query}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    expect(page.locator("#upload")).to_be_visible()


def plane_points(page: Page) -> int:
    return int(page.evaluate("() => document.getElementById('chart-boundary').data"
                             ".slice(1, 7).reduce((n, d) => n + d.x.length, 0)"))  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_upload_a_csv_see_the_points_then_a_broken_one_and_its_line(
    page: Page, server: str, tmp_path: Path, lang: str
) -> None:
    open_lab(page, server, "circles", f"lang={lang}&test_ratio=0.5")
    good, bad = tmp_path / "three.csv", tmp_path / "broken.csv"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(BAD, encoding="utf-8")
    page.locator("#upload-file").set_input_files(str(good))
    expect(page.locator(".upload-status")).to_have_text(DONE[lang], timeout=20_000)
    page.wait_for_function("document.getElementById('chart-boundary').data[3].x.length > 0")
    assert plane_points(page) == 27  # half of 54 are training points
    legend = page.locator("#class-legend")
    expect(legend).to_be_visible()
    for name in ("north", "south", "east"):
        expect(legend).to_contain_text(name)
    expect(page.locator(".tools .cls[data-class]")).to_have_count(3)
    page.locator("#upload-file").set_input_files(str(bad))
    expect(page.locator(".upload-error")).to_have_text(ERRORS[lang], timeout=20_000)
    assert plane_points(page) == 27  # a bad file changes nothing
    shot(page, f"upload-circles-{lang}-error")


def test_train_three_classes_and_see_three_colours(page: Page, server: str) -> None:
    open_lab(page, server, "circles", "lang=en&dataset=arms&classes=3&hidden=16,16&test=1")
    page.wait_for_function("document.getElementById('chart-boundary').data[3].x.length > 0")
    classes = page.locator(".ctl-classes")
    expect(classes).not_to_have_class(re.compile("inapplicable"))  # arms: it sets their number
    page.keyboard.press("Space")
    page.wait_for_function("parseFloat(document.getElementById('acc-test').textContent) >= 90",
                           timeout=60_000)  # fmt: skip
    page.locator("#btn-play").click()
    expect(page.locator("#btn-play")).to_have_attribute("aria-pressed", "false", timeout=10_000)
    top = page.evaluate("""() => {
      const d = document.getElementById('chart-boundary').data[0];
      return [d.zmax, [...new Set(d.z.flat().map((v) => Math.floor(v / 6)))].sort()];
    }""")
    assert top == [18, [0, 1, 2]]  # 3 classes × 6 lightness levels; every class has a region
    colors = page.evaluate("""() => {
      const d = document.getElementById('chart-boundary').data;
      return [1, 2, 3].map((i) => [d[i].marker.color, d[i].marker.symbol]);
    }""")
    assert len({c for c, _ in colors}) == 3 and len({s for _, s in colors}) == 3
    expect(page.locator("#class-legend .class-item")).to_have_count(3)
    expect(page.locator("#class-legend")).to_contain_text("%")
    # the output layer has 3 units; each one's heatmap is its class's probability
    expect(page.locator("#network .node[data-layer='3']")).to_have_count(3)
    page.locator("#network .node[data-layer='3'][data-unit='2']").click()
    expect(page.locator("#inspect-title")).to_have_text("Output: P(class 2)")
    page.wait_for_function("document.getElementById('chart-inspect').data[0].z.length === 48")
    shot(page, "upload-circles-en-three-classes")


def test_paste_beans_from_a_spreadsheet(page: Page, server: str) -> None:
    open_lab(page, server, "beans", "lang=zh")
    page.locator(".upload-paste").fill("size\ttoxicity\n10\t3.5\n20\t5.2\n30\t7.4\n40\t9.1\n")
    page.locator(".upload-use").click()
    status = page.locator(".upload-status")
    expect(status).to_have_text("正在用你的数据训练：4 行。", timeout=20_000)
    page.wait_for_function("document.getElementById('chart-beans').data[0].x.length === 4")
    xs = page.evaluate("document.getElementById('chart-beans').data[0].x")
    assert list(xs) == [10, 20, 30, 40]
    lo, hi = page.evaluate("document.getElementById('chart-beans').layout.xaxis.range")
    assert lo < 10 and hi > 40  # the view follows the uploaded beans
    expect(page.locator(".upload-clear")).to_be_visible()
    shot(page, "upload-beans-zh")
    page.locator(".preset[data-preset='notes_batch']").click()  # a lesson: its own beans
    expect(page.locator(".upload-clear")).to_be_hidden(timeout=20_000)
    page.wait_for_function("document.getElementById('chart-beans').data[0].x.length === 100")


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_screenshots_laptop_and_phone(
    browser: Browser, server: str, width: int, height: int, lang: str
) -> None:
    with learner(browser, width, height) as page:
        open_lab(page, server, "circles", f"lang={lang}&dataset=blobs&classes=4&hidden=8")
        page.keyboard.press("Space")
        page.wait_for_function("parseFloat(document.getElementById('acc-test').textContent) >= 90",
                               timeout=60_000)  # fmt: skip
        page.locator("#btn-play").click()
        no_sideways = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert no_sideways
        shot(page, f"upload-circles-{lang}-{width}x{height}")


def test_draw_a_dataset_with_the_brush(page: Page, server: str) -> None:
    open_lab(page, server, "circles", "lang=zh&dataset=blobs&classes=3&hidden=8")
    page.wait_for_function("document.querySelectorAll('.tools .cls[data-class]').length === 3")
    page.locator("#brush").check()
    page.locator(".tools .cls[data-class='2']").click()
    box = page.locator("#chart-boundary .nsewdrag").first.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] * 0.5  # along x₂ = 0, from x₁ = −3 to x₁ = 3
    page.mouse.move(box["x"] + box["width"] * 0.25, y)
    page.mouse.down()
    for i in range(1, 31):
        page.mouse.move(box["x"] + box["width"] * (0.25 + i / 60), y)
    page.mouse.up()
    # 6 units painted, a point every 0.35 or so: 15 to 18 points, all of class 2
    page.wait_for_function("Number(document.getElementById('added').textContent) >= 15")
    added = int(page.locator("#added").text_content() or 0)
    assert added <= 18
    symbols = page.evaluate("document.getElementById('chart-boundary').data[13].marker.symbol")
    assert set(symbols) == {"square"} and len(symbols) == added
    shot(page, "upload-circles-zh-brush")
