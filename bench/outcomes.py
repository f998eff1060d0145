"""Outcome scoring: how many stored predictions a resolution pass scores per second, and what
resolved predictions cost the live chart tick.

Part 1 stores predictions of every kind over a simulated 1 m history and times one resolution
pass of the background resolver (read pending from SQLite, read candles, score, write outcomes,
update the held predictions), and the bare arithmetic alone.

Part 2 draws two 2,000-candle 1 m charts in the same run, one symbol with no predictions and one
with 10,000 resolved predictions in its window (``prediction_maxlen`` 10,000), and times, per
tick: a tick with one new candle, a tick with one new candle and one new prediction (the
incremental path, which also recomputes the outcome and disagreement traces), and the whole figure
(what a redraw costs when an outcome arrives). Server time includes Dash's JSON serialisation.

    python bench/outcomes.py [--quick]
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from plotly.io.json import to_json_plotly

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.candles import Candle  # noqa: E402
from core.config import SimFeedConfig  # noqa: E402
from dashboard.panels.charts.live_charts import chart_view, make_view, tick  # noqa: E402
from market.feeds.sim import DEFAULT_MARKETS, SimFeed  # noqa: E402
from predictions.outcomes import Closes, resolve  # noqa: E402
from runtime.config import config_from_dict  # noqa: E402
from runtime.orchestrator import Orchestrator  # noqa: E402

MINUTE = 60_000
KINDS = ("dqn", "cnn", "transformer")


def history(symbol: str, minutes: int) -> list[Candle]:
    feed = SimFeed(SimFeedConfig(seed=7, markets={symbol: DEFAULT_MARKETS["BTC/USDT"]}))
    end = (int(time.time() * 1000) // MINUTE - 30) * MINUTE
    return feed.backfill(symbol, "1m", end - minutes * MINUTE, end)


def prediction(kind: str, candle: Candle, rng: random.Random) -> dict:
    data = {"timestamp": candle.time, "confidence": round(rng.uniform(0.5, 0.99), 3),
            "model_version": "1"}  # fmt: skip
    if kind == "dqn":
        return {**data, "action": rng.choice(("BUY", "SELL", "HOLD")), "price": candle.close}
    target = "target_price" if kind == "cnn" else "predicted_price"
    move = rng.uniform(-0.004, 0.004)
    return {**data, "current_price": candle.close, target: candle.close * (1 + move),
            "horizon_minutes": rng.choice((1, 2.5, 5, 15))}  # fmt: skip


def store(orch, symbol: str, candles: list[Candle], count: int, rng: random.Random) -> None:
    usable = candles[:-20]  # leave room for the horizons
    for i in range(count):
        candle = usable[rng.randrange(len(usable))]
        orch.store_prediction(KINDS[i % 3], symbol, prediction(KINDS[i % 3], candle, rng))


def part1(root: Path, count: int) -> None:
    orch = Orchestrator(config_from_dict({"data_dir": str(root / "p1")}, base_dir=root))
    candles = history("BENCH", max(3_000, count // 2))
    orch.store.merge_history("BENCH", "1m", candles)
    rng = random.Random(1)
    started = time.perf_counter()
    store(orch, "BENCH", candles, count, rng)
    stored_s = time.perf_counter() - started
    started = time.perf_counter()
    resolved = orch.outcomes.run_pass()
    pass_s = time.perf_counter() - started
    pending = orch.predictions.unresolved()
    closes = Closes.from_frame(orch.store.history("BENCH", "1m"), MINUTE)
    stored_rows = orch.predictions.stored_after(0, "BENCH", limit=count)
    started = time.perf_counter()
    for p in stored_rows:
        resolve(p, closes, orch.config.outcomes)
    bare_s = time.perf_counter() - started
    print(f"part 1: {count} predictions over {len(candles)} 1 m candles"
          f" (stored in {stored_s:.1f} s)")  # fmt: skip
    print(
        f"  resolution pass: {resolved} resolved in {pass_s:.2f} s ="
        f" {resolved / pass_s:,.0f} predictions/s ({len(pending)} still pending)"
    )
    print(f"  bare arithmetic: {len(stored_rows) / bare_s:,.0f} predictions/s")


def timed(fn, repeat: int) -> tuple[float, int]:
    """(median ms, bytes of the last answer as Dash serialises it)."""
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        size = len(to_json_plotly(out))
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), size


def measure(orch, symbol: str, view: dict, queue: list[Candle], ticks: int, rng) -> tuple:
    """(symbol, candle tick, tick with a new prediction, whole figure) for one chart."""
    _, state = chart_view(orch, symbol, "1m", view)
    held = {"raw": state.to_dict()}

    def candle_tick(with_prediction: bool):
        candle = queue.pop(0)
        orch.store.merge_history(symbol, "1m", [candle])
        if with_prediction:
            orch.store_prediction("cnn", symbol, prediction("cnn", candle, rng))
        patch, new_state = tick(orch, symbol, "1m", view, held["raw"])
        if isinstance(new_state, dict):
            held["raw"] = new_state
        return patch

    half = ticks // 2
    plain = timed(lambda: candle_tick(False), half)
    with_new = timed(lambda: candle_tick(True), ticks - half)
    whole = timed(lambda: chart_view(orch, symbol, "1m", view)[0], 3)
    return symbol, plain, with_new, whole


def part2(root: Path, ticks: int, count: int) -> None:
    config = config_from_dict(
        {"data_dir": str(root / "p2"), "orchestrator": {"prediction_maxlen": 10_000}},
        base_dir=root,
    )
    orch = Orchestrator(config)
    candles = history("EMPTY", 2_000 + ticks + 1)
    base, extra = candles[:2_000], candles[2_000:]
    rng = random.Random(2)
    for symbol in ("EMPTY", "FULL"):
        orch.store.merge_history(symbol, "1m", base)
    store(orch, "FULL", base, count, rng)
    orch.outcomes.run_pass()
    held = sum(len(v) for v in orch.predictions.snapshot("FULL").values())
    resolved = sum(1 for v in orch.predictions.snapshot("FULL").values() for p in v
                   if p.get("resolved_at") is not None)  # fmt: skip
    view = make_view(list(KINDS) + ["patterns"])
    print(
        f"part 2: 2,000-candle 1 m chart, {ticks} ticks per case;"
        f" FULL holds {held} predictions, {resolved} resolved"
    )
    rows = [measure(orch, symbol, view, list(extra), ticks, rng) for symbol in ("EMPTY", "FULL")]
    print(f"  {'case':6} {'candle tick':>18} {'+1 prediction':>18} {'whole figure':>20}")
    for symbol, plain, with_new, whole in rows:
        print(f"  {symbol:6} {plain[0]:8.1f} ms {plain[1]:6} B {with_new[0]:8.1f} ms"
              f" {with_new[1]:6} B {whole[0]:8.1f} ms {whole[1]:8} B")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller run, under a minute")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        part1(root, 2_000 if args.quick else 20_000)
        part2(root, 10 if args.quick else 40, 10_000)


if __name__ == "__main__":
    main()
