"""Stop-loss, take-profit and trailing stop exits, with backtesting.py's semantics.

A trade opened by an order placed at bar ``s`` carries, when asked for:

- a stop-loss at ``close[s] * (1 - sl_pct / 100)`` (long; ``1 + sl_pct / 100`` short) and a
  take-profit at ``close[s] * (1 + tp_pct / 100)`` (long; ``1 - tp_pct / 100`` short), as a
  backtesting.py strategy writes ``self.buy(sl=..., tp=...)``;
- a trailing stop ``trailing_atr`` average true ranges (``atr_period`` bars) from each close, as
  ``backtesting.lib.TrailingStrategy.set_trailing_sl(n)``: after each bar's close the stop moves
  to ``close - n * ATR`` (long; ``close + n * ATR`` short) when that is tighter. Unlike
  TrailingStrategy, which back-fills its first ATR values from later bars, there is no trailing
  stop before the ATR is defined (no look-ahead).

They are checked intrabar, by high and low, from the bar the trade was filled in (the next bar
with ``trade_on_close``) on: a stop fills at its price, or at the open when the bar gaps through
it; a target fills at its price or at a better open. When both fall in one bar the stop fills
first (backtesting.py processes stop-loss orders first). A stop or target exit leaves the
position flat until the strategy's target changes (``backtest/engine.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Exits:
    """The exit parameters every strategy takes; 0 means off."""

    sl_pct: float = 0.0
    tp_pct: float = 0.0
    trailing_atr: float = 0.0
    atr_period: int = 100

    @property
    def active(self) -> bool:
        return bool(self.sl_pct or self.tp_pct or self.trailing_atr)


def average_true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int):
    """TrailingStrategy's ATR (the same float operations) without its back-fill: NaN for the
    first ``period`` bars."""
    previous = pd.Series(close).shift(1)
    true_range = np.max(
        [high - low, (previous - high).abs(), (previous - low).abs()], axis=0
    )  # fmt: skip
    return pd.Series(true_range).rolling(period).mean().to_numpy()


SCAN = 64  # bars a trade's exit is looked for bar by bar before numpy takes the rest


class ExitPlan:
    """Finds where a trade's stop or target fills, over the (scaled) candles of a run.

    Most trades last a few dozen bars: those are scanned bar by bar over plain lists (numpy's
    per-call cost would dominate); the rest of a long trade is searched with numpy."""

    def __init__(self, exits: Exits, open_, high, low, close):
        self.exits = exits
        self.open, self.high, self.low, self.close = open_, high, low, close
        self._lists = (open_.tolist(), high.tolist(), low.tolist())
        self.trail = None
        if exits.trailing_atr:
            atr = average_true_range(high, low, close, int(exits.atr_period))
            n = float(exits.trailing_atr)
            # the stop each close would ask for, long and short (NaN before the ATR exists)
            self.trail = (close - atr * n, close + atr * n)
            self._trail_lists = (self.trail[0].tolist(), self.trail[1].tolist())

    def levels(self, direction: int, signal_bar: int) -> tuple[float, float]:
        """The fixed stop and target of a trade (inf / -inf when off)."""
        price = float(self.close[signal_bar])
        sl_pct, tp_pct = self.exits.sl_pct, self.exits.tp_pct
        if direction > 0:
            stop = price * (1 - sl_pct / 100) if sl_pct else -np.inf
            target = price * (1 + tp_pct / 100) if tp_pct else np.inf
        else:
            stop = price * (1 + sl_pct / 100) if sl_pct else np.inf
            target = price * (1 - tp_pct / 100) if tp_pct else -np.inf
        return stop, target

    def first_exit(
        self, direction: int, signal_bar: int, first: int, last: int
    ) -> tuple[int, float] | None:
        """The bar and price where the trade exits, checking bars ``first..last``; None when it
        survives them."""
        if last < first:
            return None
        stop, target = self.levels(direction, signal_bar)
        scanned = min(last, first + SCAN - 1)
        found, stop = self._scan(direction, stop, target, first, scanned)
        if found is not None or scanned == last:
            return found
        # the stop in force at scanned + 1 already includes the closes up to ``scanned``
        return self._search(direction, stop, target, scanned + 1, last)

    def _scan(self, direction: int, stop: float, target: float, first: int, last: int):
        """Bar by bar; returns the exit (or None) and the stop in force after ``last``."""
        opens, highs, lows = self._lists
        trail = None if self.trail is None else self._trail_lists[0 if direction > 0 else 1]
        for bar in range(first, last + 1):
            o = opens[bar]
            if direction > 0:
                if lows[bar] <= stop:
                    return (bar, min(o, stop)), stop
                if highs[bar] >= target:
                    return (bar, max(o, target)), stop
                if trail is not None:
                    ask = trail[bar]
                    if ask > stop:  # False for NaN: no trailing stop before the ATR exists
                        stop = ask
            else:
                if highs[bar] >= stop:
                    return (bar, max(o, stop)), stop
                if lows[bar] <= target:
                    return (bar, min(o, target)), stop
                if trail is not None:
                    ask = trail[bar]
                    if ask < stop:
                        stop = ask
        return None, stop

    def _search(self, direction: int, stop: float, target: float, first: int, last: int):
        o = self.open[first : last + 1]
        h = self.high[first : last + 1]
        lo = self.low[first : last + 1]
        stops = stop if self.trail is None else self._trailing(direction, stop, first, last)
        if direction > 0:
            stop_hit = lo <= stops
            target_hit = h >= target
        else:
            stop_hit = h >= stops
            target_hit = lo <= target
        hit = stop_hit | target_hit
        k = int(hit.argmax())
        if not hit[k]:
            return None
        bar = first + k
        if stop_hit[k]:
            level = float(stops[k]) if isinstance(stops, np.ndarray) else stop
            price = min(float(o[k]), level) if direction > 0 else max(float(o[k]), level)
        else:
            price = max(float(o[k]), target) if direction > 0 else min(float(o[k]), target)
        return bar, price

    def _trailing(self, direction: int, stop: float, first: int, last: int) -> np.ndarray:
        """The stop in force at each bar ``first..last``: ``stop`` there, tightened after each
        close from ``first`` on."""
        asks = self.trail[0 if direction > 0 else 1][first:last]
        stops = np.empty(last - first + 1)
        stops[0] = stop
        if direction > 0:
            stops[1:] = np.fmax(np.fmax.accumulate(asks), stop) if len(asks) else stop
        else:
            stops[1:] = np.fmin(np.fmin.accumulate(asks), stop) if len(asks) else stop
        return stops
