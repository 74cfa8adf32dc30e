"""Rewind in headless Chromium (issue 15): scrub back, see that step; diverge, go back, resume.

The page's own frames are the oracle: every frame the server sent while the run
played is recorded by step, and after a scrub the step counter, the loss shown and
the curves must be those of the frame the run showed at that step.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import learner, shot

pytestmark = pytest.mark.browser

LABS = {
    "beans": "chart-loss",
    "circles": "chart-loss",
    "neuron": "chart-cost",
    "digits": "chart-loss",
}
RECORD = """() => {
  const seen = (window.__frames = {});
  const handlers = window.descent.session.handlers, shown = handlers.frame;
  handlers.frame = (f) => { if (!f.rewind) seen[f.step] = f.loss.train; shown(f); };
}"""


def open_lab(page: Page, server: str, lab: str, query: str) -> None:
    page.goto(f"{server}/labs/{lab}?{query}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    page.wait_for_function("window.descent.state.mounted && window.descent.state.step === 0")
    page.evaluate(RECORD)


def play_to(page: Page, step: int) -> int:
    """Play until past ``step``, pause; the step it stopped at."""
    page.keyboard.press("Space")
    page.wait_for_function(
        f"Number(document.getElementById('stat-step').textContent) > {step}", timeout=60_000
    )
    page.keyboard.press("Space")
    expect(page.locator("#btn-play")).to_have_attribute("aria-pressed", "false")
    page.wait_for_timeout(300)  # a frame already on its way
    return int(page.locator("#stat-step").inner_text())


def curve_end(page: Page, chart: str) -> float:
    """The last step any curve of ``chart`` reaches."""
    return float(page.evaluate(CURVE_END.format(chart=chart)))


CURVE_END = (
    "Math.max(...document.getElementById('{chart}').data"
    ".map((t) => Math.max(...Array.from(t.x ?? []).filter(Number.isFinite))))"
)


def shows_step(page: Page, step: int, frames: dict[str, Any], chart: str) -> None:
    """The counter, the loss (every digit, in its tooltip) and the curves are at ``step``."""
    expect(page.locator("#stat-step")).to_have_text(str(step))
    loss = page.locator("#stat-loss").get_attribute("title")
    assert loss == page.evaluate("(v) => String(v)", frames[str(step)])
    # the curves are redrawn at the next animation frame, or a little later (digits)
    page.wait_for_function(f"{CURVE_END.format(chart=chart)} === {step}")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("lab", list(LABS))
def test_scrubbing_back_shows_the_charts_at_that_step(
    page: Page, server: str, lab: str, lang: str
) -> None:
    open_lab(page, server, lab, f"lang={lang}&speed=1")
    last = play_to(page, 30)
    frames = page.evaluate("window.__frames")
    assert curve_end(page, LABS[lab]) == last
    page.locator("#tl-range").fill("12")  # the learner drags the timeline back
    shows_step(page, 12, frames, LABS[lab])
    where = page.locator("#tl-where")
    expect(where).to_have_text(f"step 12 of {last}" if lang == "en" else f"第 12 步，共 {last} 步")
    expect(page.locator("#tl-resume")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    shows_step(page, 11, frames, LABS[lab])
    page.keyboard.press("ArrowRight")  # forward through the steps already run
    shows_step(page, 12, frames, LABS[lab])
    shot(page, f"rewind-{lab}-{lang}-scrubbed")
    page.locator("#tl-newest").click()
    shows_step(page, last, frames, LABS[lab])
    expect(page.locator("#tl-resume")).to_be_hidden()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_resuming_from_an_earlier_step_branches_the_curves(
    page: Page, server: str, lang: str
) -> None:
    open_lab(page, server, "circles", f"lang={lang}&speed=1")
    play_to(page, 25)
    page.locator("#tl-range").fill("10")
    expect(page.locator("#stat-step")).to_have_text("10")
    box = page.locator(".ctl-lr input.ctl-num")
    box.fill("0.002")  # a new rate before resuming applies from step 10
    box.press("Enter")
    page.locator("#tl-resume").click()
    page.wait_for_function("Number(document.getElementById('stat-step').textContent) > 14")
    page.keyboard.press("Space")
    steps = page.evaluate("Array.from(document.getElementById('chart-loss').data[0].x)")
    assert steps == sorted(steps) and steps[:11] == list(range(11))  # one line, no old branch
    record = export_json(page)
    assert [c["step"] for c in record["changes"]] == [10]
    assert record["changes"][0]["values"] == {"lr": 0.002}
    expect(page.locator("#tl-rewound")).to_be_hidden()


def export_json(page: Page) -> dict[str, Any]:
    with page.expect_download() as download:
        page.locator("#btn-export-json").click()
    data: dict[str, Any] = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(("lang", "size"), [("en", (1366, 768)), ("zh", (390, 844))])
def test_diverge_go_back_and_resume_with_half_the_rate(
    browser: Browser, server: str, lang: str, size: tuple[int, int]
) -> None:
    with learner(browser, *size) as page:
        # beans' "learning rate too large" lesson: down a dozen steps, then it blows up
        open_lab(page, server, "beans", f"lang={lang}&method=batch&lr=0.8&w0=4&b0=-1.5&speed=20")
        start = float(page.locator("#stat-loss").get_attribute("title") or "nan")  # step 0
        page.keyboard.press("Space")
        banner = page.locator("#diverged")
        expect(banner).to_be_visible(timeout=90_000)
        blown = int(page.locator("#stat-step").inner_text())
        shot(page, f"rewind-beans-{lang}-{size[0]}-diverged")
        page.locator("#btn-diverged-back").click()
        expect(banner).to_be_hidden()
        expect(page.locator("#tl-rewound")).to_be_visible()
        healthy = int(page.locator("#stat-step").inner_text())
        assert 0 < healthy < blown
        frames = page.evaluate("window.__frames")
        loss = frames[str(healthy)]
        assert loss <= start and page.locator("#stat-loss").get_attribute("title") == str(loss)
        # half the rate, in the box, offered: not yet in force
        expect(page.locator(".ctl-lr input.ctl-num")).to_have_value("0.400")
        expect(page.locator("#tl-suggest")).to_contain_text("0.4")
        assert page.evaluate("window.descent.state.params.lr") == 0.8
        shot(page, f"rewind-beans-{lang}-{size[0]}-went-back")
        page.locator("#tl-resume").click()
        page.wait_for_function(
            f"Number(document.getElementById('stat-step').textContent) > {healthy + 60}",
            timeout=60_000,
        )
        page.keyboard.press("Space")
        expect(banner).to_be_hidden()
        assert page.evaluate("window.descent.state.params.lr") == 0.4
        costs = page.evaluate("Array.from(document.getElementById('chart-loss').data[0].y)")
        assert max(costs) <= start  # the blown-up steps are gone from the curve
        assert costs[-1] < 0.01  # half the rate converges
        scroll = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert scroll <= 0  # nothing sideways on a phone
        shot(page, f"rewind-beans-{lang}-{size[0]}-resumed")


def test_a_follower_sees_the_presenters_step_back(
    page: Page, browser: Browser, server: str
) -> None:
    open_lab(page, server, "neuron", "lang=en&speed=1")
    play_to(page, 20)
    page.locator("#btn-present").click()
    expect(page.locator("#present-code")).not_to_have_text("—")
    link = page.locator("#present-link").input_value()
    page.keyboard.press("Escape")
    with learner(browser, 390, 844) as student:
        student.goto(link)
        expect(student.locator("#conn")).to_have_attribute("data-state", "open")
        page.locator("#tl-range").fill("7")
        expect(page.locator("#stat-step")).to_have_text("7")
        expect(student.locator("#stat-step")).to_have_text("7")
        expect(student.locator("#tl-range")).to_be_disabled()  # a follower only watches
        assert curve_end(student, "chart-cost") <= 7
        shot(student, "rewind-neuron-follower-phone")
