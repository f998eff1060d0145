"""Soak: the server's memory and the chart-tick latency over time, with the dashboard open in
chromium and the simulator feeding the default three symbols. The app runs as ``make run`` serves
it. Goal: flat within +-5 % after the warm-up (the first fifth of the run).

    python bench/soak.py [--duration 600] [--interval 30] [--symbols 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import PageTicks, load_average, percentiles, sample_process, served  # noqa: E402
from bench.scale import config_for  # noqa: E402


def spread(values: list[float]) -> float | None:
    """Largest distance from the mean, as a fraction of the mean."""
    if not values:
        return None
    mean = statistics.fmean(values)
    return round(max(abs(v - mean) for v in values) / mean, 4) if mean else None


def run(duration: float, interval: float, symbols: int, folder: Path) -> dict:
    samples = []
    with served(folder, config_for(symbols)) as server:
        page = PageTicks(server.url)
        try:
            began = time.monotonic()
            while time.monotonic() - began < duration:
                usage = sample_process(server.process, interval, page)
                ticks = percentiles(page.take())
                sample = {
                    "t_s": round(time.monotonic() - began),
                    **usage,
                    "tick_p50": ticks["p50"],
                    "tick_p99": ticks["p99"],
                    "ticks": ticks["n"],
                }
                samples.append(sample)  # fmt: skip
                print(json.dumps(sample), flush=True)
            errors = list(page.errors)
        finally:
            page.close()
    warm = samples[max(1, len(samples) // 5) :]
    return {
        "duration_s": duration,
        "symbols": symbols,
        "samples": len(samples),
        "after_warmup": len(warm),
        "rss_mb_first_last": [warm[0]["rss_mb"], warm[-1]["rss_mb"]] if warm else None,
        "rss_spread": spread([s["rss_mb"] for s in warm]),
        "tick_p50_spread": spread([s["tick_p50"] for s in warm if s["tick_p50"] is not None]),
        "console_errors": len(errors),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--interval", type=float, default=30.0)
    parser.add_argument("--symbols", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="45 s, a sample every 5 s")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.interval = 45.0, 5.0
    print(load_average())
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.duration, args.interval, args.symbols, Path(tmp))
    print(json.dumps(result, indent=1))
    print(load_average())
    return 0


if __name__ == "__main__":
    sys.exit(main())
