"""The engine's own rules: no look-ahead, the last bar, sizes, bad settings, the strategies."""

from __future__ import annotations

import numpy as np
import pytest

from backtest.engine import BacktestSettings, run_backtest
from backtest.rules import BuyAndHold, SmaCross, StrategyError
from tests.helpers import market_data as fixtures_market

random_candles = fixtures_market.random_candles


def _run(candles, targets, settings=BacktestSettings(), warmup=0):
    return run_backtest(
        candles["open"].to_numpy(),
        candles["close"].to_numpy(),
        candles.index.to_numpy(),
        targets,
        settings,
        warmup,
    )


def test_changing_future_candles_moves_no_earlier_signal_or_fill():
    candles = random_candles(3000, seed=11)
    cut = 2000
    changed = candles.copy()
    rng = np.random.default_rng(0)
    changed.iloc[cut:, :4] = changed.iloc[cut:, :4].to_numpy() * rng.uniform(0.5, 1.5, (1000, 1))
    strategy = SmaCross({"fast": 5, "slow": 20})
    before, after = strategy.signals(candles), strategy.signals(changed)
    np.testing.assert_array_equal(before.targets[:cut], after.targets[:cut])
    a, b = (
        _run(candles, before.targets, warmup=before.warmup),
        _run(changed, after.targets, warmup=after.warmup),
    )
    # fills up to the cut (entry and exit bars <= cut) are the same, and so is the equity before it
    closed_a = a.trades["ExitBar"] < cut
    closed_b = b.trades["ExitBar"] < cut
    for column in ("Size", "EntryBar", "ExitBar", "EntryPrice", "ExitPrice", "PnL"):
        np.testing.assert_array_equal(a.trades[column][closed_a], b.trades[column][closed_b])
    np.testing.assert_array_equal(a.equity[:cut], b.equity[:cut])
    assert closed_a.sum() > 10


def test_fills_at_next_open_or_this_close():
    candles = random_candles(50, seed=1)
    targets = np.full(50, np.nan)
    targets[10], targets[20] = 1.0, 0.0
    nxt = _run(candles, targets)
    assert nxt.trades["EntryBar"].tolist() == [11]
    assert nxt.trades["EntryPrice"][0] == candles["open"].iloc[11]
    assert nxt.trades["ExitPrice"][0] == candles["open"].iloc[21]
    toc = _run(candles, targets, BacktestSettings(trade_on_close=True))
    assert toc.trades["EntryBar"].tolist() == [10]
    assert toc.trades["EntryPrice"][0] == candles["close"].iloc[10]


def test_last_bar_signal_is_not_traded_and_open_trade_is_closed_on_the_last_bar():
    candles = random_candles(30, seed=2)
    targets = np.full(30, np.nan)
    targets[5], targets[29] = -1.0, 1.0
    result = _run(candles, targets, BacktestSettings(commission=0.001))
    assert result.n_trades == 1
    assert result.trades["Size"][0] < 0
    assert result.trades["ExitBar"][0] == 29
    assert result.trades["ExitPrice"][0] == candles["open"].iloc[29]
    assert result.equity[-1] == pytest.approx(10_000 + result.trades["PnL"][0])


def test_no_short_means_flat_and_size_is_a_fraction_of_equity():
    candles = random_candles(100, seed=3)
    targets = np.full(100, np.nan)
    targets[[10, 30, 60]] = [1.0, -1.0, 1.0]
    result = _run(candles, targets, BacktestSettings(allow_short=False, size=0.25))
    assert result.trades["Size"].tolist()[0] == int(2500 // candles["open"].iloc[11])
    assert (result.trades["Size"] > 0).all() and result.n_trades == 2
    full = _run(candles, targets, BacktestSettings(size=1.0))
    assert full.trades["Size"][0] == int(10_000 // candles["open"].iloc[11])


@pytest.mark.parametrize(
    "settings, field",
    [
        (BacktestSettings(cash=0), "cash"),
        (BacktestSettings(commission=0.5), "commission"),
        (BacktestSettings(size=1.5), "size"),
        (BacktestSettings(size=float("nan")), "size"),
    ],
)
def test_bad_settings_name_their_field(settings, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        settings.validate()


def test_strategy_params_are_checked_by_name():
    with pytest.raises(StrategyError) as err:
        SmaCross({"fast": 30, "slow": 20})
    assert err.value.field == "params.fast"
    with pytest.raises(StrategyError, match="params.slow: must be a whole number"):
        SmaCross({"slow": "2.5"})
    with pytest.raises(StrategyError, match="params.period: unknown parameter"):
        SmaCross({"period": 3})


def test_buy_and_hold_holds_from_bar_two_to_the_end():
    candles = random_candles(40, seed=4)
    signals = BuyAndHold().signals(candles)
    result = _run(candles, signals.targets, warmup=signals.warmup)
    assert result.trades["EntryBar"].tolist() == [2]
    assert result.trades["ExitBar"].tolist() == [39]


def test_a_huge_daily_return_annualises_to_inf_not_an_error():
    # 20x a day for 4 days: (1 + day return) ** 252 overflows; backtesting.py (numpy floats)
    # gives Return (Ann.) inf and Volatility NaN (checked against it), and so do we
    import pandas as pd

    from backtest.stats import compute_stats

    n = 24 * 4
    price = 100 * 20.0 ** (np.arange(n + 1) / 24)
    times = pd.date_range("2024-01-01", periods=n, freq="h").as_unit("ms").asi8
    targets = np.full(n, np.nan)
    targets[1] = 1.0
    result = run_backtest(price[:-1], price[1:], times, targets, BacktestSettings(), 0)
    stats = compute_stats(result.trades, result.equity, times, price[1:], result.warmup)
    assert stats["Return (Ann.) [%]"] == np.inf and np.isnan(stats["Volatility (Ann.) [%]"])
    assert stats["Return [%]"] > 10_000
