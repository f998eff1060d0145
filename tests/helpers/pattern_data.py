"""Small datasets with learnable patterns, built through the real dataset code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.spans import Span
from training.datasets import build_dataset
from training.feature_config import FeatureSpec

MINUTE = 60_000
START = 1_700_000_000_000

# Few, short indicators: a warm-up of a few dozen candles and a fast build.
SMALL_SPEC = FeatureSpec(
    rsi_periods=(5,),
    macd=(),
    bollinger_period=5,
    atr_period=5,
    adx_period=5,
    obv=False,
    ma_ratios=(5,),
    stoch=(),
    return_lags=(1, 2),
    volume_zscore_window=5,
    include_cdl=False,
)


def pattern_series(n: int, seed: int) -> tuple[pd.DataFrame, list[tuple[int, int, str]]]:
    """Random-walk 1m candles with planted two-candle runs of big up or down bodies.

    Returns the candles (indexed by open time) and the (start, end, label) of each run.
    """
    rng = np.random.default_rng(seed)
    moves = rng.normal(0, 0.001, n)
    runs = []
    for start in range(40, n - 3, 9):
        label = ("bull_run", "bear_run", None)[rng.integers(0, 3)]
        if label is None:
            continue
        sign = 1 if label == "bull_run" else -1
        moves[start : start + 2] = sign * rng.uniform(0.008, 0.012, 2)
        runs.append((START + start * MINUTE, START + (start + 1) * MINUTE, label))
    close = 100 * np.exp(np.cumsum(moves))
    open_ = np.concatenate([[100.0], close[:-1]])
    wick = np.abs(rng.normal(0, 0.0005, (2, n)))
    candles = pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * (1 + wick[0]),
            "low": np.minimum(open_, close) * (1 - wick[1]),
            "close": close,
            "volume": rng.uniform(1, 10, n),
        },
        index=pd.Index(START + np.arange(n, dtype=np.int64) * MINUTE, name="time"),
    )
    return candles, runs


def build_pattern_dataset(
    root: Path, n: int = 700, symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT"), window: int = 4
) -> str:
    """Build a dataset of planted runs under ``root``; returns its version."""
    series, spans = {}, []
    for i, symbol in enumerate(symbols):
        candles, runs = pattern_series(n, seed=10 + i)
        series[(symbol, "1m")] = candles
        spans += [
            Span(None, symbol, "1m", start, end, label, "manual", "accepted")
            for start, end, label in runs
        ]
    return build_dataset(series, spans, SMALL_SPEC, window, Path(root)).version
