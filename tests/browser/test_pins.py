"""Pin and compare, as a learner uses it: pin a run, change the learning rate, reset, run
again, and see both runs on the curve chart with the settings that differ, in every lab."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import learner

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "pins"
# lab: (the chart of its curves, the learning rate to change to)
LABS = {
    "beans": ("chart-loss", 0.05),
    "neuron": ("chart-cost", 0.45),
    "circles": ("chart-loss", 0.03),
    "digits": ("chart-loss", 0.3),
}
PIN_NAME = {"en": "A · lr=", "zh": "A · lr="}
LIVE = {"en": "now", "zh": "当前"}


def steps(page: Page, n: int) -> None:
    """``n`` single updates (a frame each, a point each on the curves), then wait for them."""
    start = int(page.locator("#stat-step").inner_text())
    for i in range(1, n + 1):  # one at a time: ops sent at once may be taken together
        page.evaluate("window.descent.session.send('step', {steps: 1})")
        page.wait_for_function(f"window.descent.state.step === {start + i}")


def traces(page: Page, chart: str) -> list[dict[str, Any]]:
    return list(
        page.evaluate(
            f"""() => document.getElementById('{chart}').data.map((d) => ({{
              uid: d.uid ?? '', name: d.name ?? '', mode: d.mode ?? '', n: (d.x ?? []).length,
              dash: d.line?.dash ?? null, legend: d.showlegend !== false }}))"""
        )
    )


def set_lr(page: Page, value: float) -> None:
    box = page.locator(".ctl-lr input.ctl-num")
    box.fill(str(value))
    box.press("Enter")
    page.wait_for_function(f"window.descent.state.params.lr === {value}")


def letters_of(page: Page) -> list[str]:
    return list(
        page.locator("#pin-list li").evaluate_all("(xs) => xs.map((x) => x.dataset.letter)")
    )


def open_lab(page: Page, server: str, lab: str, lang: str) -> None:
    page.goto(f"{server}/labs/{lab}?lang={lang}&speed=1")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    page.wait_for_function("window.descent.state.mounted && window.descent.state.step >= 0")


def pin_change_reset(page: Page, server: str, lab: str, lang: str) -> tuple[str, str]:
    """Pin after 12 steps, change lr, reset, train 8 steps: the two runs to compare."""
    chart, new_lr = LABS[lab]
    open_lab(page, server, lab, lang)
    old_lr = page.locator(".ctl-lr input.ctl-num").input_value()
    steps(page, 12)
    page.locator("#btn-pin").click()
    expect(page.locator("#pin-list li")).to_have_count(1)
    set_lr(page, new_lr)
    page.locator("#btn-reset").click()
    page.wait_for_function("window.descent.state.step === 0")
    steps(page, 8)
    page.wait_for_function(
        f"document.getElementById('{chart}').data[0].x.length >= 6"
    )  # the live curve is drawn
    return old_lr, str(new_lr)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("lab", list(LABS))
def test_pin_change_lr_and_see_two_runs(browser: Browser, server: str, lab: str, lang: str) -> None:
    chart = LABS[lab][0]
    with learner(browser, width=1366, height=768) as page:
        old_lr, new_lr = pin_change_reset(page, server, lab, lang)
        ts = traces(page, chart)
        live = [t for t in ts if not t["uid"].startswith("pin-")]
        pinned = [t for t in ts if t["uid"].startswith("pin-") and "lines" in t["mode"]]
        # the live run (8 steps) and the pinned one (12 steps, dashed) on the same chart
        assert pinned and all(t["dash"] == "dash" for t in pinned)
        assert all(t["name"] == f"A · lr={float(old_lr):g}" for t in pinned)
        assert max(t["n"] for t in pinned) > max(t["n"] for t in live if "lines" in t["mode"])
        assert sum(t["legend"] for t in pinned) == 1  # one legend entry for the pin
        legend = page.locator(f"#{chart} .legend")
        expect(legend).to_be_visible()
        expect(legend).to_contain_text(PIN_NAME[lang])
        # the table of differences: the learning rate, the pin's value and the live one
        label = page.locator(".ctl-lr .ctl-label").inner_text()
        table = page.locator("#pin-diff")
        heads = table.locator("thead th").evaluate_all("(xs) => xs.map((x) => x.textContent)")
        assert heads[1:] == ["A", LIVE[lang]]
        expect(table.locator("tbody tr")).to_have_count(1)
        expect(table.locator("tbody th")).to_have_text(label)
        cells = table.locator("tbody td")
        assert float(cells.nth(0).inner_text()) == float(old_lr)
        assert float(cells.nth(1).inner_text()) == float(new_lr)
        # the pin survived the reset above; and another reset and param change
        page.locator("#btn-reset").click()
        page.wait_for_function("window.descent.state.step === 0")
        set_lr(page, float(old_lr))
        expect(page.locator("#pin-list li")).to_have_count(1)
        expect(table.locator("tbody td.same")).to_be_visible()  # same settings again
        assert any(t["uid"].startswith("pin-") for t in traces(page, chart))


def test_at_most_three_pins_and_a_freed_letter(browser: Browser, server: str) -> None:
    with learner(browser, width=1366, height=768) as page:
        open_lab(page, server, "beans", "en")
        for lr in (0.1, 0.2, 0.05):
            set_lr(page, lr)
            steps(page, 3)
            page.locator("#btn-pin").click()
        assert letters_of(page) == ["A", "B", "C"]
        expect(page.locator("#btn-pin")).to_be_disabled()
        pinned = [t for t in traces(page, "chart-loss") if t["uid"].startswith("pin-")]
        pinned = [t for t in pinned if t["legend"]]
        assert [t["dash"] for t in pinned] == ["dash", "dot", "dashdot"]  # not only colour
        # the table: one row (lr), four columns of values
        expect(page.locator("#pin-diff tbody td")).to_have_text(["0.1", "0.2", "0.05", "0.05"])
        page.locator("#pin-list li[data-letter='B'] .pin-x").click()
        expect(page.locator("#pin-list li")).to_have_count(2)
        expect(page.locator("#btn-pin")).to_be_enabled()
        page.locator("#btn-pin").click()
        assert letters_of(page) == ["A", "B", "C"]


def test_a_saved_comparison_opens_in_another_page(
    browser: Browser, server: str, tmp_path: Path
) -> None:
    with learner(browser, width=1366, height=768) as teacher:
        pin_change_reset(teacher, server, "circles", "en")
        with teacher.expect_download() as got:
            teacher.locator("#btn-pins-save").click()
        saved = tmp_path / "comparison.json"
        got.value.save_as(saved)
        # the run's JSON export carries the pins too, beside the server's record of the run
        with teacher.expect_download() as got:
            teacher.locator("#btn-export-json").click()
        record = json.loads(Path(got.value.path()).read_text("utf-8"))
        assert record["lab"] == "circles" and record["step"] == 8 and len(record["history"]) >= 8
        assert [p["letter"] for p in record["pins"]["pinned"]] == ["A"]
        assert record["pins"]["pinned"][0]["params"]["lr"] == 0.01
        assert record["pins"]["live"]["params"]["lr"] == 0.03
        assert len(record["pins"]["pinned"][0]["data"]["loss"]["train"]["x"]) == 13  # steps 0..12
    with learner(browser, width=1366, height=768) as student:
        open_lab(student, server, "circles", "zh")
        student.locator("#pins-file").set_input_files(str(saved))
        # the teacher's pin and the teacher's live run, both pinned here
        expect(student.locator("#pin-list li")).to_have_count(2)
        plane = student.evaluate(
            "() => document.getElementById('chart-boundary').data.map((d) => [d.uid ?? '', d.type])"
        )
        # each pinned run's boundary: a contour line over the live colours
        assert [t for t in plane if t[0].startswith("pin-") and t[1] == "contour"] == [
            ["pin-0", "contour"],
            ["pin-2", "contour"],
        ]
        expect(student.locator("#pin-diff tbody th")).to_have_text("学习率 α")
        # a file from another lab, and one whose runs this lab cannot draw: refused, said why
        other = tmp_path / "beans.json"
        other.write_text(json.dumps({**json.loads(saved.read_text("utf-8")), "lab": "beans"}))
        student.locator("#pins-file").set_input_files(str(other))
        expect(student.locator("#toast")).to_contain_text("beans")
        broken = json.loads(saved.read_text("utf-8"))
        broken["pins"]["pinned"][0]["data"] = {"loss": 1}
        student.locator("#pin-list li .pin-x").first.click()
        student.locator("#pin-list li .pin-x").first.click()
        other.write_text(json.dumps(broken))
        student.locator("#pins-file").set_input_files(str(other))
        expect(student.locator("#toast")).to_contain_text("不是")
        expect(student.locator("#pin-list li")).to_have_count(0)
