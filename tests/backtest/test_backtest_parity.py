"""Our engine against backtesting.py itself (the oracle, a dev dependency) on the same signals.

Each case runs ``Backtest(..., exclusive_orders=True, finalize_trades=True)`` with a strategy that
places the order our signals ask for, and checks that the trades are identical (bars, prices,
sizes, PnL), the equity curve is equal, and every statistic is within 1e-9 relative. Known
difference, by design: backtesting.py fills an order placed on the last bar at that bar's own open
during finalisation; our engine does not trade a last-bar signal, so the oracle strategies skip
the last bar (``tests/backtest/test_backtest_engine.py`` shows what we do instead).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from backtest.engine import BacktestSettings, run_backtest
from backtest.rules import SmaCross
from backtest.stats import STAT_KEYS, compute_stats
from tests.helpers import market_data as fixtures_market
from tests.helpers.backtesting_oracle import SmaCross as OracleSmaCross
from tests.helpers.backtesting_oracle import Targets, run_oracle

market_candles = fixtures_market.market_candles
random_candles = fixtures_market.random_candles


def _same_stat(key: str, theirs, ours) -> bool:
    if isinstance(theirs, pd.Timestamp):
        return theirs == ours.tz_convert(None)
    if isinstance(theirs, pd.Timedelta) or isinstance(ours, pd.Timedelta):
        return theirs == ours
    theirs, ours = float(theirs), float(ours)
    if math.isnan(theirs) or math.isnan(ours):
        return math.isnan(theirs) and math.isnan(ours)
    return theirs == ours or abs(theirs - ours) <= 1e-9 * abs(theirs)


def _assert_parity(candles: pd.DataFrame, expected, targets, warmup: int, settings) -> None:
    times = candles.index.to_numpy()
    result = run_backtest(
        candles["open"].to_numpy(), candles["close"].to_numpy(), times, targets, settings, warmup
    )
    theirs = expected["_trades"]
    assert result.n_trades == len(theirs)
    for column in ("Size", "EntryBar", "ExitBar", "EntryPrice", "ExitPrice"):
        np.testing.assert_array_equal(result.trades[column], theirs[column].to_numpy(), column)
    # (with fractional units both scale prices and sizes by the same float operations)
    for column in ("PnL", "ReturnPct", "Commission"):
        np.testing.assert_allclose(
            result.trades[column], theirs[column], rtol=1e-12, err_msg=column
        )
    np.testing.assert_array_equal(
        result.trades["EntryTime"],
        (pd.to_datetime(theirs["EntryTime"]) - pd.Timestamp(0)) // pd.Timedelta(1, "ms"),
    )
    np.testing.assert_allclose(result.equity, expected["_equity_curve"]["Equity"], rtol=1e-12)
    ours = compute_stats(result.trades, result.equity, times, candles["close"].to_numpy(), warmup)
    assert list(ours) == list(STAT_KEYS)
    wrong = {
        key: (expected.get(key, 0.0), ours[key])
        for key in STAT_KEYS
        if not _same_stat(key, expected.get(key, 0.0), ours[key])
    }
    assert not wrong


SETTINGS = [
    BacktestSettings(),
    BacktestSettings(commission=0.002, size=0.5),
    BacktestSettings(commission=0.001, trade_on_close=True, size=0.3),
    BacktestSettings(commission=0.001, allow_short=False),
    BacktestSettings(commission=0.001, size=0.7, fractional_unit=1e-6),
]


def SETTING_IDS(s: BacktestSettings) -> str:  # noqa: N802 (reads as a constant in parametrize)
    return f"c{s.commission}-toc{s.trade_on_close}-short{s.allow_short}-unit{s.fractional_unit}"


def _random_targets(n: int, seed: int, density: float, allow_short: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = density / 3
    targets = rng.choice([-1.0, 0.0, 1.0, np.nan], size=n, p=[p, p, p, 1 - 3 * p])
    if not allow_short:
        targets[targets < 0] = 0.0
    return targets


@pytest.mark.parametrize("name", ["GOOG", "EURUSD"])
@pytest.mark.parametrize("settings", SETTINGS, ids=SETTING_IDS)
def test_random_signals_match_backtesting_py(name, settings):
    candles = market_candles(name)
    targets = _random_targets(len(candles), 7, 0.1, settings.allow_short)
    expected = run_oracle(candles, Targets, settings, targets=targets)
    _assert_parity(candles, expected, targets, 0, settings)
    assert len(expected["_trades"]) > 20


def test_no_signal_no_trade_matches_backtesting_py():
    candles = market_candles("GOOG")
    targets = np.full(len(candles), np.nan)
    settings = BacktestSettings()
    _assert_parity(candles, run_oracle(candles, Targets, settings, targets=targets), targets, 0,
                   settings)  # fmt: skip


@pytest.mark.parametrize("name", ["GOOG", "EURUSD"])
@pytest.mark.parametrize("settings", SETTINGS, ids=SETTING_IDS)
def test_sma_cross_matches_backtesting_py(name, settings):
    candles = market_candles(name)
    strategy = SmaCross({"fast": 10, "slow": 30})
    signals = strategy.signals(candles)
    expected = run_oracle(
        candles, OracleSmaCross, settings, fast=10, slow=30, short=settings.allow_short
    )
    _assert_parity(candles, expected, signals.targets, signals.warmup, settings)
    assert len(expected["_trades"]) > 20


def test_200k_synthetic_minutes_match_backtesting_py():
    candles = random_candles(200_000, seed=5)
    settings = BacktestSettings(commission=0.001, size=0.9)
    targets = _random_targets(len(candles), 3, 0.02, True)
    expected = run_oracle(candles, Targets, settings, targets=targets)
    _assert_parity(candles, expected, targets, 0, settings)
    signals = SmaCross({"fast": 50, "slow": 200}).signals(candles)
    expected = run_oracle(candles, OracleSmaCross, settings, fast=50, slow=200)
    _assert_parity(candles, expected, signals.targets, signals.warmup, settings)


def test_a_short_ruined_by_a_rally_matches_backtesting_py():
    candles = random_candles(300, seed=2)
    rally = np.exp(np.linspace(0, 2.5, 300))
    for col in ("open", "high", "low", "close"):
        candles[col] = candles[col] * rally
    targets = np.full(300, np.nan)
    targets[[5, 280]] = [-1.0, 1.0]  # the short goes broke before bar 280
    settings = BacktestSettings(commission=0.001)
    expected = run_oracle(candles, Targets, settings, targets=targets)
    _assert_parity(candles, expected, targets, 0, settings)
    assert expected["Equity Final [$]"] == 0
