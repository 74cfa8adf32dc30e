"""A whole lesson from the class view: 1 teacher, 3 students (one on a phone) and a projector.

Each in a browser context of their own, against one real server.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import learner, shot

pytestmark = pytest.mark.browser
SLOW = 20_000  # ms: four live sessions share two busy cores
STUDENTS = [("Ada", 1280, 800), ("Bo", 1280, 800), ("", 390, 844)]  # "" → a generated name


@pytest.fixture
def people(browser: Browser) -> Iterator[list[Page]]:
    """Three students and a projector, each in a browser context of its own."""
    with ExitStack() as stack:
        pages = [stack.enter_context(learner(browser, w, h)) for _, w, h in STUDENTS]
        pages.append(stack.enter_context(learner(browser, 1280, 720)))
        yield pages


def join(student: Page, server: str, code: str, name: str) -> None:
    """Join by the typed code (lower case, with a space), then fork."""
    student.goto(f"{server}/?lang=en")
    student.locator("#join-code").fill(f"{code[:3].lower()} {code[3:].lower()}")
    student.locator("#join-name").fill(name)
    student.locator("#join-go").click()
    banner = student.locator("#follow-banner")
    expect(banner).to_contain_text(f"Following room {code}", timeout=SLOW)
    student.locator("#btn-fork").click()
    expect(student.locator("#class-banner")).to_contain_text(f"In class {code} as", timeout=SLOW)


def tile(teacher: Page, name: str) -> Locator:
    return teacher.locator(".tile").filter(has=teacher.locator(".tile-name", has_text=name))


def test_a_lesson_from_the_class_view(page: Page, people: list[Page], server: str) -> None:
    teacher, students, projector = page, people[:3], people[3]
    teacher.set_viewport_size({"width": 1366, "height": 768})
    teacher.goto(f"{server}/labs/circles?lang=en&hidden=8,8")
    expect(teacher.locator("#conn")).to_have_attribute("data-state", "open")
    teacher.locator("#btn-present").click()
    expect(teacher.locator("#present-code")).to_have_text(re.compile(r"^[A-Z2-9]{5}$"))
    code = teacher.locator("#present-code").inner_text()
    link = teacher.locator("#present-link").input_value()
    expect(teacher.locator("#present-dialog")).to_contain_text("/join")
    teacher.keyboard.press("Escape")

    # 1. the students join by typed code and fork; the projector follows
    for student, (name, _, _) in zip(students, STUDENTS, strict=True):
        join(student, server, code, name)
    generated = students[2].locator("#class-banner-text").inner_text()
    made_up = re.search(r" as (.+)\.$", generated)
    assert made_up and re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", made_up.group(1))
    projector.goto(link)
    expect(projector.locator("#follow-banner")).to_contain_text("Following room", timeout=SLOW)

    # 2. each changes a different param, then plays
    ada, bo, third = students
    box = ada.locator(".ctl-lr input.ctl-num")
    box.fill("3")
    box.press("Enter")
    bo.locator(".ctl-activation select").select_option("sigmoid")
    box = third.locator(".ctl-batch_size input.ctl-num")
    box.fill("30")
    box.press("Enter")
    for student in students:
        expect(student.locator("#conn")).to_have_attribute("data-state", "open")
        student.locator("#btn-play").click()
        expect(student.locator("#btn-play")).to_have_attribute("aria-pressed", "true")

    # 3. the teacher sees three tiles with the right chips
    teacher.locator("#tab-class").click()
    expect(teacher.locator(".tile")).to_have_count(3, timeout=SLOW)
    expect(tile(teacher, "Ada").locator(".pchip")).to_have_text(["lr 3.0"], timeout=SLOW)
    expect(tile(teacher, "Bo").locator(".pchip")).to_have_text(["ReLU → Sigmoid"], timeout=SLOW)
    expect(tile(teacher, made_up.group(1)).locator(".pchip")).to_have_text(["batch_size 30"])
    teacher.wait_for_function(  # the steps move, and every picture has been drawn
        "[...document.querySelectorAll('.tile')].every(t => {"
        " const c = t.querySelector('.tile-pic'); const d = c.getContext('2d')"
        "   .getImageData(0, 0, c.width, c.height).data;"
        " return Number(t.querySelector('.tile-step').textContent.split(' ').pop()) > 0"
        "   && d.some((v, i) => i % 4 === 3 && v > 0); })",
        timeout=SLOW,
    )
    expect(teacher.locator("#class-count")).to_have_text("3")
    shot(teacher, "classview-tiles-en")

    # 4. spotlight Bo: the projector (and any follower) shows his run, with his name
    tile(teacher, "Bo").locator(".btn-spot").click()
    expect(projector.locator("#follow-banner")).to_contain_text("Spotlight: Bo's run", timeout=SLOW)
    expect(projector.locator(".ctl-activation select")).to_have_value("sigmoid", timeout=SLOW)
    expect(ada.locator("#class-toast")).to_contain_text("The projector shows Bo's run")
    expect(bo.locator("#class-toast")).to_contain_text("Your run is on the projector")
    expect(teacher.locator("#class-spot")).to_contain_text("Spotlight: Bo")
    shot(projector, "classview-spotlight-projector-en")
    teacher.locator("#cv-anon").check()  # the projector loses the name
    expect(projector.locator("#follow-banner")).to_contain_text("a student's run", timeout=SLOW)

    # 5. pause all: every student's play stops; push a lesson: everyone's params change
    teacher.locator("#cv-pause").click()
    for student in students:
        play = student.locator("#btn-play")
        expect(play).to_have_attribute("aria-pressed", "false", timeout=SLOW)
        expect(student.locator("#class-toast")).to_contain_text("paused")
    teacher.locator("#cv-preset").select_option("too_high")
    teacher.locator("#cv-push").click()
    for student in students:
        expect(student.locator(".ctl-optimizer select")).to_have_value("sgd", timeout=SLOW)
        expect(student.locator(".ctl-lr input.ctl-num")).to_have_value(re.compile(r"^3(\.0+)?$"))
        expect(student.locator(".ctl-activation select")).to_have_value("relu")
        expect(student.locator("#class-toast-undo")).to_be_visible()
    shot(third, "classview-student-phone-pushed-en")
    bo.locator("#class-toast-undo").click()  # Bo takes his own settings back
    expect(bo.locator(".ctl-activation select")).to_have_value("sigmoid", timeout=SLOW)
    # the teacher's chips follow: everyone but Bo runs the lesson's settings now
    teacher.locator("#cv-anon").uncheck()
    expect(tile(teacher, "Ada").locator(".pchip")).to_contain_text(["lr 3.0"], timeout=SLOW)
    # and Bo's tile has his undo (summaries come twice a second): the CSV is made from tiles
    expect(tile(teacher, "Bo").locator(".pchip")).to_contain_text(["ReLU → Sigmoid"], timeout=SLOW)

    # 6. the results as CSV, one row per student
    with teacher.expect_download() as got:
        teacher.locator("#cv-csv").click()
    assert got.value.suggested_filename == f"class_{code}_results.csv"
    text = Path(got.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["name"] for r in rows) == sorted(["Ada", "Bo", made_up.group(1)])
    for row in rows:  # the lesson restarted their runs, paused: as their tiles show
        shown = tile(teacher, row["name"]).locator(".tile-step").inner_text()
        assert shown == f"Step {row['step']}" and row["state"] in ("paused", "stuck", "diverged")
        assert row["train_loss"] == "" or float(row["train_loss"]) >= 0  # empty if it diverged
    by_name = {r["name"]: r for r in rows}
    for name in ("Ada", made_up.group(1)):  # the lesson's settings
        assert by_name[name]["optimizer"] == "sgd" and float(by_name[name]["lr"]) == 3.0
    bo_row = by_name["Bo"]  # his own again, after his undo
    assert (bo_row["activation"], bo_row["optimizer"]) == ("sigmoid", "adam")

    # the same class view in Chinese, switched in place
    teacher.locator("#lang-toggle").click()
    expect(teacher.locator("#tab-class")).to_contain_text("全班")
    expect(tile(teacher, "Bo").locator(".tile-state")).not_to_have_text("")
    shot(teacher, "classview-tiles-zh")
    teacher.set_viewport_size({"width": 390, "height": 844})
    shot(teacher, "classview-tiles-phone-zh")
    third.locator("#lang-toggle").click()
    expect(third.locator("#class-banner")).to_contain_text("你在课堂")
    shot(third, "classview-student-phone-zh")

    # a student leaves the class: their tile goes, their session goes on
    ada.locator("#class-leave").click()
    expect(ada.locator("#class-banner")).to_be_hidden()
    expect(teacher.locator(".tile")).to_have_count(2, timeout=SLOW)
