"""Real market candles for tests: the sample files that ship inside backtesting.py's wheel.

``goog`` is daily NASDAQ:GOOG 2004-2013 (2,148 candles), ``eurusd`` hourly EUR/USD 2017-2018
(5,000 candles), both in the candle contract (indexed by open time in UTC epoch ms). The files
are read from the installed package (pinned in requirements-dev.txt) without importing it.

Use in a test module: ``from tests.helpers import market_data`` then ``goog = market_data.goog``
(an assignment, so ruff does not take the test's ``goog`` argument for a redefined import).
``random_candles`` makes a synthetic series in the same contract for tests that need control.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


@cache
def market_candles(name: str) -> pd.DataFrame:
    """Candles from ``backtesting/test/<name>.csv`` (GOOG, EURUSD or BTCUSD)."""
    spec = importlib.util.find_spec("backtesting")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the real-data fixtures need backtesting.py: pip install -r requirements-dev.txt"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "test" / f"{name}.csv"
    raw = pd.read_csv(path, index_col=0)
    times = pd.to_datetime(raw.index, utc=True).as_unit("ms").asi8.astype(np.int64)
    candles = pd.DataFrame(
        {col.lower(): raw[col].to_numpy(dtype=np.float64) for col in raw.columns},
        index=pd.Index(times, name="time"),
    )
    return candles[["open", "high", "low", "close", "volume"]]


@pytest.fixture(scope="session")
def goog() -> pd.DataFrame:
    return market_candles("GOOG").copy()


@pytest.fixture(scope="session")
def eurusd() -> pd.DataFrame:
    return market_candles("EURUSD").copy()


def random_candles(
    n: int, seed: int = 0, start: int = 1_700_000_000_000, frame_ms: int = 60_000
) -> pd.DataFrame:
    """A random-walk candle DataFrame with consistent OHLC and positive volume."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.concatenate(([100.0], close[:-1])) * np.exp(rng.normal(0, 0.001, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.003, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.003, n)))
    volume = rng.lognormal(3, 1, n)
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume},
        index=pd.Index(start + frame_ms * np.arange(n, dtype=np.int64), name="time"),
    )
