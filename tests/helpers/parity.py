"""Comparing our engine's trades and statistics with backtesting.py's result series."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from backtest.stats import STAT_KEYS


def same_stat(theirs, ours) -> bool:
    """One statistic equal within 1e-9 relative (times and durations exactly; NaN with NaN)."""
    if isinstance(theirs, pd.Timestamp):
        return theirs == ours.tz_convert(None)
    if isinstance(theirs, pd.Timedelta) or isinstance(ours, pd.Timedelta):
        return theirs == ours
    theirs, ours = float(theirs), float(ours)
    if math.isnan(theirs) or math.isnan(ours):
        return math.isnan(theirs) and math.isnan(ours)
    return theirs == ours or abs(theirs - ours) <= 1e-9 * abs(theirs)


def assert_same_stats(ours: dict, expected) -> None:
    wrong = {
        key: (expected.get(key, 0.0), ours[key])
        for key in STAT_KEYS
        if not same_stat(expected.get(key, 0.0), ours[key])
    }
    assert not wrong


def assert_same_trades(result, expected) -> None:
    """Bars, prices and sizes identical; PnL, returns and commissions within 1e-12."""
    theirs = expected["_trades"]
    assert result.n_trades == len(theirs)
    for column in ("Size", "EntryBar", "ExitBar", "EntryPrice", "ExitPrice"):
        np.testing.assert_array_equal(result.trades[column], theirs[column].to_numpy(), column)
    for column in ("PnL", "ReturnPct", "Commission"):
        np.testing.assert_allclose(
            result.trades[column], theirs[column], rtol=1e-12, err_msg=column
        )
    np.testing.assert_array_equal(
        result.trades["EntryTime"],
        (pd.to_datetime(theirs["EntryTime"]) - pd.Timestamp(0)) // pd.Timedelta(1, "ms"),
    )
