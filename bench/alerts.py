"""Alert evaluation cost: one evaluator pass (snapshot of prices, newest predictions, pattern
labels, feeds, jobs, champions, drawn lines, then every alert stepped) over an orchestrator with
three symbols of candles and predictions, with 0, 50 and 500 stored alerts of every kind (none
firing: the steady state). The pass runs on the evaluator's own thread, at least once a second
and on each closed candle; the feed never waits for it. The ratio is against the pass with no
alerts (the snapshot alone), in the same process.

    python bench/alerts.py [--passes 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.rules import parse_alert  # noqa: E402
from runtime.config import config_from_dict  # noqa: E402
from runtime.orchestrator import Orchestrator  # noqa: E402
from tests.helpers.candles import make_candles  # noqa: E402

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
BODIES = [
    {"kind": "price_cross", "symbol": "BTC/USDT", "level": 10_000_000},
    {"kind": "signal", "model": "cnn", "call": "DOWN", "min_confidence": 0.99},
    {"kind": "feed_stale", "stale_s": 86_400},
    {"kind": "job", "when": "failed"},
    {"kind": "champion", "when": "changed"},
]


def timed_passes(orch, passes: int) -> list[float]:
    worker = orch.alert_worker
    worker.evaluate_once()  # first pass: learns jobs and champions, takes price sides
    took = []
    for _ in range(passes):
        began = time.perf_counter()
        assert worker.evaluate_once() == []
        took.append((time.perf_counter() - began) * 1000)
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passes", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config = config_from_dict({"data_dir": folder, "symbols": SYMBOLS}, base_dir=folder)
        orch = Orchestrator(config)
        for symbol in SYMBOLS:
            orch.store.ingest(symbol, make_candles(600, start=1_700_000_000_000))
            for i in range(50):
                orch.store_cnn_prediction(symbol, {
                    "timestamp": 1_700_000_000_000 + i * 1000, "confidence": 0.6,
                    "direction": "UP", "current_price": 100.0, "target_price": 101.0,
                    "horizon_minutes": 1})  # fmt: skip
        results = {}
        stored = 0
        for count in (0, 50, 500):
            while stored < count:
                body = BODIES[stored % len(BODIES)]
                orch.alerts.add(parse_alert(body, SYMBOLS, ()))
                stored += 1
            took = timed_passes(orch, args.passes)
            results[count] = (statistics.median(took), sorted(took)[int(len(took) * 0.99) - 1])
        base = results[0][0]
        print(f"evaluator pass, {args.passes} passes each (ms):")
        for count, (median, p99) in results.items():
            print(f"  {count:4d} alerts: median {median:6.2f}  p99 {p99:6.2f}"
                  f"  ratio to no alerts {median / base:5.1f}x")  # fmt: skip
        orch.db.close()


if __name__ == "__main__":
    main()
