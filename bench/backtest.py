"""Backtest speed: our engine + statistics against backtesting.py on the same signals, same run.

Synthetic 1 m candles (a mean-reverting random walk); the signals are ``sma_cross`` (fast 10,
slow 30) and random targets (1% of bars). backtesting.py gets the same targets through a
strategy that places the order our engine would (``Backtest(..., exclusive_orders=True,
finalize_trades=True)``), and the trades are checked identical. Bars per second are wall time of
the best of three runs (one for backtesting.py at 1,000,000 bars), engine + statistics; the
signals are computed once, outside both. Peak memory is traced in a separate pass (tracemalloc
slows Python code, so it would distort the timing); ``--no-their-memory`` skips tracing
backtesting.py's, which takes minutes at 1,000,000 bars.

    python bench/backtest.py [--quick] [--sizes 100000 1000000] [--no-their-memory]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backtest.engine import BacktestSettings, run_backtest  # noqa: E402
from backtest.rules import SmaCross  # noqa: E402
from backtest.stats import compute_stats  # noqa: E402
from tests.helpers.backtesting_oracle import Targets, run_oracle  # noqa: E402


def candles(n: int, seed: int = 0) -> pd.DataFrame:
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    # a mean-reverting log price, so a long series stays tradable with 10,000 cash
    close = 100 * np.exp(lfilter([1.0], [1.0, -0.9995], rng.normal(0, 0.001, n)))
    open_ = np.r_[100.0, close[:-1]]
    spread = np.abs(rng.normal(0, 0.0005, (2, n)))
    return pd.DataFrame(
        {"open": open_, "high": np.maximum(open_, close) * (1 + spread[0]),
         "low": np.minimum(open_, close) * (1 - spread[1]), "close": close,
         "volume": rng.uniform(1, 10, n)},
        index=1_700_000_000_000 + 60_000 * np.arange(n, dtype=np.int64),
    )  # fmt: skip


def ours(frame: pd.DataFrame, targets: np.ndarray, settings, warmup: int):
    times = frame.index.to_numpy()
    result = run_backtest(frame["open"].to_numpy(), frame["close"].to_numpy(), times, targets,
                          settings, warmup)  # fmt: skip
    compute_stats(result.trades, result.equity, times, frame["close"].to_numpy(), warmup)
    return result


def theirs(frame: pd.DataFrame, targets: np.ndarray, settings, warmup: int):
    return run_oracle(frame, Targets, settings, targets=targets, warmup=warmup)


def timed(repeat: int, fn, *args):
    """The result and the best wall time of ``repeat`` runs (the machine is shared)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - started)
    return out, best


def peak_mb(fn, *args) -> float:
    tracemalloc.start()
    fn(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 bars only")
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--no-their-memory", action="store_true")
    args = parser.parse_args()
    sizes = [100_000] if args.quick else args.sizes
    # no commission: all-in trading with fees drains the account within a few thousand trades,
    # after which neither engine can buy a unit and the long runs would measure idle bars
    settings = BacktestSettings(commission=0.0)
    print(f"{'bars':>10} {'signals':>8} {'trades':>7} {'ours bars/s':>12} "
          f"{'bt.py bars/s':>13} {'speed-up':>9} {'ours MB':>8} {'bt.py MB':>9}")  # fmt: skip
    for n in sizes:
        frame = candles(n)
        sma = SmaCross({"fast": 10, "slow": 30}).signals(frame)
        rng = np.random.default_rng(1)
        noise = rng.choice([-1.0, 0.0, 1.0, np.nan], size=n, p=[0.004, 0.002, 0.004, 0.99])
        for name, targets, warmup in (("sma", sma.targets, sma.warmup), ("random", noise, 0)):
            mine, mine_s = timed(3, ours, frame, targets, settings, warmup)
            ref, ref_s = timed(3 if n <= 200_000 else 1, theirs, frame, targets, settings, warmup)
            trades = ref["_trades"]
            same = len(trades) == mine.n_trades and all(
                np.array_equal(mine.trades[c], trades[c].to_numpy())
                for c in ("Size", "EntryBar", "ExitBar", "EntryPrice", "ExitPrice")
            )
            if not same:
                raise SystemExit(f"trades differ from backtesting.py at {n} bars ({name})")
            mine_mb = peak_mb(ours, frame, targets, settings, warmup)
            ref_mb = None if args.no_their_memory else peak_mb(theirs, frame, targets, settings,
                                                                warmup)  # fmt: skip
            ref_text = "-" if ref_mb is None else f"{ref_mb:.0f}"
            print(f"{n:>10,} {name:>8} {mine.n_trades:>7,} {n / mine_s:>12,.0f} "
                  f"{n / ref_s:>13,.0f} {ref_s / mine_s:>8.0f}x {mine_mb:>8.0f} "
                  f"{ref_text:>9}", flush=True)  # fmt: skip
    print("trades identical to backtesting.py in every run")


if __name__ == "__main__":
    main()
