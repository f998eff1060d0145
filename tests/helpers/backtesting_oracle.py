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
from backtesting.lib import FractionalBacktest, crossover

from backtest.engine import BacktestSettings
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
            self.I(lambda: lead, name="warmup", plot=False)

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
            trade_on_close=settings.trade_on_close, exclusive_orders=True, finalize_trades=True,
            **({} if unit == 1 else {"fractional_unit": unit}),
        )  # fmt: skip
        return backtest.run(fraction=settings.fraction, **params)
