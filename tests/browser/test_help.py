"""The "?" beside a panel's title: its text shows on a tap or a key, not only on a mouse's
hover (a phone never shows a `title` tooltip)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import learner, shot

pytestmark = pytest.mark.browser


def test_a_tap_on_the_question_mark_shows_its_help(browser: Browser, server: str) -> None:
    with learner(browser, 390, 844) as phone:
        phone.goto(f"{server}/labs/neuron?lang=zh")
        expect(phone.locator("#conn")).to_have_attribute("data-state", "open")
        mark = phone.locator("figcaption .help").first
        mark.scroll_into_view_if_needed()
        mark.click()
        tip = phone.locator("#help-tip")
        expect(tip).to_be_visible()
        expect(tip).to_have_text(str(mark.get_attribute("title")))
        assert len(tip.inner_text()) > 10  # a sentence, in Chinese
        box = tip.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        shot(phone, "help-tip-zh-390")
        phone.locator("h1, .intro").first.click()  # a tap elsewhere
        expect(tip).to_be_hidden()
        mark.click()
        expect(tip).to_be_visible()
        mark.click()  # the "?" again: closed
        expect(tip).to_be_hidden()


def test_the_keyboard_opens_and_closes_it_without_playing(browser: Browser, server: str) -> None:
    with learner(browser, 1366, 768) as page:
        page.goto(f"{server}/labs/circles?lang=en")
        expect(page.locator("#conn")).to_have_attribute("data-state", "open")
        mark = page.locator("figcaption .help").first
        mark.focus()
        page.keyboard.press(" ")  # Space on the "?" is for the help, not the player
        tip = page.locator("#help-tip")
        expect(tip).to_be_visible()
        expect(page.locator("#btn-play")).to_have_attribute("aria-pressed", "false")
        page.keyboard.press("Escape")
        expect(tip).to_be_hidden()
        page.keyboard.press("Enter")
        expect(tip).to_be_visible()
        page.locator("#lang-toggle").click()  # its text was English: it closes
        expect(tip).to_be_hidden()
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
