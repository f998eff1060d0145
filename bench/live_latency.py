"""The 1 s chart keeps up with the clock: for each new 1 s candle, the time from its open to the
moment it first shows in chromium's figure, with the app served as ``make run`` serves it
(simulator, waitress, its own process) and the page open at 1400x900.

A ``requestAnimationFrame`` loop in the page reads the 1 s chart's figure every frame and stamps
each new candle time with ``performance.timeOrigin + performance.now()`` (the same clock as the
candle's open time: one machine). A second is *skipped* when its candle was never the newest on
screen (it arrived together with the next one). Goal: p90 <= 1.1 s, no second skipped.

Each run starts a fresh server for the chart tick on the second's clock (the default) and one
with ``dashboard.tick_clock: interval`` (a free-running 1 s ``dcc.Interval``, the path before),
one after the other, and prints both with the machine's load average: it is shared, so rerun
when it is quiet.

    python bench/live_latency.py [--seconds 60] [--only clock|interval] [--quick]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import CHROMIUM_ARGS, load_average, served  # noqa: E402

# Stamps each 1 s candle time when it first appears, and the times that were ever the newest.
OBSERVER = """
() => {
  const seen = {first: {}, newest: new Set(), frames: 0};
  window.__latency = seen;
  const frame = () => {
    const gd = document.querySelector('#chart-1s .js-plotly-plot');
    const xs = gd && gd.data && gd.data[0] && gd.data[0].x;
    if (xs && xs.length) {
      const now = performance.timeOrigin + performance.now();
      // From the newest back to the first time already seen: every candle this frame added.
      for (let i = xs.length - 1; i >= 0; i--) {
        const t = typeof xs[i] === 'number' ? xs[i] : Date.parse(xs[i] + 'Z');
        if (t in seen.first) break;
        seen.first[t] = now;
      }
      const last = xs[xs.length - 1];
      seen.newest.add(typeof last === 'number' ? last : Date.parse(last + 'Z'));
      seen.frames += 1;
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  return performance.timeOrigin + performance.now();
}
"""
READ = """
() => ({first: window.__latency.first, newest: [...window.__latency.newest],
        frames: window.__latency.frames})
"""


def config_for(clock: str) -> dict:
    return {
        "feed": {"backfill_1m_hours": 2, "backfill_1s_minutes": 10},
        # No first-start training: its minutes of CPU would swamp a 60 s window on 2 cores.
        "neural": {"bootstrap": False},
        "dashboard": {"tick_clock": clock},
    }


def measure(clock: str, seconds: float, folder: Path) -> dict:
    from playwright.sync_api import sync_playwright

    with served(folder / clock, config_for(clock)) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            requests: list[dict] = []

            def on_finished(request) -> None:
                chart_request(request, requests)

            page.on("requestfinished", on_finished)
            page.goto(server.url)
            page.wait_for_selector("#chart-1s .js-plotly-plot .main-svg", timeout=60_000)
            page.wait_for_timeout(5_000)  # first draws and the page's own callbacks settle
            began = page.evaluate(OBSERVER)
            requests.clear()
            page.wait_for_timeout(seconds * 1000)
            got = page.evaluate(READ)
            page.remove_listener("requestfinished", on_finished)  # none may run after the close
        finally:
            browser.close()
    # Candles that opened after the observer started (earlier ones were drawn with the page).
    first = {int(float(t)): ms for t, ms in got["first"].items() if float(t) >= began}
    opened = sorted(first)[:-1]  # the last may have opened just before the read
    delays = np.array([(first[t] - t) / 1000 for t in opened])
    newest = {int(t) for t in got["newest"]}
    skipped = [t for t in opened if t not in newest]
    missing = 0
    if opened:
        missing = len(set(range(opened[0], opened[-1] + 1, 1000)) - set(opened))
    # The page's own work: from the answer of the first request sent after a candle opened to
    # the frame that first showed it.
    answers = sorted((r["sent"], r["answered"]) for r in requests)
    page_ms = []
    for t in opened:
        after = [end for sent, end in answers if sent >= t and end <= first[t]]
        if after:
            page_ms.append(first[t] - after[0])
    return {"clock": clock, "candles": len(opened), "delays": delays, "skipped": len(skipped),
            "page_ms": page_ms,
            "missing": missing, "frames": got["frames"], "errors": errors,
            "requests": requests}  # fmt: skip


def chart_request(request, into: list[dict]) -> None:
    """The 1 s chart's callback requests: when in the second each was sent, its round trip and
    the server's own time for it (Server-Timing), to see where a candle's delay goes."""
    if "/_dash-update-component" not in request.url:
        return
    body = (request.post_data or "").replace(" ", "")
    if '"type":"chart","tf":"1s"}' not in body and '"tf":"1s","type":"chart"}' not in body:
        return
    timing = request.timing
    if timing["responseEnd"] <= 0:
        return
    response = request.response()
    header = (response.headers.get("server-timing") or "") if response else ""
    server = float(header.split("dur=")[1].split(",")[0]) if "dur=" in header else float("nan")
    into.append({"sent": timing["startTime"] + timing["requestStart"],
                 "answered": timing["startTime"] + timing["responseEnd"],
                 "phase": (timing["startTime"] + timing["requestStart"]) % 1000,
                 "round_trip": timing["responseEnd"] - timing["requestStart"],
                 "server": server})  # fmt: skip


def report(result: dict) -> None:
    d = result["delays"]
    if not len(d):
        print(f"{result['clock']}: no new candles seen")
        return
    p50, p90 = np.percentile(d, 50), np.percentile(d, 90)
    print(f"{result['clock']:>8}: {result['candles']} candles, open -> first shown p50 {p50:.2f} s,"
          f" p90 {p90:.2f} s (goal <= 1.1), max {d.max():.2f} s; skipped seconds"
          f" {result['skipped']} (goal 0), never drawn {result['missing']};"
          f" {result['frames']} frames read")  # fmt: skip
    sent = result["requests"]
    if sent:
        phase, trip, server = (np.array([r[k] for r in sent]) for k in ("phase", "round_trip",
                                                                          "server"))  # fmt: skip
        print(f"          1 s chart requests: {len(sent)}, sent at ms {np.median(phase):.0f} of"
              f" the second (median; p10 {np.percentile(phase, 10):.0f}, p90"
              f" {np.percentile(phase, 90):.0f}), round trip p50 {np.median(trip):.0f} ms,"
              f" p90 {np.percentile(trip, 90):.0f} ms, of it in the server p50"
              f" {np.nanmedian(server):.0f} ms")  # fmt: skip
    if result["page_ms"]:
        print(f"          in the page, answer -> first shown: p50"
              f" {np.median(result['page_ms']):.0f} ms, p90"
              f" {np.percentile(result['page_ms'], 90):.0f} ms")  # fmt: skip
    if result["errors"]:
        print(f"          console errors: {result['errors'][:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--only", choices=("clock", "interval"))
    parser.add_argument("--quick", action="store_true", help="20 s per clock")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 20
    logging.basicConfig(level=logging.WARNING)
    clocks = [args.only] if args.only else ["clock", "interval"]
    with tempfile.TemporaryDirectory() as folder:
        for clock in clocks:
            print(f"{clock}: {load_average()} before")
            report(measure(clock, args.seconds, Path(folder)))
            print(f"{clock}: {load_average()} after")


if __name__ == "__main__":
    main()
