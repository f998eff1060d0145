"""backtesting.py itself (a dev dependency, AGPL: a test oracle only) run on our signals.

``run_oracle`` runs ``Backtest`` (``FractionalBacktest`` for fractional units) with
``exclusive_orders=True, finalize_trades=True`` and a strategy that places the order our engine
would: buy, sell or close when the bar's target differs from the position held. The strategies
skip the last bar: backtesting.py would fill an order from there at that bar's own open during
finalisation, which our engine does not do (see ``backtest/engine.py``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import FractionalBacktest, TrailingStrategy, crossover

from backtest.engine import FULL_EQUITY, BacktestSettings
from backtest.rules import sma


class Targets(Strategy):
    """Buys, sells or closes when the target differs from the position held."""

    targets = None
    fraction = 0.5
    warmup = 0

    def init(self):
        self._last = len(self.data.df) - 1
        if self.warmup:
            # an indicator whose NaN lead makes backtesting.py start trading where we do
            lead = np.r_[np.full(self.warmup, np.nan), np.zeros(len(self.data.df) - self.warmup)]
            self._warmup = self.I(lambda: lead, name="warmup", plot=False)

    def next(self):
        i = len(self.data) - 1
        target = self.targets[i]
        if i == self._last or np.isnan(target):
            return
        held = 1 if self.position.is_long else -1 if self.position.is_short else 0
        if target == held:
            return
        if target == 1:
            self.buy(size=self.fraction)
        elif target == -1:
            self.sell(size=self.fraction)
        else:
            self.position.close()


class SmaCross(Strategy):
    """backtesting.py's own SMA cross, as its docs write it."""

    fast = 10
    slow = 20
    short = True
    fraction = 0.5

    def init(self):
        self._last = len(self.data.df) - 1
        self.sma1 = self.I(sma, self.data.Close, self.fast)
        self.sma2 = self.I(sma, self.data.Close, self.slow)

    def next(self):
        if len(self.data) - 1 == self._last:
            return
        if crossover(self.sma1, self.sma2):
            self.buy(size=self.fraction)
        elif crossover(self.sma2, self.sma1):
            if self.short:
                self.sell(size=self.fraction)
            else:
                self.position.close()


class FullSmaCross(SmaCross):
    """``SmaCross`` trading all the equity (``size=1``), for ``Backtest.optimize``."""

    fraction = FULL_EQUITY


class ExitingTargets(TrailingStrategy):
    """``Targets`` with a stop-loss, take-profit and trailing stop on each trade, staying flat
    after a stop or target exit until the target changes (what our engine does).

    The trailing stop moves first on each bar, then the strategy acts (so a close it orders goes
    before the stop, as ours does). TrailingStrategy back-fills its first ATR values from later
    bars; compare from a warm-up of at least ``atr_period`` bars, where both have the ATR.
    """

    targets = None
    fraction = 0.5
    warmup = 0
    sl_pct = 0.0
    tp_pct = 0.0
    trailing_atr = 0.0
    atr_period = 100

    def init(self):
        super().init()
        self.set_atr_periods(self.atr_period)
        self.set_trailing_sl(self.trailing_atr)
        self._last = len(self.data.df) - 1
        if self.warmup:
            lead = np.r_[np.full(self.warmup, np.nan), np.zeros(len(self.data.df) - self.warmup)]
            self._warmup = self.I(lambda: lead, name="warmup", plot=False)
        self._seen = 0  # closed trades seen so far
        self._ours = 0  # of the trades closed since, how many our own orders closed
        self._stopped = None

    def next(self):
        if self.trailing_atr:
            super().next()  # tighten the trailing stop at this close
        closed = len(self.closed_trades)
        if closed - self._seen > self._ours:  # a stop or target closed a trade
            self._stopped = 1 if self.closed_trades[-1].size > 0 else -1
        self._seen, self._ours = closed, 0
        i = len(self.data) - 1
        target = self.targets[i]
        if i == self._last or np.isnan(target):
            return
        if self._stopped is not None:
            if target == self._stopped:
                return
            self._stopped = None
        held = 1 if self.position.is_long else -1 if self.position.is_short else 0
        if target == held:
            return
        self._ours = 1 if held else 0
        close = self.data.Close[-1]
        if target == 1:
            self.buy(size=self.fraction,
                     sl=close * (1 - self.sl_pct / 100) if self.sl_pct else None,
                     tp=close * (1 + self.tp_pct / 100) if self.tp_pct else None)  # fmt: skip
        elif target == -1:
            self.sell(size=self.fraction,
                      sl=close * (1 + self.sl_pct / 100) if self.sl_pct else None,
                      tp=close * (1 - self.tp_pct / 100) if self.tp_pct else None)  # fmt: skip
        else:
            self.position.close()


def run_oracle(candles: pd.DataFrame, strategy, settings: BacktestSettings, **params) -> pd.Series:
    """backtesting.py's result (stats, ``_trades``, ``_equity_curve``) for our candle frame."""
    data = pd.DataFrame(
        {col.capitalize(): candles[col].to_numpy() for col in candles.columns},
        index=pd.to_datetime(candles.index.to_numpy(), unit="ms"),
    )
    unit = settings.fractional_unit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # prices above cash, open trades: both intended here
        backtest = (Backtest if unit == 1 else FractionalBacktest)(
            data, strategy, cash=settings.cash, commission=settings.commission,
            spread=settings.spread, trade_on_close=settings.trade_on_close,
            exclusive_orders=True, finalize_trades=True,
            **({} if unit == 1 else {"fractional_unit": unit}),
        )  # fmt: skip
        return backtest.run(fraction=settings.fraction, **params)
