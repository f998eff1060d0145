"""What an open dashboard page costs while nobody touches it, at the default 1 s refresh and at
2 s (the browser tests' refresh): chromium's CPU and the server's, callbacks per second, and the
time a page takes to open (navigation to both charts drawn), and an opening's callback requests
and chromium CPU (navigation to 3 s after both charts are drawn, its first ticks included).

The app runs as ``make run`` serves it (``python app.py``, its own process), with the simulator.
CPU % is of one core over the measured window; chromium's is the sum over its processes (they
fork through a zygote, so ``time`` on a test run never sees them). The two refreshes run one
after the other in this process and print a ratio, since this machine is noisy.

    python bench/page_cost.py [--seconds 30] [--opens 3] [--chromium PATH]

``--chromium`` picks the browser (default Debian's ``chromium``; the browser tests drive
``/usr/bin/chromium-headless-shell``). To compare two versions of the code, run it on each,
one after the other, twice (``git stash`` between): this machine's speed varies by the hour.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import CHROMIUM_ARGS, load_average, served  # noqa: E402

DRAWN = "#chart-{tf} .js-plotly-plot .main-svg"


def chromium_cpu() -> dict[int, float]:
    """CPU seconds used so far by each of this process's chromium descendants, by pid."""
    used = {}
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in child.name():
                times = child.cpu_times()
                used[child.pid] = times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return used


def cpu_since(before: dict[int, float]) -> float:
    """Chromium's CPU seconds since ``before``, over the processes alive now (one started since
    counts from 0): a process that ended meanwhile, such as a closed page's renderer, neither
    counts nor takes its earlier seconds off the total."""
    return sum(used - before.get(pid, 0.0) for pid, used in chromium_cpu().items())


def is_callback(request) -> bool:
    return "_dash-update-component" in request.url


def open_page(context, url: str):
    """(the page, seconds to both charts drawn, callback requests, chromium CPU seconds of the
    opening, read before the page closes)."""
    page = context.new_page()
    requests = []
    page.on("request", lambda r: is_callback(r) and requests.append(r))
    cpu_before, began = chromium_cpu(), time.perf_counter()
    page.goto(url)
    for tf in ("1m", "1s"):
        page.wait_for_selector(DRAWN.format(tf=tf), timeout=60_000)
    took = time.perf_counter() - began
    page.wait_for_timeout(3000)
    return page, took, len(requests), cpu_since(cpu_before)


def measure(refresh_ms: int, seconds: float, opens: int, folder: Path,
            chromium: str = "/usr/bin/chromium") -> dict:  # fmt: skip
    from playwright.sync_api import sync_playwright

    config = {"dashboard": {"refresh_interval_ms": refresh_ms},
              "feed": {"backfill_1m_hours": 3, "backfill_1s_minutes": 5}}  # fmt: skip
    with served(folder / f"r{refresh_ms}", config) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        opened = []
        for _ in range(opens):  # the first open compiles plotly.js; the others use the cache
            page, *figures = open_page(context, server.url)
            opened.append(figures)
            page.close()
        page, *_ = open_page(context, server.url)  # its opening round of callbacks is over
        callbacks = []
        page.on("request", lambda r: is_callback(r) and callbacks.append(1))
        proc = server.process
        proc.cpu_percent(None)
        chromium_before, began = chromium_cpu(), time.perf_counter()
        page.wait_for_timeout(seconds * 1000)
        elapsed = time.perf_counter() - began
        result = {
            "refresh_ms": refresh_ms,
            "chromium_cpu_percent": round(cpu_since(chromium_before) / elapsed * 100, 1),
            "server_cpu_percent": round(proc.cpu_percent(None), 1),
            "callbacks_per_s": round(len(callbacks) / elapsed, 1),
            "first_open_s": round(opened[0][0], 2),
            "warm_open_s": round(min(o[0] for o in opened[1:] or opened), 2),
            "open_callbacks": median(o[1] for o in opened[1:] or opened),
            "warm_open_chromium_cpu_s": round(median(o[2] for o in opened[1:] or opened), 2),
        }
        browser.close()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--opens", type=int, default=3)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    if not Path(args.chromium).exists():
        parser.error(f"--chromium {args.chromium}: no such browser")
    if args.opens < 1:
        parser.error(f"--opens {args.opens}: at least one opening is measured")
    print(load_average())
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(ms, args.seconds, args.opens, Path(tmp), args.chromium)
                for ms in (1000, 2000)]  # fmt: skip
    for row in rows:
        print(row)
    one, two = rows
    for key in ("chromium_cpu_percent", "server_cpu_percent", "callbacks_per_s"):
        if two[key]:
            print(f"{key}: 1 s refresh / 2 s refresh = {one[key] / two[key]:.2f}x")
    print(load_average())


if __name__ == "__main__":
    main()
