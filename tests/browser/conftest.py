"""Real headless Chromium (Debian's, never a downloaded one) against a live server."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from app.main import create_app
from app.settings import Settings

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# Flags for a sandboxed, offline machine: no background networking, software WebGL
# (SwiftShader) so the 3-D surface renders without a GPU.
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# A presenter's room waits this long for the page to come back (a reload): long enough for
# a reload on a busy machine, short enough for a test to see the room close.
GRACE_S = 6.0


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    with running(create_app(Settings(presenter_grace_s=GRACE_S))) as url:
        yield url


@contextlib.contextmanager
def running(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a free loopback port."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"No Chromium at {CHROMIUM}. Install Debian's: apt-get install chromium "
            "(or set CHROMIUM=/path/to/chromium). Do not run 'playwright install'."
        )
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@contextlib.contextmanager
def learner(
    browser: Browser, width: int = 1440, height: int = 900, bypass_csp: bool = True
) -> Iterator[Page]:
    """A page in a browser context of its own (own storage, own socket); fails on JS errors.

    bypass_csp: Playwright's wait_for_function evaluates strings, which our CSP forbids;
    test_embed.py checks the policy itself in a context that keeps it.
    """
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="en-US", bypass_csp=bypass_csp
    )
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with learner(browser) as pg:
        yield pg


def shot(page: Page, name: str) -> Path:
    """Save a screenshot for a human to look at (artifacts/screenshots/<name>.png)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
