"""A learner races three optimizers on the beans bowl, in Chinese and English, laptop and phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import learner, shot

pytestmark = pytest.mark.browser

RACE_BASE = 5  # the contour chart's first race trace: 5 paths, then 5 current points
WORDS = {
    "en": {"start": "Start race", "momentum": "Momentum", "steps": "after 44 steps"},
    "zh": {"start": "开始比赛", "momentum": "动量", "steps": "44 步后"},
}


def trace_len(page: Page, chart: str, index: int) -> int:
    return int(page.evaluate(f"() => document.getElementById('{chart}').data[{index}].x.length"))


def prop(page: Page, chart: str, index: int, path: str) -> object:
    return page.evaluate(f"() => document.getElementById('{chart}').data[{index}].{path}")


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_race_three_optimizers_and_see_three_paths_and_a_winner(
    browser: Browser, server: str, lang: str, width: int, height: int
) -> None:
    words = WORDS[lang]
    with learner(browser, width, height) as page:
        page.goto(f"{server}/labs/beans?lang={lang}&method=batch&lr=0.1&w0=0.1&b0=0.1&speed=4")
        expect(page.locator("#conn")).to_have_attribute("data-state", "open")
        page.wait_for_function("document.getElementById('chart-beans').data[0].x.length > 0")
        # the panel offers plain descent, momentum and Adam: start them as they are
        start = page.locator("#race [data-act=start]")
        expect(start).to_have_text(words["start"])
        start.click()
        expect(page.locator("#race .race-table tbody tr")).to_have_count(3)
        assert "race=gd,momentum,adam" in page.url  # the race is in the shareable link
        page.locator("#btn-play").click()
        winner = page.locator("#race .race-winner")
        expect(winner).to_be_visible(timeout=90_000)
        expect(winner).to_contain_text(words["momentum"])
        expect(winner).to_contain_text(words["steps"])
        page.locator("#btn-play").click()  # pause, to look at it
        expect(page.locator("#btn-play")).to_have_attribute("aria-pressed", "false")

        # three paths on the contour map and three curves, each with its own dash and marker
        paths = [trace_len(page, "chart-contour", RACE_BASE + i) for i in range(5)]
        assert all(n > 20 for n in paths[:3]) and paths[3:] == [0, 0], paths
        assert trace_len(page, "chart-contour", 1) == 0  # no single-run path under them
        points = [trace_len(page, "chart-contour", RACE_BASE + 5 + i) for i in range(5)]
        assert points == [1, 1, 1, 0, 0]
        # one point a frame: a handful at least
        assert [trace_len(page, "chart-loss", 1 + i) > 5 for i in range(4)] == [True] * 3 + [False]
        assert [trace_len(page, "chart-surface", 4 + i) > 20 for i in range(3)] == [True] * 3
        dashes = {prop(page, "chart-contour", RACE_BASE + i, "line.dash") for i in range(3)}
        symbols = {prop(page, "chart-contour", RACE_BASE + i, "marker.symbol") for i in range(3)}
        assert len(dashes) == 3 and len(symbols) == 3  # told apart without colour
        arrows = [trace_len(page, "chart-contour", RACE_BASE + 10 + k) for k in range(3)]
        assert arrows[0] == 9 and arrows[2] == 9  # −gradient and step: 3 racers × (2 + gap)
        assert arrows[1] == 6  # a velocity for momentum and Adam, none for plain descent

        # the rule panel shows the racer picked in the standings: Adam's moments
        page.locator("#race [data-act=pick][data-i='2']").click()
        expect(page.locator("#rule")).to_contain_text("m̂ = m / (1 − 0.9ᵗ)")
        expect(page.locator("#rule .rule-who")).to_contain_text("Adam")
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        page.locator(".race-panel").scroll_into_view_if_needed()
        shot(page, f"beans-race-{lang}-{width}")
