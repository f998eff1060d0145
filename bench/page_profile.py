"""Where an open page's main-thread CPU goes while nobody touches it: a CPU profile of the page
(Chrome DevTools Protocol) over ``--seconds`` of ticks, summed by script and by function. Also
how long after the charts the header's lazy parts (the symbol picker) come.

The app runs as ``make run`` serves it (``python app.py``, its own process), with the simulator
and first-start training off. Self time is a function's own; the inclusive time counts what it
calls, each stack once (a recursive call is not counted twice). Dash's renderer is minified, so
most of its functions show without a name; serve its unminified bundle
(``app.enable_dev_tools(dev_tools_serve_dev_bundles=True, debug=False, dev_tools_ui=False)``
in a throwaway copy of ``app.py``) to read them.

    python bench/page_profile.py [--seconds 20] [--refresh-ms 1000] [--top 25]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import CHROMIUM_ARGS, load_average, served  # noqa: E402

DRAWN = "#chart-1m .js-plotly-plot .main-svg"


def script_of(frame: dict) -> str:
    """The script a profile frame runs in (its file name), or the frame's name for native
    work: ``(idle)``, ``(program)``, ``(garbage collector)``, DOM calls."""
    name = frame["url"].rsplit("/", 1)[-1].split("?")[0]
    return name or frame["functionName"] or "(anonymous)"


def summarize(profile: dict) -> tuple[float, Counter, Counter]:
    """(busy seconds, self seconds by script, inclusive seconds by (script, function))."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    parent = {child: node["id"] for node in profile["nodes"] for child in node.get("children", [])}
    own = Counter()
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=False):
        own[sample] += delta / 1e6
    total = Counter()  # a node's own time and its callees'
    for node_id, seconds in own.items():
        up = node_id
        while up is not None:
            total[up] += seconds
            up = parent.get(up)

    def key(node_id: int) -> tuple[str, str]:
        frame = nodes[node_id]["callFrame"]
        return script_of(frame), frame["functionName"]

    by_script, inclusive = Counter(), Counter()
    for node_id, seconds in own.items():
        by_script[script_of(nodes[node_id]["callFrame"])] += seconds
    for node_id in nodes:
        up, mine = parent.get(node_id), key(node_id)
        while up is not None and key(up) != mine:
            up = parent.get(up)
        if up is None:  # the topmost call of this function on its stack
            inclusive[mine] += total[node_id]
    idle = by_script.get("(idle)", 0.0)
    return sum(own.values()) - idle, by_script, inclusive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--refresh-ms", type=int, default=1000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    if args.seconds <= 0:
        parser.error(f"--seconds {args.seconds}: must be above 0")
    from playwright.sync_api import sync_playwright

    config = {"dashboard": {"refresh_interval_ms": args.refresh_ms}, "neural": {"bootstrap": False},
              "feed": {"backfill_1m_hours": 3, "backfill_1s_minutes": 5}}  # fmt: skip
    print(load_average())
    with (
        tempfile.TemporaryDirectory() as tmp,
        served(Path(tmp), config) as server,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        began = time.perf_counter()
        page.goto(server.url)
        page.wait_for_selector(DRAWN, timeout=60_000)
        drawn = time.perf_counter() - began
        page.wait_for_selector("#symbol-select", timeout=60_000)
        picker = time.perf_counter() - began
        print(f"charts drawn {drawn:.2f} s after navigation, symbol picker {picker:.2f} s")
        page.wait_for_timeout(5000)  # past the opening's round of callbacks
        cdp = page.context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 500})  # microseconds
        cdp.send("Profiler.start")
        page.wait_for_timeout(args.seconds * 1000)
        profile = cdp.send("Profiler.stop")["profile"]
        browser.close()
    busy, by_script, inclusive = summarize(profile)
    print(f"main thread busy {busy:.2f} s of {args.seconds:g} s ({busy / args.seconds:.0%}) "
          f"at the {args.refresh_ms} ms refresh")  # fmt: skip
    print("self time by script:")
    for script, seconds in by_script.most_common(args.top):
        if script != "(idle)":
            print(f"  {seconds:6.2f} s  {script}")
    print("inclusive time by function (topmost call on each stack):")
    for (script, function), seconds in inclusive.most_common(args.top + 2):
        if function not in ("(root)", "(idle)"):
            print(f"  {seconds:6.2f} s  {script}: {function or '(anonymous)'}")
    print(load_average())


if __name__ == "__main__":
    main()
