"""Issue 14 figures: what a cold page load costs, before and after the small Plotly bundle.

    python -m bench.page_weight [--runs 5] [--class-size 30] [--before REV] [--labs beans ...]

Two servers run side by side on loopback, one worker each:

- **after**: this working tree (the custom bundle, precompressed static files, Plotly
  deferred while the socket opens);
- **before**: the app at ``REV`` (by default the commit before the one that dropped
  ``/vendor/plotly.min.js``), extracted with ``git archive``. It served the full
  ``plotly.min.js`` of the Python ``plotly`` package; here a stand-in package gives it the
  full dist of the same plotly.js version from ``tools/plotly/node_modules`` (run
  ``tools/plotly/build.sh`` once), which is the file pip's plotly 7.1 ships.

For each lab and each server, ``--runs`` cold loads (a new browser context each: empty
cache) in headless Chromium, with the CSP in force, alternating the servers:

- **bytes**: every HTTP response of the load, as transferred (Chromium's encoded lengths,
  headers included), until the first frame is drawn; WebSocket bytes are counted apart;
- **first chart**: ms from navigation start until the first Plotly chart is on screen, and
  until the first chart shows data from the server (median of the runs).

Then **a class opens the page**: ``--class-size`` clients at once each fetch the beans page
and every file a browser fetched for it (as Chromium asks: gzip, deflate, br, zstd); the
server's CPU seconds for it are read from /proc, for each server in turn.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, sync_playwright

from bench.stream import free_port
from bench.workers import MANY_CLIENTS, proc_name, revision, tree_cpu

ROOT = Path(__file__).resolve().parents[1]
FULL_DIST = ROOT / "tools" / "plotly" / "node_modules" / "plotly.js" / "dist" / "plotly.min.js"
LABS = ("beans", "circles", "digits", "neuron")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
]  # fmt: skip
ACCEPT = "gzip, deflate, br, zstd"  # what Chromium asks of localhost
LOAD_TIMEOUT_S = 60.0
# Marks, in page time (ms since navigation start), the first Plotly chart drawn and the first
# chart holding server data. An init script: it runs before the page's own, CSP or not.
WATCH = """(() => {
  const t = (window.__first = {});
  const look = () => {
    const charts = document.querySelectorAll(".js-plotly-plot");
    if (t.chart === undefined && document.querySelector(".js-plotly-plot .main-svg"))
      t.chart = performance.now();
    // the first frame handled (page.js draws it at the next animation frame)
    if (t.data === undefined && charts.length && (window.descent?.state.step ?? -1) >= 0)
      t.data = performance.now();
  };
  new MutationObserver(look).observe(document, { childList: true, subtree: true });
  const ran = (e) => {
    if (/plotly/.test(e.target.src)) t.plotly = performance.now();
  };
  document.addEventListener("load", ran, true);
})();"""


@dataclass
class Load:
    """One cold load: ms to the first chart and to the first data, bytes over HTTP and WS,
    the main thread's task time and the CPU time of all of Chromium until the first chart."""

    chart_ms: float
    data_ms: float
    http_bytes: int
    ws_bytes: int
    busy_ms: float  # main-thread task time until the first chart (wall time: load inflates it)
    cpu_ms: float  # CPU time of every Chromium process until the first chart (load does not)
    chart_bytes: int = 0  # the responses finished when the first chart was seen (20 ms polls)
    urls: list[str] = field(default_factory=list)


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def default_before() -> str:
    """The parent of the commit that stopped serving the full bundle at /vendor/plotly.min.js."""
    found = subprocess.run(
        ["git", "log", "--format=%H", "-n1", "-S", "def plotly_js", "--", "app/main.py"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    return f"{found}^" if found else "HEAD"


def extract_before(rev: str, into: Path) -> Path:
    """``app/`` and ``engine/`` at ``rev``, and a stand-in ``plotly`` package: the full dist."""
    if not FULL_DIST.exists():
        sys.exit(f"no {FULL_DIST.relative_to(ROOT)}: run tools/plotly/build.sh once")
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev, "app", "engine"], cwd=ROOT, capture_output=True,
        check=True,
    ).stdout  # fmt: skip
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    shim = into / "shim" / "plotly"
    (shim / "package_data").mkdir(parents=True)
    (shim / "__init__.py").write_text('"""Stand-in: only package_data/plotly.min.js is read."""\n')
    shutil.copy(FULL_DIST, shim / "package_data" / "plotly.min.js")
    return into


