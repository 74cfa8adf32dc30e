"""What a teacher and a student see while the classroom service (Redis) is down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from app.main import create_app
from app.settings import Settings
from tests.browser.conftest import learner, running, shot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def no_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server told to keep its rooms in a Redis that is not there."""
    missing = tmp_path_factory.mktemp("redis") / "none.sock"
    with running(create_app(Settings(redis_url=f"unix://{missing}"))) as url:
        yield url


def test_present_says_the_service_is_down_and_the_lab_goes_on(
    browser: Browser, no_redis: str
) -> None:
    with learner(browser, 1366, 768) as teacher:
        teacher.goto(f"{no_redis}/labs/beans?lang=en")
        expect(teacher.locator("#conn")).to_have_attribute("data-state", "open")
        teacher.locator("#btn-present").click()
        expect(teacher.locator(".toast").last).to_contain_text("classroom service is down")
        teacher.keyboard.press("s")  # one step: the private session is untouched
        expect(teacher.locator("#stat-step")).to_have_text("1")


def test_a_student_sees_why_the_room_cannot_be_reached(browser: Browser, no_redis: str) -> None:
    with learner(browser, 390, 844) as student:
        student.goto(f"{no_redis}/labs/beans?lang=zh&follow=ABCDE")
        banner = student.locator("#follow-banner")
        expect(banner).to_have_attribute("data-kind", "unavailable")
        expect(banner).to_contain_text("暂时连不上房间 ABCDE")
        expect(student.locator("#follow-alone")).to_be_visible()
        shot(student, "rooms-unavailable-zh-phone")
