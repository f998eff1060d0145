"""One trial of a parameter search, as a worker process runs it: params in, a score out.

The worker holds the run's candles (and a model strategy's per-bar inputs, computed once in the
server) as shared arrays (``core/compute.py``). A trial builds the strategy with its params,
computes its signals from those arrays (:meth:`Strategy.trial_signals`), runs the engine and
the statistics, and returns the maximised statistic (``value``: None when the trial made fewer
than ``min_trades`` trades or the statistic is undefined), its trade count and a few headline
statistics. It stores nothing: no predictions, no trades.

A trial may name a window of the arrays (``_window``: first and last + 1 bar), which is how a
walk-forward searches each fold's in-sample window over one set of shared arrays.
"""

from __future__ import annotations

import math
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from backtest.engine import BacktestResult, BacktestSettings, run_backtest
from backtest.rules import Signals, Strategy, StrategyError, sma
from backtest.stats import compute_stats

CANDLE_ARRAYS = ("time", "open", "high", "low", "close", "volume")
INPUT_PREFIX = "input."
# statistics each trial reports besides the maximised one (the trials table's columns)
REPORTED = ("Return [%]", "Sharpe Ratio", "Max. Drawdown [%]", "Win Rate [%]", "SQN")
WINDOW = "_window"
_CACHE_SIZE = 6  # indicator arrays a worker keeps (a grid's inner loop reuses the outer one's)
# per candle array: a cache goes with the candles it was computed from (dropped when they are,
# before their id can name another array)
_CACHES: dict[int, OrderedDict] = {}


def _cache_for(array: np.ndarray) -> OrderedDict:
    key = id(array)
    cache = _CACHES.get(key)
    if cache is None:
        cache = _CACHES[key] = OrderedDict()
        weakref.finalize(array, _CACHES.pop, key, None)
    return cache


def candle_arrays(candles: pd.DataFrame) -> dict[str, np.ndarray]:
    """The shared arrays of a candle frame (index: open time in epoch ms)."""
    arrays = {"time": candles.index.to_numpy(dtype=np.int64)}
    for name in CANDLE_ARRAYS[1:]:
        arrays[name] = candles[name].to_numpy(dtype=np.float64)
    return arrays


class CandleArrays:
    """A window ``[lo, hi)`` of the shared arrays, as a strategy's ``trial_signals`` reads it."""

    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        lo: int = 0,
        hi: int | None = None,
        meta: dict | None = None,
    ):
        self._arrays = arrays
        self.meta = meta or {}  # what the strategy's search_inputs said besides its arrays
        self.lo, self.hi = lo, len(arrays["time"]) if hi is None else hi
        for name in CANDLE_ARRAYS:
            setattr(self, name, arrays[name][self.lo : self.hi])

    def __len__(self) -> int:
        return self.hi - self.lo

    def input(self, name: str) -> np.ndarray:
        """A per-bar input the strategy's ``search_inputs`` computed once."""
        return self._arrays[INPUT_PREFIX + name][self.lo : self.hi]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {name: getattr(self, name) for name in CANDLE_ARRAYS[1:]},
            index=pd.Index(self.time, name="time"),
        )

    def sma(self, n: int) -> np.ndarray:
        """The close's simple moving average (``rules.sma``), cached across trials."""
        cache = _cache_for(self._arrays["close"])
        key = (self.lo, self.hi, "sma", int(n))
        found = cache.get(key)
        if found is None:
            found = sma(self.close, int(n))
            cache[key] = found
            while len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        return found


@dataclass(frozen=True)
class TrialSetup:
    """What every trial of one search shares (pickled once per chunk of trials)."""

    strategy: str
    settings: BacktestSettings
    maximize: str
    min_trades: int = 1
    fixed: dict = field(default_factory=dict)  # the params not searched
    meta: dict = field(default_factory=dict)  # the strategy's search_inputs facts (warm-up)


def make(name: str, params: dict) -> Strategy:
    from backtest.strategies import make_strategy  # the registry (model strategies included)

    return make_strategy(name, params, None)


def simulate(
    strategy: Strategy, candles: CandleArrays, settings: BacktestSettings, trade_from: int = 0
) -> tuple[BacktestResult, Signals, slice]:
    """Signals over ``candles``, then the engine over bars ``trade_from`` on only (the bars
    before are the indicators' warm-up: no trade, no statistic). Returns the result, the signals
    and the bars it covers (relative to ``candles``)."""
    signals = strategy.trial_signals(candles)
    part = slice(trade_from, len(candles))
    warmup = max(0, signals.warmup - trade_from)
    result = run_backtest(
        candles.open[part], candles.close[part], candles.time[part], signals.targets[part],
        settings, warmup, high=candles.high[part], low=candles.low[part],
        exits=strategy.exits,
    )  # fmt: skip
    return result, signals, part


def score(stats: dict, maximize: str, trades: int, min_trades: int) -> float | None:
    """The maximised statistic, or None (too few trades, or undefined)."""
    if trades < max(1, min_trades):
        return None
    value = stats.get(maximize)
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def run_trial(arrays: dict[str, np.ndarray], setup: TrialSetup, params: dict) -> dict[str, Any]:
    """One trial: ``{"value", "trades", "stats"}`` (or ``"error"`` for a refused combination)."""
    searched = {k: v for k, v in params.items() if k != WINDOW}
    lo, hi = params.get(WINDOW) or (0, len(arrays["time"]))
    try:
        strategy = make(setup.strategy, {**setup.fixed, **searched})
    except StrategyError as exc:
        return {"value": None, "trades": 0, "stats": {}, "error": str(exc)}
    candles = CandleArrays(arrays, lo, hi, setup.meta)
    result, _, part = simulate(strategy, candles, setup.settings)
    trades = result.n_trades
    if not trades:
        return {"value": None, "trades": 0, "stats": {}}
    stats = compute_stats(result.trades, result.equity, candles.time[part], candles.close[part],
                          result.warmup)  # fmt: skip
    value = score(stats, setup.maximize, trades, setup.min_trades)
    kept = {k: _number(stats.get(k)) for k in (*REPORTED, setup.maximize)}
    return {"value": value, "trades": trades, "stats": kept}


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
