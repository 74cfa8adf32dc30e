"""Flow control in a real browser: a page that draws slowly still draws fresh frames."""

from __future__ import annotations

import statistics

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import learner

pytestmark = pytest.mark.browser

# Every frame takes 100 ms more to "draw" (a slow phone), while the server plays at 30
# frames/s. The age of a frame is measured when its drawing ends, from the server's `t`,
# and logged to the console as it happens (an evaluate would wait behind a backlog).
SLOW_DRAWING = """
(dropAcks) => {
  const slot = Object.getOwnPropertyDescriptor(WebSocket.prototype, "onmessage");
  Object.defineProperty(WebSocket.prototype, "onmessage", {
    get() { return slot.get.call(this); },
    set(handler) {
      slot.set.call(this, (ev) => {
        const frame = typeof ev.data === "string" && ev.data.startsWith('{"type":"frame"');
        if (frame) { const end = performance.now() + 100; while (performance.now() < end) {} }
        handler(ev);
        if (frame) console.log("age", Date.now() / 1000 - JSON.parse(ev.data).t);
      });
    },
  });
  if (dropAcks) {  // a client without flow control, for comparison
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      if (!String(data).includes('"op":"ack"')) send.call(this, data);
    };
  }
}
"""


def ages_while_playing(page: Page, server: str, drop_acks: bool) -> list[float]:
    """Ages of the frames drawn in 6 s of play on the neuron lab."""
    ages: list[float] = []
    page.on(
        "console", lambda m: ages.append(float(m.text.split()[1])) if m.text[:4] == "age " else None
    )
    page.add_init_script(f"({SLOW_DRAWING})({str(drop_acks).lower()})")
    page.goto(f"{server}/labs/neuron?lang=en")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    ages.clear()
    page.keyboard.press("Space")
    page.wait_for_timeout(6000)
    return list(ages)


def test_a_slow_page_draws_fresh_frames(browser: Browser, server: str) -> None:
    with learner(browser) as page:
        acked = ages_while_playing(page, server, drop_acks=False)
    with learner(browser) as page:
        unacked = ages_while_playing(page, server, drop_acks=True)
    first, last = acked[: len(acked) // 4], acked[-len(acked) // 4 :]
    # the frames it draws stay about one drawing old, and do not get older
    assert len(acked) > 12 and max(last) < 1.0
    assert statistics.median(last) < statistics.median(first) + 0.1
    # the same page without acks falls behind further every second
    assert unacked[-1] > 2.0 and unacked[-1] > 3 * max(last)
