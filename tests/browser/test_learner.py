"""A learner's first ten minutes (issue 13): lessons that restart, recovery, guidance, phones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import learner, shot

pytestmark = pytest.mark.browser

LABS = ["beans", "circles", "neuron", "digits"]


def open_lab(page: Page, server: str, lab: str, query: str = "lang=en") -> None:
    page.goto(f"{server}/labs/{lab}?{query}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    expect(page.locator("#stat-loss")).not_to_have_text("—")


def lessons(page: Page) -> list[str]:
    return page.eval_on_selector_all("[data-preset]", "bs => bs.map(b => b.dataset.preset)")


def start_lesson(page: Page, name: str) -> str:
    """Click a lesson; once its step 0 is shown, the loss the learner sees there."""
    page.locator(f'[data-preset="{name}"]').click()
    card = page.locator("#lesson-card")
    expect(card).to_have_attribute("data-lesson", name)
    expect(card).to_have_attribute("data-state", "started", timeout=20_000)
    expect(page.locator("#stat-step")).to_have_text("0")
    return page.locator("#stat-loss").inner_text()


def take_steps(page: Page, n: int) -> None:
    for k in range(1, n + 1):  # one at a time: a new op ends a step still under way
        page.locator("#btn-step").click()
        expect(page.locator("#stat-step")).to_have_text(str(k), timeout=20_000)


@pytest.mark.parametrize("lab", LABS)
def test_every_lesson_starts_from_its_own_start_whatever_came_before(
    page: Page, server: str, lab: str
) -> None:
    open_lab(page, server, lab)
    names = lessons(page)
    assert len(names) >= 2
    first = {}
    for name in names:  # each lesson after another that trained a little
        first[name] = start_lesson(page, name)
        expect(page.locator("#lesson-card .lesson-note")).to_be_visible()  # "from step 0 …"
        take_steps(page, 2)
        expect(page.locator("#lesson-card .lesson-note")).to_be_hidden()  # no longer news
    for name in reversed(names):  # and again, in the other order, after other lessons
        assert start_lesson(page, name) == first[name], name
        take_steps(page, 2)
    # a lesson button pressed twice starts the lesson over, too
    assert start_lesson(page, names[0]) == first[names[0]]


def test_beans_lessons_start_at_their_own_point_on_the_contour(page: Page, server: str) -> None:
    open_lab(page, server, "beans")
    presets = page.evaluate("JSON.parse(document.getElementById('boot').textContent).presets")
    for name in ["notes_sgd_wb", "notes_batch", "notes_minibatch", "notes_fixed_step", "too_large"]:
        start_lesson(page, name)
        start = [presets[name]["w0"], presets[name]["b0"]]
        # charts draw on a budget: the contour may show step 0 a frame after the counter
        page.wait_for_function(
            "([w, b]) => { const d = document.getElementById('chart-contour').data[4];"
            " return d.x[0] === w && d.y[0] === b; }",
            arg=start,
            polling=100,
        )
        take_steps(page, 3)


def test_the_lesson_card_says_what_to_watch_in_both_languages(page: Page, server: str) -> None:
    open_lab(page, server, "circles", "lang=zh")
    card = page.locator("#lesson-card")
    expect(card).to_be_hidden()
    start_lesson(page, "vanishing")
    expect(card).to_be_visible()
    expect(card).to_contain_text("梯度")  # the lesson's own text, on the page
    expect(card).to_contain_text("第 0 步")
    page.locator("#lang-toggle").click()
    expect(card).to_contain_text("vanishing")
    expect(card).to_contain_text("step 0")
    shot(page, "learner-circles-lesson-card")
    page.locator("#lesson-close").click()
    expect(card).to_be_hidden()


def test_added_points_do_not_survive_a_lesson(page: Page, server: str) -> None:
    open_lab(page, server, "circles")
    area = page.locator("#chart-boundary .nsewdrag").first
    box = area.bounding_box()
    assert box is not None
    area.click(position={"x": box["width"] * 0.75, "y": box["height"] * 0.25})
    expect(page.locator("#added")).to_have_text("1")
    start_lesson(page, "notes")
    expect(page.locator("#added")).to_have_text("0")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_blown_up_circles_run_shows_it_and_offers_a_way_back(
    page: Page, server: str, lang: str
) -> None:
    open_lab(page, server, "circles", f"lang={lang}&optimizer=sgd&lr=3")
    page.keyboard.press("Space")
    banner = page.locator("#diverged")
    expect(banner).to_be_visible(timeout=20_000)
    expect(banner).to_contain_text("learning rate is too large" if lang == "en" else "学习率太大")
    expect(page.locator("#btn-play")).to_have_attribute("aria-pressed", "false")
    shot(page, f"learner-circles-diverged-{lang}")
    page.locator("#btn-diverged-lower").click()
    expect(banner).to_be_hidden()
    expect(page.locator("#stat-step")).to_have_text("0")
    expect(page.locator(".ctl-lr input.ctl-num")).to_have_value("0.3000")
    page.keyboard.press("Space")
    page.wait_for_function("Number(document.getElementById('stat-step').textContent) > 40")
    expect(banner).to_be_hidden()
    losses = page.evaluate("Array.from(document.getElementById('chart-loss').data[0].y)")
    assert len(losses) > 5 and all(v < 10 for v in losses)  # the curve goes on, at a sane scale


def test_beans_looks_at_the_data_again_after_a_blow_up(page: Page, server: str) -> None:
    open_lab(page, server, "beans", "method=batch&lr=5&w0=0.1&b0=0.1")
    page.keyboard.press("Space")
    expect(page.locator("#diverged")).to_be_visible(timeout=20_000)
    wide = page.evaluate("document.getElementById('chart-contour').layout.xaxis.range")
    assert wide[1] - wide[0] > 100
    page.locator("#btn-diverged-lower").click()
    expect(page.locator("#stat-step")).to_have_text("0")
    page.wait_for_function(
        "(() => { const r = document.getElementById('chart-contour').layout.xaxis.range;"
        " return r[1] - r[0] < 5; })()"
    )
    assert page.evaluate("document.getElementById('chart-contour').layout.yaxis.range") == [-2, 2]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_refused_value_goes_back_to_the_one_in_force_with_the_reason(
    page: Page, server: str, lang: str
) -> None:
    open_lab(page, server, "beans", f"lang={lang}")
    box = page.locator(".ctl-lr input.ctl-num")
    box.fill("50")
    box.press("Enter")
    expect(box).to_have_value("0.300")  # the value in force, not the refused one
    reason = page.locator(".ctl-lr .ctl-error")
    expect(reason).to_be_visible()
    expect(reason).to_contain_text("50")
    expect(reason).to_contain_text("10")
    expect(reason).to_contain_text("Still 0.3" if lang == "en" else "仍为 0.3")
    assert "Input should" not in reason.inner_text()
    assert page.evaluate("descent.state.params.lr") == 0.3


FIRST_SCREEN = """() => {
  const seen = (el) => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight + 1 && r.left >= 0
      && r.right <= innerWidth + 1; };
  const chart = [...document.querySelectorAll('.stage .panel')].find((p) => {
    const r = p.getBoundingClientRect();
    // a chart with 220 px of it in view
    return r.top >= 0 && r.top + Math.min(r.height, 220) <= innerHeight;
  });
  const player = ['#btn-play', '#btn-step', '#btn-reset'];
  return { player: player.every((s) => seen(document.querySelector(s))),
    chart: chart ? chart.querySelector('figcaption').textContent.trim() : null,
    wide: document.documentElement.scrollWidth - innerWidth };
}"""


def first_screen(page: Page) -> dict[str, object]:
    result: dict[str, object] = page.evaluate(FIRST_SCREEN)
    return result


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_on_a_phone_the_player_and_a_chart_come_first(
    browser: Browser, server: str, lang: str
) -> None:
    with learner(browser, 390, 844) as phone:
        for lab in LABS:
            open_lab(phone, server, lab, f"lang={lang}")
            screen = first_screen(phone)
            assert screen["player"] and screen["chart"], (lab, screen)
            assert screen["wide"] == 0, (lab, screen)  # nothing scrolls sideways
            shot(phone, f"learner-phone-{lab}-{lang}")


def test_a_student_on_a_phone_sees_the_follow_banner_first(
    page: Page, browser: Browser, server: str
) -> None:
    open_lab(page, server, "circles")
    page.locator("#btn-present").click()
    code = page.locator("#present-code")
    expect(code).not_to_have_text("—")
    link = page.locator("#present-link").input_value()
    page.keyboard.press("Escape")
    with learner(browser, 390, 844) as phone:
        phone.goto(link)
        banner = phone.locator("#follow-banner")
        expect(banner).to_contain_text(f"room {code.inner_text()}")
        box = banner.bounding_box()
        assert box is not None and box["y"] < 120  # at the top, under the site bar
        expect(phone.locator("#stat-loss")).not_to_have_text("—")
        screen = first_screen(phone)
        assert screen["player"] and screen["chart"] and screen["wide"] == 0, screen
        shot(phone, "learner-phone-follow")


def test_on_a_laptop_the_learning_rate_is_in_view_under_the_player(
    browser: Browser, server: str
) -> None:
    with learner(browser, 1366, 768) as laptop:
        for lab in LABS:
            open_lab(laptop, server, lab)
            player = laptop.locator(".player").bounding_box()
            rate = laptop.locator(".ctl-lr").bounding_box()
            assert player is not None and rate is not None
            assert player["y"] < rate["y"] and rate["y"] + rate["height"] < 768, lab


def test_errors_on_a_chinese_page_are_in_chinese(page: Page, server: str) -> None:
    open_lab(page, server, "circles", "lang=zh")
    # what a buggy or hand-made request gets back: a structured error, shown in Chinese
    page.evaluate("descent.session.send('configure', {params: {lr: 'fast'}})")
    reason = page.locator(".ctl-lr .ctl-error")
    expect(reason).to_contain_text("这个值不被接受")
    page.evaluate("descent.session.send('inspect', {layer: 99, unit: 0})")
    toast = page.locator("#toast")
    expect(toast).to_contain_text("错误")
    assert not any(c.isascii() and c.isalpha() for c in toast.inner_text()), toast.inner_text()


def test_digits_greys_out_what_softmax_regression_does_not_use(page: Page, server: str) -> None:
    open_lab(page, server, "digits", "model=softmax")
    for name in ["hidden", "activation"]:
        row = page.locator(f".ctl-{name}")
        expect(row).to_have_class(re.compile("inapplicable"))
        assert page.evaluate(f"document.querySelector('.ctl-{name}').inert")
    expect(page.locator("#network-note")).to_be_visible()
    page.locator(".ctl-model select").select_option("mlp")
    expect(page.locator(".ctl-hidden")).not_to_have_class(re.compile("inapplicable"))
    expect(page.locator("#network-note")).to_be_hidden()
    box = page.locator(".ctl-hidden input.layer").first
    assert box.evaluate("b => b.scrollWidth <= b.clientWidth")  # "100" fits its box


def test_an_unknown_room_looks_calm(browser: Browser, server: str) -> None:
    with learner(browser, 1366, 768) as page:
        page.goto(f"{server}/labs/circles?follow=QQQQQ&lang=zh")
        expect(page.locator("#follow-banner")).to_contain_text("QQQQQ")
        pill = page.locator("#conn")
        expect(pill).to_have_attribute("data-state", "ended")
        expect(pill).to_have_text("未连接")  # not "retrying": it does not
        expect(page.locator(".ctl-lr input.ctl-num")).to_have_value("0.0100")  # not blank
        acc = page.evaluate("document.getElementById('chart-acc').layout.yaxis.range")
        assert 0 <= acc[0] < acc[1] <= 1.05  # a share, not 0–400 %
        shot(page, "learner-unknown-room-zh")


CHART_SIZES = """() => [...document.querySelectorAll('.stage .js-plotly-plot')]
  .filter((gd) => gd.offsetParent !== null)
  .map((gd) => { const box = gd.getBoundingClientRect();
    return { id: gd.id, height: Math.round(box.height), width: Math.round(box.width),
      drawn: Math.round(gd.querySelector('.main-svg').getBoundingClientRect().height) }; })"""
# tall enough to read (ticks, a legend and the curve), short enough that two of them and the
# player share a phone's screen; a square plane may be as tall as it is wide
PHONE_CHART = (170, 240)
SQUARE = {"chart-boundary", "chart-confusion"}


def chart_sizes(page: Page) -> list[dict[str, object]]:
    sizes: list[dict[str, object]] = page.evaluate(CHART_SIZES)
    return sizes


def charts_fill_their_boxes(page: Page) -> None:
    """Wait until Plotly has drawn every chart at its box's current height. (Polled on a
    timer: headless Chromium sometimes runs no animation frame for a while after a
    viewport change, and Playwright's default polling waits for one.)"""
    page.wait_for_function(
        f"({CHART_SIZES})().every((c) => Math.abs(c.drawn - c.height) <= 1)", polling=100
    )


