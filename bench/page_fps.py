"""Frames a second a lab page plays at in headless Chromium (no GPU), laptop and phone.

    python -m bench.page_fps [--labs beans neuron …] [--seconds 5]

The server sends a frame when the page has painted the one before (``ack``), so a page
that takes long to redraw its charts gets fewer frames. For each lab and viewport: a cold
page at its defaults, Play, 2 s to settle, then the frames received over ``--seconds``.
Headless Chromium here has no GPU (SwiftShader for WebGL, software paint), like a cheap
school laptop: a machine with a GPU does better.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from playwright.sync_api import WebSocket, sync_playwright

from bench.stream import free_port

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
VIEWPORTS = {"laptop": (1366, 768), "phone": (390, 844)}


def frames_per_second(browser: object, base: str, lab: str, size: tuple[int, int],
                      seconds: float) -> float:  # fmt: skip
    ctx = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": size[0], "height": size[1]}, bypass_csp=True
    )
    page = ctx.new_page()
    arrived: list[float] = []

    def frame(data: object) -> None:
        if str(data)[:24].replace(" ", "").startswith('{"type":"frame"'):
            arrived.append(time.perf_counter())

    def watch(ws: WebSocket) -> None:
        ws.on("framereceived", frame)

    page.on("websocket", watch)
    page.goto(f"{base}/labs/{lab}?lang=en")
    page.wait_for_function("document.body.dataset.charts === 'all'", timeout=30_000)
    page.wait_for_timeout(1000)
    page.keyboard.press("Space")
    page.wait_for_timeout(2000)
    before, start = len(arrived), time.perf_counter()
    page.wait_for_timeout(seconds * 1000)
    rate = (len(arrived) - before) / (time.perf_counter() - start)
    ctx.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.page_fps", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--labs", nargs="+", default=["beans", "circles", "digits", "neuron"])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "app", "--port", str(port), "--workers", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        time.sleep(3)
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        print(f"{'lab':8} " + " ".join(f"{name:>14}" for name in VIEWPORTS))
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            for lab in args.labs:
                base = f"http://127.0.0.1:{port}"
                rates = [frames_per_second(browser, base, lab, size, args.seconds)
                         for size in VIEWPORTS.values()]  # fmt: skip
                print(f"{lab:8} " + " ".join(f"{r:11.1f} /s" for r in rates), flush=True)
            browser.close()
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
