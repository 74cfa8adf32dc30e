"""Issue 15 figures: what a 3-pin circles comparison costs against the single run.

    python -m bench.pins [--seconds 8] [--rounds 3]

Pins live in the page (js/lib/pins.js): the server trains and sends exactly what it
would without them. This measures both sides while the circles lab plays at its defaults
in headless Chromium, alternating rounds of the single run (no pins) and of the same run
with 3 pins (pinned from the live run after 100, 200 and 300 steps, so each pin holds
real curves and a boundary):

- **server**: CPU seconds of the server process (one worker, its own process) per frame
  sent, from /proc; the two should agree within noise;
- **page**: the renderer's main-thread busy time (Chrome's TaskDuration, and its
  ScriptDuration and LayoutDuration parts) per frame received and per second, from the
  DevTools Performance domain: what drawing the pins costs the learner's machine;
- **redraw**: then, paused, the time of one redraw of each chart the pins are on (the
  restyle a frame causes: the plane's colours, a curve), median of 15, with and without
  the pins: less at the mercy of the frame rate than the figures per frame.

Medians over the rounds. Run it on a quiet machine: every figure is a CPU time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import CDPSession, Page, sync_playwright

from bench.stream import free_port

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")
# counts the frames the page receives (the page's own handler still runs)
COUNT_FRAMES = """() => {
  const h = window.descent.session.handlers, frame = h.frame;
  window.benchFrames = 0;
  h.frame = (m) => { window.benchFrames++; frame(m); };
}"""

# the pins taken out of the page (and given back): the same run, drawn with and without them
UNPIN = "() => { const p = window.descent.pins, out = p.list.splice(0); p.redraw(); return out; }"
REPIN = "(ps) => { window.descent.pins.list.push(...ps); window.descent.pins.redraw(); }"

# one chart's redraw as a frame causes it (its trace 0 restyled), median ms of `n`
REDRAW = """async (n) => {
  const out = {};
  for (const id of ["chart-boundary", "chart-loss", "chart-acc"]) {
    const gd = document.getElementById(id), ts = [];
    const key = gd.data[0].type === "heatmap" ? "z" : "y";
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await Plotly.restyle(gd, { [key]: [gd.data[0][key]] }, [0]);
      ts.push(performance.now() - t0);
    }
    out[id.replace("chart-", "") + " redraw ms"] = ts.sort((a, b) => a - b)[n >> 1];
  }
  return out;
}"""


@contextlib.contextmanager
def server() -> Iterator[tuple[str, int]]:
    port = free_port()
    cmd = [sys.executable, "-m", "app", "--port", str(port), "--workers", "1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def metrics(cdp: CDPSession) -> dict[str, float]:
    got = cdp.send("Performance.getMetrics")["metrics"]
    return {m["name"]: float(m["value"]) for m in got}


def play_until(page: Page, step: int) -> None:
    page.wait_for_function(f"window.descent.state.step >= {step}", timeout=120_000)


def measure(page: Page, cdp: CDPSession, pid: int, seconds: float) -> dict[str, float]:
    """Play for ``seconds``; the costs per frame (ms) and the frames per second."""
    frames0 = page.evaluate("window.benchFrames")
    m0, cpu0, t0 = metrics(cdp), cpu_seconds(pid), time.monotonic()
    page.wait_for_timeout(seconds * 1000)
    frames = page.evaluate("window.benchFrames") - frames0
    m1, cpu1, dt = metrics(cdp), cpu_seconds(pid), time.monotonic() - t0
    per = 1000 / max(frames, 1)
    return {
        "fps": frames / dt,
        "server ms/frame": (cpu1 - cpu0) * per,
        "page ms/frame": (m1["TaskDuration"] - m0["TaskDuration"]) * per,
        "script ms/frame": (m1["ScriptDuration"] - m0["ScriptDuration"]) * per,
        "layout ms/frame": (m1["LayoutDuration"] - m0["LayoutDuration"]) * per,
        "page busy %": 100 * (m1["TaskDuration"] - m0["TaskDuration"]) / dt,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    results: dict[str, list[dict[str, float]]] = {"single run": [], "3 pins": []}
    with server() as (url, pid), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, bypass_csp=True)
        page.goto(f"{url}/labs/circles?lang=en")
        page.wait_for_function("window.descent.state.mounted && window.descent.state.step >= 0")
        page.evaluate(COUNT_FRAMES)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
        page.keyboard.press("Space")
        for step in (100, 200, 300):
            play_until(page, step)
            page.locator("#btn-pin").click()
        pinned = page.evaluate("window.descent.pins.list.map((p) => p.letter)")
        assert pinned == ["A", "B", "C"], pinned
        kept = page.evaluate(UNPIN)  # out of view, kept here

        for _ in range(args.rounds):
            results["single run"].append(measure(page, cdp, pid, args.seconds))
            page.evaluate(REPIN, kept)
            results["3 pins"].append(measure(page, cdp, pid, args.seconds))
            page.evaluate(UNPIN)
        page.keyboard.press("Space")  # pause: the redraws alone
        page.wait_for_function("!window.descent.state.running")
        redraws: dict[str, list[dict[str, float]]] = {"single run": [], "3 pins": []}
        for _ in range(args.rounds):
            redraws["single run"].append(page.evaluate(REDRAW, 15))
            page.evaluate(REPIN, kept)
            redraws["3 pins"].append(page.evaluate(REDRAW, 15))
            page.evaluate(UNPIN)
        browser.close()
    keys = list(results["single run"][0])
    print(f"circles at its defaults, {args.rounds} rounds of {args.seconds:g} s each, medians")
    print(f"{'':18}" + "".join(f"{k:>18}" for k in keys))
    for name, rows in results.items():
        med = [statistics.median(r[k] for r in rows) for k in keys]
        print(f"{name:18}" + "".join(f"{v:18.2f}" for v in med))
    keys = list(redraws["single run"][0])
    print("\npaused, one chart's redraw (median of 15 per round, then of the rounds)")
    print(f"{'':18}" + "".join(f"{k:>22}" for k in keys))
    for name, rows in redraws.items():
        med = [statistics.median(r[k] for r in rows) for k in keys]
        print(f"{name:18}" + "".join(f"{v:22.2f}" for v in med))


if __name__ == "__main__":
    main()
