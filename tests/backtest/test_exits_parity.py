"""Stops, targets, trailing stops and spread against backtesting.py itself.

The oracle (``ExitingTargets``) places ``buy(sl=..., tp=...)`` / ``sell(...)`` as our signals ask,
tightens a trailing stop as ``backtesting.lib.TrailingStrategy`` does, stays flat after a stop or
target exit until the target changes, and, like our engine, does not trade a signal on the last
bar. The trades must be identical and every statistic within 1e-9 relative. TrailingStrategy
back-fills its first ATR values from later bars (a look-ahead our engine does not copy), so the
trailing cases start trading after ``atr_period`` bars, where both have the ATR.
"""

from __future__ import annotations

import numpy as np
import pytest

from backtest.engine import BacktestSettings, run_backtest
from backtest.exits import Exits, average_true_range
from backtest.rules import SmaCross
from backtest.stats import STAT_KEYS, compute_stats
from tests.helpers import market_data as fixtures_market
from tests.helpers.backtesting_oracle import ExitingTargets, run_oracle
from tests.helpers.parity import assert_same_stats, assert_same_trades

market_candles = fixtures_market.market_candles
random_candles = fixtures_market.random_candles


def _run(candles, targets, settings, exits, warmup=0):
    return run_backtest(
        candles["open"].to_numpy(), candles["close"].to_numpy(), candles.index.to_numpy(),
        targets, settings, warmup, high=candles["high"].to_numpy(),
        low=candles["low"].to_numpy(), exits=exits,
    )  # fmt: skip


