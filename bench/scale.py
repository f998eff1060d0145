"""Symbols per process: for 3, 10 and 50 symbols, the server's CPU, memory, chart-tick latency
and SQLite commits, with the simulator ticking every second and the dashboard open in chromium.

The app runs as ``make run`` serves it (``python app.py``, waitress, its own process); history is
shortened (2 h of 1 m, 10 min of 1 s per symbol) so 50 symbols start in seconds. CPU % is of one
core, over the measured window, for the server process only (chromium and this script aside).
Chart tick: the browser's time from sending a chart's tick callback to reading its answer;
"server": the server's own time for it (its Server-Timing header), so what remains is waiting
(a busy machine, the thread pool). Goal: tick p99 <= 50 ms at 50 symbols.

    python bench/scale.py [--seconds 60] [--symbols 3 10 50] [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import PageTicks, load_average, percentiles, sample_process, served  # noqa: E402


def config_for(symbols: int) -> dict:
    names = ["BTC/USDT", "ETH/USDT", "SOL/USDT"] + [f"SIM{i:02d}/USDT" for i in range(symbols)]
    return {
        "symbols": names[:symbols],
        "feed": {"backfill_1m_hours": 2, "backfill_1s_minutes": 10,
                 "sim": {"tick_interval_ms": 1000}},
    }  # fmt: skip


def measure(symbols: int, seconds: float, warmup: float, folder: Path) -> dict:
    with served(folder / f"s{symbols}", config_for(symbols)) as server:
        page = PageTicks(server.url)
        try:
            page.run_for(warmup)
            page.take()
            page.take_server()
            commits = server.health()["storage"]["commits"]
            began = time.monotonic()
            usage = sample_process(server.process, seconds, page)
            elapsed = time.monotonic() - began
            commits = server.health()["storage"]["commits"] - commits
            ticks = percentiles(page.take())
            server_ms = percentiles(page.take_server())
            feeds = server.health()["feeds"].values()
            errors = list(page.errors)
        finally:
            page.close()
    return {
        "symbols": symbols,
        **usage,
        "tick_ms": ticks,
        "server_tick_ms": server_ms,
        "commits_per_s": round(commits / elapsed, 2),
        "feeds_ok": sum(f["status"] == "ok" for f in feeds),
        "console_errors": len(errors),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--symbols", type=int, nargs="*", default=[3, 10, 50])
    parser.add_argument("--quick", action="store_true", help="3 and 10 symbols, 6 s each")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup, args.symbols = 6.0, 3.0, [3, 10]
    print(load_average())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.symbols:
            row = measure(count, args.seconds, args.warmup, Path(tmp))
            rows.append(row)
            print(json.dumps(row), flush=True)
    heads = ("symbols", "CPU %", "RSS MB", "tick p50", "tick p99", "server p50", "server p99",
             "commits/s")  # fmt: skip
    print(" ".join(f"{h:>9}" for h in heads))
    for r in rows:
        cells = (r["symbols"], r["cpu_percent"], r["rss_mb"], r["tick_ms"]["p50"],
                 r["tick_ms"]["p99"], r["server_tick_ms"]["p50"], r["server_tick_ms"]["p99"],
                 r["commits_per_s"])  # fmt: skip
        print(" ".join(f"{str(c):>9}" for c in cells))
    print(load_average())
    return 0


if __name__ == "__main__":
    sys.exit(main())
