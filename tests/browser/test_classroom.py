"""A teacher presents, a student follows, forks, and the room closes: two real pages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import GRACE_S, learner, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def student(browser: Browser) -> Iterator[Page]:
    """A second learner, in a browser context of their own."""
    with learner(browser, 1280, 800) as pg:
        yield pg


def steps(page: Page) -> int:
    return int(page.locator("#stat-step").inner_text())


def open_beans(page: Page, server: str, query: str) -> None:
    page.goto(f"{server}/labs/beans?{query}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")


def present(teacher: Page) -> tuple[str, str]:
    teacher.locator("#btn-present").click()
    dialog = teacher.locator("#present-dialog")
    expect(dialog).to_be_visible()
    expect(teacher.locator("#present-code")).to_have_text(re.compile(r"^[A-Z2-9]{5}$"))
    code = teacher.locator("#present-code").inner_text()
    link = teacher.locator("#present-link").input_value()
    assert f"/labs/beans?follow={code}" in link
    # the QR code is a real image the browser decoded, not an empty box
    teacher.wait_for_function("document.getElementById('present-qr').naturalWidth > 0")
    return code, link


def test_present_follow_and_fork(page: Page, student: Page, server: str) -> None:
    teacher = page
    open_beans(teacher, server, "lang=en&method=sgd&speed=3")
    code, link = present(teacher)
    shot(teacher, "classroom-present-dialog")
    teacher.keyboard.press("Escape")
    expect(teacher.locator("#btn-present")).to_contain_text("Presenting")

    student.goto(link)
    banner = student.locator("#follow-banner")
    expect(banner).to_contain_text(f"Following room {code}")
    expect(student.locator(".ctl-lr input.ctl-num")).to_be_disabled()
    expect(student.locator("#btn-play")).to_be_disabled()
    expect(student.locator("#share")).to_be_hidden()

    # The teacher plays and changes the rate: the student sees both, live.
    teacher.keyboard.press("Space")
    student.wait_for_function("Number(document.getElementById('stat-step').textContent) > 20")
    box = teacher.locator(".ctl-lr input.ctl-num")
    box.fill("0.05")
    box.press("Enter")
    expect(student.locator(".ctl-lr input.ctl-num")).to_have_value("0.050")
    student.keyboard.press("Space")  # locked: nothing happens, no error
    teacher.locator("#btn-play").click()  # pause (the focus is still in the box)
    expect(teacher.locator("#btn-play")).to_have_attribute("aria-pressed", "false")
    at = steps(teacher)
    expect(student.locator("#stat-step")).to_have_text(str(at))
    shot(student, "classroom-following")

    # Fork: the student's own session, from the teacher's state at the same step.
    line = "() => JSON.stringify(document.getElementById('chart-beans').data[2].y)"
    drawn = "window.descent.allDrawn()"  # charts draw on a budget: none still waiting
    teacher.wait_for_function(drawn, polling=100)
    teachers_line = teacher.evaluate(line)
    student.locator("#btn-fork").click()
    expect(banner).to_be_hidden()
    expect(student.locator(".ctl-lr input.ctl-num")).to_be_enabled()
    student.wait_for_function(drawn, polling=100)
    assert steps(student) == at and student.evaluate(line) == teachers_line
    assert "follow=" not in student.url and "lr=0.05" in student.url
    student.locator("#btn-step").click()
    expect(student.locator("#stat-step")).to_have_text(str(at + 1))
    assert steps(teacher) == at  # independent now
    shot(student, "classroom-forked")


def test_room_closed_then_fork(page: Page, student: Page, server: str) -> None:
    teacher = page
    open_beans(teacher, server, "lang=zh")
    code, link = present(teacher)
    teacher.keyboard.press("Escape")
    teacher.locator("#btn-step").click()
    teacher.locator("#btn-step").click()
    student.goto(link)
    expect(student.locator("#stat-step")).to_have_text("2")
    teacher.close()  # the teacher leaves, and does not come back within the grace
    banner = student.locator("#follow-banner")
    expect(banner).to_contain_text(f"房间 {code} 已关闭", timeout=(GRACE_S + 10) * 1000)
    shot(student, "classroom-closed-zh")
    student.locator("#btn-fork").click()
    expect(banner).to_be_hidden()
    student.locator("#btn-step").click()
    expect(student.locator("#stat-step")).to_have_text("3")


def test_a_teacher_who_reloads_keeps_the_room_and_the_run(
    page: Page, student: Page, server: str
) -> None:
    teacher = page
    open_beans(teacher, server, "lang=en")
    code, link = present(teacher)
    teacher.keyboard.press("Escape")
    for _ in range(3):
        teacher.locator("#btn-step").click()
    student.goto(link)
    expect(student.locator("#stat-step")).to_have_text("3")
    teacher.reload()  # by mistake, mid-lesson
    expect(teacher.locator("#btn-present")).to_contain_text("Presenting")
    expect(teacher.locator("#toast")).to_contain_text(f"presenting room {code} again")
    expect(teacher.locator("#stat-step")).to_have_text("3")  # the run, not a new one
    expect(teacher.locator("#present-dialog")).to_be_hidden()
    shot(teacher, "classroom-reloaded")
    teacher.locator("#btn-step").click()
    expect(student.locator("#stat-step")).to_have_text("4")  # the students still follow
    expect(student.locator("#follow-banner")).to_contain_text(f"Following room {code}")
    teacher.locator("#btn-present").click()  # the dialog still has the room's link
    expect(teacher.locator("#present-code")).to_have_text(code)


def test_an_unknown_room(student: Page, server: str) -> None:
    student.goto(f"{server}/labs/beans?follow=QQQQQ&lang=en")
    banner = student.locator("#follow-banner")
    expect(banner).to_contain_text("No room QQQQQ is open")
    alone = student.locator("#follow-alone")
    expect(alone).to_be_visible()
    alone.click()
    expect(student.locator("#conn")).to_have_attribute("data-state", "open")
    expect(student.locator("#follow-banner")).to_be_hidden()
    expect(student.locator("#btn-play")).to_be_enabled()


def test_export_downloads_a_script(page: Page, server: str) -> None:
    open_beans(page, server, "lang=en")
    page.locator("#btn-step").click()
    expect(page.locator("#stat-step")).to_have_text("1")
    with page.expect_download() as got:
        page.locator("#btn-export-python").click()
    download = got.value
    assert download.suggested_filename == "beans_step1.py"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert "PARAMS = {" in text and "STEPS = 1" in text
    with page.expect_download() as got:
        page.locator("#btn-export-json").click()
    assert got.value.suggested_filename == "beans_step1.json"


def test_a_network_blip_keeps_the_presentation_and_a_lost_room_says_so(
    page: Page, server: str
) -> None:
    open_beans(page, server, "lang=en")
    code, _ = present(page)
    page.keyboard.press("Escape")
    expect(page.locator("#btn-present")).to_contain_text("Presenting")
    page.evaluate("window.descent.session.ws.close()")  # a network blip: a new session
    expect(page.locator("#toast")).to_contain_text(f"presenting room {code} again")
    expect(page.locator("#btn-present")).to_contain_text("Presenting")
    # a room that cannot come back (here: its key no longer matches) is said to be closed
    stale = json.dumps({"room": code, "key": "x"})
    page.evaluate("s => sessionStorage.setItem('descent.present.beans', s)", stale)
    page.evaluate("window.descent.session.ws.close()")
    expect(page.locator("#btn-present")).to_have_text(re.compile(r"Present$"))
    expect(page.locator("#toast")).to_contain_text("room closed")
