"""What an open dashboard page costs while nobody touches it, at the default 1 s refresh and at
2 s (the browser tests' refresh): chromium's CPU and the server's, callbacks per second, and the
time a page takes to open (navigation to both charts drawn).

The app runs as ``make run`` serves it (``python app.py``, its own process), with the simulator.
CPU % is of one core over the measured window; chromium's is the sum over its processes (they
fork through a zygote, so ``time`` on a test run never sees them). The two refreshes run one
after the other in this process and print a ratio, since this machine is noisy.

    python bench/page_cost.py [--seconds 30] [--opens 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import CHROMIUM_ARGS, load_average, served  # noqa: E402

DRAWN = "#chart-{tf} .js-plotly-plot .main-svg"


def chromium_cpu_s() -> float:
    """CPU seconds used so far by this process's chromium descendants."""
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in child.name():
                times = child.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def open_page(context, url: str):
    page = context.new_page()
    began = time.perf_counter()
    page.goto(url)
    for tf in ("1m", "1s"):
        page.wait_for_selector(DRAWN.format(tf=tf), timeout=60_000)
    return page, time.perf_counter() - began


def measure(refresh_ms: int, seconds: float, opens: int, folder: Path) -> dict:
    from playwright.sync_api import sync_playwright

    config = {"dashboard": {"refresh_interval_ms": refresh_ms},
              "feed": {"backfill_1m_hours": 3, "backfill_1s_minutes": 5}}  # fmt: skip
    with served(folder / f"r{refresh_ms}", config) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        open_s = []
        for _ in range(opens):  # the first open compiles plotly.js; the others use the cache
            page, took = open_page(context, server.url)
            open_s.append(took)
            page.close()
        page, _ = open_page(context, server.url)
        callbacks = []
        page.on("request", lambda r: "_dash-update-component" in r.url and callbacks.append(1))
        page.wait_for_timeout(3000)  # the opening round of callbacks is over
        callbacks.clear()
        proc = server.process
        proc.cpu_percent(None)
        chromium_before, began = chromium_cpu_s(), time.perf_counter()
        page.wait_for_timeout(seconds * 1000)
        elapsed = time.perf_counter() - began
        result = {
            "refresh_ms": refresh_ms,
            "chromium_cpu_percent": round((chromium_cpu_s() - chromium_before) / elapsed * 100, 1),
            "server_cpu_percent": round(proc.cpu_percent(None), 1),
            "callbacks_per_s": round(len(callbacks) / elapsed, 1),
            "first_open_s": round(open_s[0], 2),
            "warm_open_s": round(min(open_s[1:] or open_s), 2),
        }
        browser.close()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--opens", type=int, default=3)
    args = parser.parse_args()
    print(load_average())
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(ms, args.seconds, args.opens, Path(tmp)) for ms in (1000, 2000)]
    for row in rows:
        print(row)
    one, two = rows
    for key in ("chromium_cpu_percent", "server_cpu_percent", "callbacks_per_s"):
        if two[key]:
            print(f"{key}: 1 s refresh / 2 s refresh = {one[key] / two[key]:.2f}x")
    print(load_average())


if __name__ == "__main__":
    main()