@contextlib.contextmanager
def serve(name: str, source: Path, python_path: list[Path]) -> Iterator[Server]:
    """``python -m app --workers 1`` from ``source`` on a free port, stopped on the way out."""
    port = free_port()
    env = {**os.environ, **MANY_CLIENTS, "PYTHONPATH": os.pathsep.join(map(str, python_path))}
    argv = [sys.executable, "-m", "app", "--port", str(port), "--workers", "1",
            "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(argv, cwd=source, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the {name} server did not start") from None
                time.sleep(0.2)
        yield Server(name, port, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def chromium_cpu() -> dict[int, float]:
    """CPU seconds so far of each Chromium process this bench started (browser, renderers,
    GPU, network): a load's CPU cost, read whatever else runs on the machine."""
    return {p: cpu for p, cpu in tree_cpu(os.getpid()).items() if "chrom" in proc_name(p)}


def cpu_since(start: dict[int, float]) -> float:
    """CPU seconds Chromium used since ``start`` (a process that exited meanwhile: ignored)."""
    return sum(cpu - start.get(p, 0.0) for p, cpu in chromium_cpu().items())


def cold_load(browser: Browser, url: str, accept: str | None = None) -> Load:
    """One load in a fresh context (empty cache), with the page's CSP in force; ``accept``
    replaces Chromium's Accept-Encoding (plain HTTP to a LAN address gets no brotli)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    try:
        page = context.new_page()
        page.add_init_script(WATCH)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Performance.enable")
        if accept:
            cdp.send("Network.setExtraHTTPHeaders", {"headers": {"Accept-Encoding": accept}})
        sizes: dict[str, int] = {}
        urls: dict[str, str] = {}
        ws = [0]

        def finished(event: dict[str, Any]) -> None:
            sizes[event["requestId"]] = int(event["encodedDataLength"])

        def sent(event: dict[str, Any]) -> None:
            if event["request"]["url"].startswith("http"):
                urls[event["requestId"]] = event["request"]["url"]

        def frame(event: dict[str, Any]) -> None:
            ws[0] += len(event["response"]["payloadData"].encode())

        cdp.on("Network.loadingFinished", finished)
        cdp.on("Network.requestWillBeSent", sent)
        cdp.on("Network.webSocketFrameReceived", frame)
        cpu_start = chromium_cpu()
        page.goto(url, wait_until="commit")
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        first: dict[str, float] = {}
        busy = cpu = 0.0
        chart_bytes = 0
        while not {"chart", "data"} <= first.keys():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url}: no chart with data after {LOAD_TIMEOUT_S} s")
            page.wait_for_timeout(20)
            first = page.evaluate("window.__first || {}")
            if "chart" in first and not busy:  # the main thread's work so far, whatever the load
                metrics = cdp.send("Performance.getMetrics")["metrics"]
                busy = 1000 * next(m["value"] for m in metrics if m["name"] == "TaskDuration")
                cpu = 1000 * cpu_since(cpu_start)
                chart_bytes = sum(sizes.values())
        page.wait_for_load_state("load")
        page.wait_for_timeout(200)  # the last responses' loadingFinished events
        return Load(first["chart"], first["data"], sum(sizes.values()), ws[0], busy, cpu,
                    chart_bytes, [urls[r] for r in urls])  # fmt: skip
    finally:
        context.close()


async def class_opens(server: Server, urls: list[str], learners: int) -> dict[str, float]:
    """``learners`` clients fetch the page and its files at once; the server's CPU for it.

    Each learner has its own client, 6 connections like a browser, none kept alive (a
    connection the server closes as idle while the client reuses it would be a false failure).
    """
    page, files = urls[0], urls[1:]
    before = sum(tree_cpu(server.process.pid).values())
    started = time.perf_counter()
    failed = [0]

    async def learner() -> int:
        limits = httpx.Limits(max_connections=6, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits, timeout=120) as client:

            async def fetch(url: str) -> int:
                try:
                    async with client.stream("GET", url, headers={"Accept-Encoding": ACCEPT}) as r:
                        r.raise_for_status()
                        return sum([len(chunk) async for chunk in r.aiter_raw()])
                except httpx.HTTPError:
                    failed[0] += 1
                    return 0

            first = await fetch(page)
            return first + sum(await asyncio.gather(*(fetch(u) for u in files)))

    sent = await asyncio.gather(*(learner() for _ in range(learners)))
    wall = time.perf_counter() - started
    cpu = sum(tree_cpu(server.process.pid).values()) - before
    return {"cpu_s": cpu, "wall_s": wall, "mb": sum(sent) / 1e6, "failed": failed[0]}


def kb(n: float) -> str:
    return f"{n / 1000:,.0f} kB"


def report(loads: Loads, names: list[str], runs: int, gzip_only: dict[str, Load]) -> None:
    labs = list(gzip_only)
    print(f"\nCold loads, median of {runs}: HTTP bytes as transferred (brotli: Chromium asks it of "
          "localhost); ms from navigation start to the first chart (each run) and to the first "
          "frame drawn; until the first chart, the main thread's task ms and all of Chromium's "
          "CPU ms")  # fmt: skip
    print(f"{'lab':<8} {'server':<7} {'bytes':>9} {'first chart':>12}  {'runs':<30}"
          f"{'1st frame':>10} {'tasks':>8} {'CPU':>8}")  # fmt: skip
    for lab in labs:
        for name in names:
            got = loads[(lab, name)]
            each = " ".join(f"{r.chart_ms:.0f}" for r in got)
            print(f"{lab:<8} {name:<7} {kb(statistics.median(r.http_bytes for r in got)):>9} "
                  f"{statistics.median(r.chart_ms for r in got):>9.0f} ms  {each:<30}"
                  f"{statistics.median(r.data_ms for r in got):>7.0f} ms"
                  f"{statistics.median(r.busy_ms for r in got):>6.0f} ms"
                  f"{statistics.median(r.cpu_ms for r in got):>6.0f} ms")  # fmt: skip
    print("bytes by the first chart, median: " + ", ".join(
        f"{lab} {name} {kb(statistics.median(r.chart_bytes for r in loads[(lab, name)]))}"
        for lab in labs for name in names))  # fmt: skip
    print("after, gzip only (plain HTTP to a LAN address: no brotli), all / by the first chart: "
          + ", ".join(f"{lab} {kb(got.http_bytes)} / {kb(got.chart_bytes)}"
                      for lab, got in gzip_only.items()))  # fmt: skip


Loads = dict[tuple[str, str], list[Load]]


def measure_loads(
    servers: list[Server], runs: int, labs: list[str]
) -> tuple[Loads, Loads, dict[str, Load]]:
    """One unmeasured cold load of every lab from every server (they warm their labs), then
    ``runs`` more, alternating the servers: (the first loads, the measured ones, and the
    last server's bytes per lab when the browser takes gzip only)."""
    loads: Loads = {(lab, s.name): [] for lab in labs for s in servers}
    first: Loads = {(lab, s.name): [] for lab in labs for s in servers}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        for lab in labs:
            for server in servers:
                first[(lab, server.name)].append(cold_load(browser, f"{server.base}/labs/{lab}"))
        for _ in range(runs):
            for lab in labs:
                for server in servers:
                    url = f"{server.base}/labs/{lab}?lang=en"
                    loads[(lab, server.name)].append(cold_load(browser, url))
        after = servers[-1]
        gzip_only = {
            lab: cold_load(browser, f"{after.base}/labs/{lab}", "gzip, deflate") for lab in labs
        }
        browser.close()
    return first, loads, gzip_only


def report_class(servers: list[Server], first: Loads, learners: int) -> None:
    print(f"\nA class of {learners} opens /labs/beans at once: the page and every "
          "file a browser fetched for it (one worker)")  # fmt: skip
    for server in servers:
        urls = first[("beans", server.name)][0].urls
        got = asyncio.run(class_opens(server, urls, learners))
        print(
            f"  {server.name:<7} server CPU {got['cpu_s']:.2f} s, all served in "
            f"{got['wall_s']:.2f} s, {got['mb']:.1f} MB sent, {len(urls)} files each, "
            f"{got['failed']:.0f} requests failed"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.page_weight", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=5, help="cold loads per lab and server")
    parser.add_argument(
        "--class-size", type=int, default=30, help="clients opening the page at once"
    )
    parser.add_argument("--before", default=None, help="the git revision to compare against")
    parser.add_argument("--class-only", action="store_true", help="skip the browser loads")
    parser.add_argument(
        "--labs",
        nargs="+",
        choices=LABS,
        default=list(LABS),
        help="the labs to load (no beans: no class)",
    )
    args = parser.parse_args()
    before_rev = args.before or default_before()
    short = subprocess.run(["git", "rev-parse", "--short", before_rev], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    print(f"after: {revision()} (this tree); before: {short}, the full plotly.js "
          f"({FULL_DIST.stat().st_size / 1e6:.1f} MB) gzipped per request")  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    with (
        tempfile.TemporaryDirectory(prefix="descent-before-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        old = extract_before(before_rev, Path(tmp))
        servers = [
            stack.enter_context(serve("before", old, [old, old / "shim"])),
            stack.enter_context(serve("after", ROOT, [ROOT])),
        ]
        labs = sorted({"beans", *args.labs}) if args.class_only else args.labs
        first, loads, gzip_only = measure_loads(servers, 0 if args.class_only else args.runs, labs)
        if not args.class_only:
            report(loads, [s.name for s in servers], args.runs, gzip_only)
        if "beans" in labs:
            report_class(servers, first, args.class_size)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