def _random_targets(n: int, seed: int, density: float, allow_short: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = density / 3
    targets = rng.choice([-1.0, 0.0, 1.0, np.nan], size=n, p=[p, p, p, 1 - 3 * p])
    if not allow_short:
        targets[targets < 0] = 0.0
    return targets


def _check(candles, targets, settings, exits, warmup=0):
    asked = targets.copy()
    if not settings.allow_short:
        asked[asked < 0] = 0.0  # what our engine makes of a short target
    expected = run_oracle(
        candles, ExitingTargets, settings, targets=asked, warmup=warmup,
        sl_pct=exits.sl_pct, tp_pct=exits.tp_pct, trailing_atr=exits.trailing_atr,
        atr_period=exits.atr_period,
    )  # fmt: skip
    result = _run(candles, targets, settings, exits, warmup)
    assert_same_trades(result, expected)
    np.testing.assert_allclose(result.equity, expected["_equity_curve"]["Equity"], rtol=1e-12)
    times = candles.index.to_numpy()
    ours = compute_stats(result.trades, result.equity, times, candles["close"].to_numpy(), warmup)
    assert list(ours) == list(STAT_KEYS)
    assert_same_stats(ours, expected)
    return result, expected


# (market, exits, settings): stops only, targets only, both, trailing, trailing over a fixed
# stop, spread, shorts off, trade_on_close and fractional units
CASES = {
    "stops": Exits(sl_pct=2.0),
    "targets": Exits(tp_pct=3.0),
    "both": Exits(sl_pct=1.5, tp_pct=2.5),
    "trailing": Exits(trailing_atr=2.0, atr_period=14),
    "trailing-and-stop": Exits(sl_pct=4.0, tp_pct=8.0, trailing_atr=3.0, atr_period=20),
}
SETTINGS = {
    "plain": BacktestSettings(commission=0.001, size=0.5),
    "spread": BacktestSettings(commission=0.001, size=0.5, spread=0.0008),
    "no-short": BacktestSettings(commission=0.002, allow_short=False, spread=0.0005),
    "on-close": BacktestSettings(commission=0.001, size=0.3, trade_on_close=True, spread=0.0002),
    "fractional": BacktestSettings(commission=0.001, size=0.7, fractional_unit=1e-6),
}


@pytest.mark.parametrize("name", ["GOOG", "EURUSD"])
@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("case", list(CASES))
def test_random_signals_with_exits_match_backtesting_py(name, setting, case):
    candles = market_candles(name)
    settings, exits = SETTINGS[setting], CASES[case]
    # EURUSD moves about 0.1 % an hour: stops and targets a tenth as wide hit as often
    if name == "EURUSD":
        exits = Exits(exits.sl_pct / 10, exits.tp_pct / 10, exits.trailing_atr, exits.atr_period)
    targets = _random_targets(len(candles), 7, 0.05, settings.allow_short)
    warmup = exits.atr_period if exits.trailing_atr else 0
    result, expected = _check(candles, targets, settings, exits, warmup)
    assert result.n_trades > 20
    exited = _exits_by_stop_or_target(result, targets)
    assert exited > 5, "the case must exercise the exits"
    if settings.allow_short:
        assert (result.trades["Size"] < 0).sum() > 5


@pytest.mark.parametrize("name", ["GOOG", "EURUSD"])
@pytest.mark.parametrize("setting", ["plain", "spread", "no-short"])
def test_sma_cross_with_stops_and_trailing_matches_backtesting_py(name, setting):
    candles = market_candles(name)
    scale = 1 if name == "GOOG" else 0.1
    exits = Exits(sl_pct=3 * scale, tp_pct=6 * scale, trailing_atr=2.5, atr_period=30)
    signals = SmaCross({"fast": 10, "slow": 40}).signals(candles)
    result, _ = _check(candles, signals.targets, SETTINGS[setting], exits, signals.warmup)
    assert result.n_trades > 20


def _exits_by_stop_or_target(result, targets) -> int:
    """Trades that ended on a bar with no order: a stop or a target closed them."""
    exit_bars = result.trades["ExitBar"]
    last = len(targets) - 1
    return int(sum(1 for bar in exit_bars if bar < last - 1 and np.isnan(targets[bar - 1])))


def test_after_a_stop_the_position_stays_flat_until_the_target_changes():
    candles = random_candles(400, seed=8)
    targets = np.full(400, np.nan)
    targets[10:200] = 1.0  # a strategy that asks for long on every bar (a DQN's positions)
    targets[200] = 0.0
    targets[250] = 1.0
    exits = Exits(sl_pct=0.5)
    result = _run(candles, targets, BacktestSettings(), exits)
    entries = result.trades["EntryBar"].tolist()
    first_exit = int(result.trades["ExitBar"][0])
    assert first_exit < 199, "the stop must hit before the target turns flat"
    # no re-entry while the target stays long: the next trade comes after the target changed
    assert entries[0] == 11 and entries[1] == 251
    # without a stop, the long is held until the target turns flat
    plain = _run(candles, targets, BacktestSettings(), Exits())
    assert plain.trades["EntryBar"].tolist() == [11, 251]
    assert plain.trades["ExitBar"][0] == 201


def test_a_gap_through_the_stop_fills_at_the_open_and_stop_goes_before_target():
    candles = random_candles(60, seed=3)
    targets = np.full(60, np.nan)
    targets[10] = 1.0
    close10 = candles["close"].iloc[10]
    gapped = candles.copy()
    # bar 13 opens 5 % below the stop: the stop fills at that open
    gapped.iloc[13, gapped.columns.get_loc("open")] = close10 * 0.90
    gapped.iloc[13, gapped.columns.get_loc("low")] = close10 * 0.89
    result = _run(gapped, targets, BacktestSettings(), Exits(sl_pct=5.0))
    assert result.trades["ExitBar"][0] == 13
    assert result.trades["ExitPrice"][0] == close10 * 0.90
    # a bar that reaches both the stop and the target: the stop fills
    wide = candles.copy()
    wide.iloc[12, wide.columns.get_loc("high")] = close10 * 1.2
    wide.iloc[12, wide.columns.get_loc("low")] = close10 * 0.8
    both = _run(wide, targets, BacktestSettings(), Exits(sl_pct=10.0, tp_pct=10.0))
    assert both.trades["ExitBar"][0] == 12
    assert both.trades["ExitPrice"][0] == pytest.approx(close10 * 0.9)


def test_no_trailing_stop_before_the_atr_is_defined():
    candles = random_candles(300, seed=9)
    atr = average_true_range(candles["high"].to_numpy(), candles["low"].to_numpy(),
                             candles["close"].to_numpy(), 50)  # fmt: skip
    assert np.isnan(atr[:50]).all() and not np.isnan(atr[50:]).any()
    targets = np.full(300, np.nan)
    targets[5] = 1.0
    # a trailing stop of 0.01 ATR would close the trade on the next bar if it were there
    result = _run(candles, targets, BacktestSettings(), Exits(trailing_atr=0.01, atr_period=50))
    assert result.trades["ExitBar"][0] > 50
