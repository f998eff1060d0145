"""Where an opening's and an idle page's chromium CPU goes, by process type and thread: the
renderer's main thread (JavaScript, style, layout), its thread pool, the compositor, the GPU
process, the browser process, the network service.

The app runs as ``make run`` serves it (its own process), at the browser tests' 2 s refresh, in
the chromium the tests drive (its headless shell, with the tests' flags). Three warm openings
(navigation to 3 s after both charts are drawn) are averaged; then the last page is left alone
for ``--seconds``. A thread that ends within a measured span loses what it used in it (a
floor). Extra chromium flags after ``--`` try one out; ``--width``/``--height`` set
the window.

    python bench/page_threads.py [--seconds 20] [--width 1500 --height 1000] [-- FLAG ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import load_average, served  # noqa: E402
from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
DRAWN = "#chart-{tf} .js-plotly-plot .main-svg"
OPENINGS = 3


def kind_of(process: psutil.Process) -> str:
    args = process.cmdline()
    kind = next((a.removeprefix("--type=") for a in args if a.startswith("--type=")), "browser")
    sub = next((a.split("=", 1)[1] for a in args if a.startswith("--utility-sub-type=")), "")
    return f"{kind}:{sub.rsplit('.', 1)[-1]}" if sub else kind


def threads_cpu() -> dict[tuple, tuple[str, str, float]]:
    """CPU seconds so far of each thread of this process's chromium descendants: by (pid, tid),
    (process kind, thread name without its digits, seconds)."""
    used = {}
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" not in child.name():
                continue
            kind = kind_of(child)
            for tid in os.listdir(f"/proc/{child.pid}/task"):
                stat = Path(f"/proc/{child.pid}/task/{tid}/stat").read_text()
                name = stat[stat.index("(") + 1 : stat.rindex(")")]
                fields = stat[stat.rindex(")") + 2 :].split()
                name = "".join(c for c in name if not c.isdigit()).rstrip("/_ ")
                used[(child.pid, tid)] = (kind, name, (int(fields[11]) + int(fields[12])) / TICKS)
        except (psutil.NoSuchProcess, OSError):
            continue  # ended while being read
    return used


def since(before: dict) -> Counter:
    """CPU seconds by (process kind, thread name) since ``before`` (a thread started since
    counts from 0)."""
    spent = Counter()
    for key, (kind, name, used) in threads_cpu().items():
        spent[(kind, name)] += used - before.get(key, (kind, name, 0.0))[2]
    return spent


def open_page(context, url: str):
    page = context.new_page()
    page.goto(url)
    for tf in ("1m", "1s"):
        page.wait_for_selector(DRAWN.format(tf=tf), timeout=60_000)
    page.wait_for_timeout(3000)
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--width", type=int, default=1500)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("flags", nargs="*", help="extra chromium flags, after --")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(load_average())
    config = {"dashboard": {"refresh_interval_ms": 2000},
              "feed": {"backfill_1m_hours": 3, "backfill_1s_minutes": 5}}  # fmt: skip
    with (
        tempfile.TemporaryDirectory() as tmp,
        served(Path(tmp), config) as server,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + args.flags)
        context = browser.new_context(viewport={"width": args.width, "height": args.height})
        open_page(context, server.url).close()  # the first opening fills the HTTP cache
        opening = Counter()
        for n in range(OPENINGS):
            before = threads_cpu()
            page = open_page(context, server.url)
            opening += since(before)
            if n < OPENINGS - 1:
                page.close()
        before, began = threads_cpu(), time.perf_counter()
        page.wait_for_timeout(args.seconds * 1000)
        idle, elapsed = since(before), time.perf_counter() - began
        browser.close()
    print(f"flags {args.flags}, window {args.width}x{args.height}")
    print(f"an opening: {sum(opening.values()) / OPENINGS:.2f} core-s of chromium; an idle page: "
          f"{sum(idle.values()) / elapsed * 100:.1f}% of a core")  # fmt: skip
    print(f"  {'process':24} {'thread':24} {'opening core-s':>15} {'idle % core':>12}")
    for (kind, name), used in opening.most_common(10):
        share = idle.get((kind, name), 0.0) / elapsed * 100
        print(f"  {kind:24} {name:24} {used / OPENINGS:15.2f} {share:12.1f}")
    print(load_average())


if __name__ == "__main__":
    main()
