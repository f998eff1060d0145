"""Throughput of compute_features and autolabel over 1,000,000 candles, against bare TA-Lib.

The floor is the 61 TA-Lib CDL* functions called directly on the same arrays in the same run;
each figure is printed in candles per second and as a multiple of that floor's time.

    python bench/features.py [n_candles]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import talib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labels.autolabel import autolabel  # noqa: E402
from labels.cdl_names import CDL_PATTERNS  # noqa: E402
from training.feature_config import FeatureSpec  # noqa: E402
from training.features import compute_features  # noqa: E402


def synthetic_candles(n: int, seed: int = 0) -> pd.DataFrame:
    """A 1-minute random walk with volatility clustering and consistent OHLC."""
    rng = np.random.default_rng(seed)
    vol = 0.001 * np.exp(np.convolve(rng.normal(0, 0.3, n), np.ones(50) / 50, mode="same") * 5)
    close = 30_000 * np.exp(np.cumsum(rng.normal(0, 1, n) * vol))
    open_ = np.concatenate(([30_000.0], close[:-1]))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.5, n)) * vol)
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.5, n)) * vol)
    volume = rng.lognormal(2, 1, n) * (1 + 200 * vol)
    times = 1_700_000_000_000 + 60_000 * np.arange(n, dtype=np.int64)
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume},
        index=pd.Index(times, name="time"),
    )


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    candles = synthetic_candles(n)
    arrays = [np.ascontiguousarray(candles[c].to_numpy()) for c in ("open", "high", "low", "close")]

    def bare():
        return [getattr(talib, name)(*arrays) for name in CDL_PATTERNS]

    floor, outputs = timed(bare)
    hits = sum(int(np.count_nonzero(out)) for out in outputs)
    feats_s, feats = timed(lambda: compute_features(candles, FeatureSpec()))
    label_s, spans = timed(lambda: autolabel(candles, "BTC/USDT", "1m"))
    assert len(spans) == hits

    print(f"{n:,} candles, {len(CDL_PATTERNS)} CDL patterns, {hits:,} pattern hits")
    rows = [
        ("bare talib CDL x61", floor, ""),
        ("compute_features", feats_s, f"{feats.shape[1] - 1} features"),
        ("autolabel", label_s, f"{len(spans):,} spans"),
    ]
    for name, seconds, note in rows:
        print(
            f"{name:<20} {seconds:7.2f} s {n / seconds:>13,.0f} candles/s "
            f"{seconds / floor:6.2f}x floor  {note}"
        )


if __name__ == "__main__":
    main()
