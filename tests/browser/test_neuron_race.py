"""A learner races costs and optimizers from the saturated neuron, in Chinese and English,
on a laptop and a phone (issue 15): three racers, three paths, a winner."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import SHOTS, learner, shot
from tests.browser.test_beans_race import prop, trace_len

pytestmark = pytest.mark.browser

# each chart's first race trace, after its own (app/static/js/labs/neuron.js RACE_BASE)
BASE = {"chart-output": 4, "chart-cost": 2, "chart-sigmoid": 7,
        "chart-surface-quadratic": 5, "chart-surface-cross_entropy": 5}  # fmt: skip
WORDS = {
    "en": {"start": "Start race", "adam": "Adam", "epochs": "after 25 epochs"},
    "zh": {"start": "开始比赛", "adam": "Adam", "epochs": "25 个周期后"},
}


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_race_three_racers_from_the_saturated_start_and_see_three_paths_and_a_winner(
    browser: Browser, server: str, lang: str, width: int, height: int
) -> None:
    words = WORDS[lang]
    with learner(browser, width, height) as page:
        page.goto(f"{server}/labs/neuron?lang={lang}&w0=2&b0=2&speed=2")
        expect(page.locator("#conn")).to_have_attribute("data-state", "open")
        page.wait_for_function("document.getElementById('chart-output').data[0].x.length > 0")
        # the panel offers descent on each cost and Adam on the quadratic one: start them
        start = page.locator("#race [data-act=start]")
        expect(start).to_have_text(words["start"])
        expect(page.locator("#race select[data-field=cost]")).to_have_count(3)
        start.click()
        expect(page.locator("#race .race-table tbody tr")).to_have_count(3)
        assert "race=gd%2Cgd%2Cadam" in page.url or "race=gd,gd,adam" in page.url, page.url
        assert "race_cost=" in page.url  # the race is in the shareable link
        page.locator("#btn-play").click()
        winner = page.locator("#race .race-winner")
        expect(winner).to_be_visible(timeout=90_000)
        expect(winner).to_contain_text(words["adam"])
        expect(winner).to_contain_text(words["epochs"])
        page.wait_for_function("Number(document.getElementById('stat-step').textContent) > 40")
        page.locator("#btn-play").click()  # pause, to look at it
        expect(page.locator("#btn-play")).to_have_attribute("aria-pressed", "false")

        # three curves of a and of the cost, each with its own dash and marker
        out, cost = BASE["chart-output"], BASE["chart-cost"]
        assert [trace_len(page, "chart-output", out + i) > 10 for i in range(5)] == [True] * 3 + [
            False
        ] * 2
        assert [trace_len(page, "chart-cost", cost + i) > 10 for i in range(3)] == [True] * 3
        assert trace_len(page, "chart-output", 0) == 0  # no plain run under them
        dashes = {prop(page, "chart-output", out + i, "line.dash") for i in range(3)}
        symbols = {prop(page, "chart-output", out + i, "marker.symbol") for i in range(3)}
        assert len(dashes) == 3 and len(symbols) == 3  # told apart without colour
        # the finish line and the winner's star on it
        assert trace_len(page, "chart-output", out + 5) >= 2
        assert trace_len(page, "chart-output", out + 6) == 1
        # three paths: the two quadratic racers' on its map, the cross-entropy one's on its own
        q, ce = "chart-surface-quadratic", "chart-surface-cross_entropy"
        assert [trace_len(page, q, BASE[q] + i) > 5 for i in range(3)] == [True, False, True]
        assert [trace_len(page, ce, BASE[ce] + i) > 5 for i in range(3)] == [False, True, False]
        assert [trace_len(page, q, BASE[q] + 5 + i) for i in range(3)] == [1, 0, 1]
        assert trace_len(page, ce, BASE[ce] + 5 + 1) == 1
        sig = BASE["chart-sigmoid"]
        assert [trace_len(page, "chart-sigmoid", sig + i) for i in range(4)] == [1, 1, 1, 0]
        expect(page.locator("#grads .racer")).to_have_count(3)
        expect(page.locator("#race tr.won")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        page.evaluate("scrollTo(0, 0)")  # the sticky header stays on top of a full-page shot
        shot(page, f"neuron-race-{lang}-{width}")
        page.locator(".race-panel").screenshot(
            path=str(SHOTS / f"neuron-race-panel-{lang}-{width}.png")
        )

        # ending the race brings the plain runs back
        page.locator("#race [data-act=stop]").click()
        expect(page.locator("#race .race-table")).to_have_count(0)
        page.wait_for_function("document.getElementById('chart-output').data.length === 4")


def test_pin_a_race_end_it_and_see_the_racers_under_the_plain_runs(
    browser: Browser, server: str
) -> None:
    with learner(browser, 1366, 768) as page:
        page.goto(f"{server}/labs/neuron?lang=en&w0=2&b0=2&race=gd,gd,adam"
                  "&race_cost=quadratic,cross_entropy,quadratic&speed=1")  # fmt: skip
        expect(page.locator("#conn")).to_have_attribute("data-state", "open")
        for k in range(1, 13):
            page.evaluate("window.descent.session.send('step', {steps: 1})")
            page.wait_for_function(f"window.descent.state.step === {k}")
        page.wait_for_function("document.getElementById('chart-output').data[4].x.length >= 10")
        page.locator("#btn-pin").click()
        expect(page.locator("#pin-list li")).to_have_count(1)
        page.locator("#race [data-act=stop]").click()  # back to the plain runs, pin kept
        page.wait_for_function("document.getElementById('chart-output').data.length > 4")
        pinned = page.evaluate(
            """() => document.getElementById('chart-output').data
                 .filter((d) => String(d.uid ?? '').startsWith('pin-') && d.mode.includes('lines'))
                 .map((d) => [d.x.length, d.line.color])"""
        )
        assert len(pinned) == 3 and all(n >= 10 for n, _ in pinned), pinned
        assert len({color for _, color in pinned}) == 3  # each racer in its own colour
        # the quadratic map holds the two quadratic racers' pinned paths, the other map one
        for chart, count in (("chart-surface-quadratic", 2), ("chart-surface-cross_entropy", 1)):
            paths = page.evaluate(
                f"""() => document.getElementById('{chart}').data.filter((d) =>
                      String(d.uid ?? '').startsWith('pin-') && d.mode === 'lines').length"""
            )
            assert paths == count, chart


def test_scrub_a_race_back_before_the_finish_and_resume(browser: Browser, server: str) -> None:
    with learner(browser, 1366, 768) as page:
        page.goto(f"{server}/labs/neuron?lang=en&w0=2&b0=2&race=gd,gd,adam"
                  "&race_cost=quadratic,cross_entropy,quadratic&speed=1")  # fmt: skip
        expect(page.locator("#conn")).to_have_attribute("data-state", "open")
        for k in range(1, 31):
            page.evaluate("window.descent.session.send('step', {steps: 1})")
            page.wait_for_function(f"window.descent.state.step === {k}")
        expect(page.locator("#race .race-winner")).to_contain_text("after 25 epochs")
        page.locator("#tl-range").fill("12")  # back before anyone finished
        expect(page.locator("#stat-step")).to_have_text("12")
        expect(page.locator("#race .race-winner")).to_have_count(0)
        page.wait_for_function(  # each racer's curve ends at epoch 12
            "[4, 5, 6].every((i) => Math.max(...document.getElementById('chart-output')"
            ".data[i].x) === 12)"
        )
        page.locator("#tl-resume").click()
        page.wait_for_function("window.descent.state.step > 26")
        page.keyboard.press("Space")
        expect(page.locator("#race .race-winner")).to_contain_text("after 25 epochs")