@pytest.mark.parametrize("lab", LABS)
def test_on_a_phone_charts_are_phone_sized_and_follow_a_turn(
    browser: Browser, server: str, lab: str
) -> None:
    with learner(browser, 390, 844) as phone:
        open_lab(phone, server, lab)
        charts_fill_their_boxes(phone)
        low, high = PHONE_CHART
        for chart in chart_sizes(phone):
            top = chart["width"] if chart["id"] in SQUARE else high
            assert low <= chart["height"] <= top, (lab, chart)  # type: ignore[operator]
        upright = chart_sizes(phone)
        phone.set_viewport_size({"width": 844, "height": 390})  # the phone turned
        charts_fill_their_boxes(phone)
        assert chart_sizes(phone) != upright  # the charts were redrawn to the new boxes
        phone.set_viewport_size({"width": 390, "height": 844})
        charts_fill_their_boxes(phone)
        assert [c["height"] for c in chart_sizes(phone)] == [c["height"] for c in upright]
        # a box that changes with no window resize (a panel above grew, a style changed). Not
        # circles' plane: after a turn and back, headless Chromium sometimes stops making
        # frames for that page (no requestAnimationFrame, no ResizeObserver, screenshots time
        # out; about 1 run in 25), so nothing on it is redrawn (see the README's known issues)
        first = next(str(c["id"]) for c in upright if c["id"] not in SQUARE)
        phone.evaluate(f"document.getElementById('{first}').style.height = '200px'")
        drawn = f"document.getElementById('{first}').querySelector('.main-svg')"
        phone.wait_for_function(f"{drawn}.getBoundingClientRect().height === 200", polling=100)


def exported_script(page: Page) -> str:
    with page.expect_download() as got:
        page.locator("#btn-export-python").click()
    return Path(got.value.path()).read_text(encoding="utf-8")


def test_the_exported_script_speaks_the_pages_language(page: Page, server: str) -> None:
    open_lab(page, server, "beans", "lang=zh")
    page.locator("#btn-step").click()
    expect(page.locator("#stat-step")).to_have_text("1")
    zh = exported_script(page)
    assert zh.startswith('"""梯度下降游乐场：豆豆实验，导出于第 1 步')
    assert "# -- 一次更新 --" in zh and "# -- one update --" not in zh
    page.locator(".lang").click()  # the page switches to English without a reload
    expect(page.locator("html")).to_have_attribute("lang", "en")
    en = exported_script(page)
    assert en.startswith('"""Descent Playground: the beans lab, a run exported at step 1.')
    assert "# -- one update --" in en
