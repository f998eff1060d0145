"""Multi-symbol portfolios: one strategy with the same parameters over several symbols of one
timeframe, each symbol a sub-account with its share of the cash.

Each sub-account is an ordinary backtest on its own candles over the requested period. The
portfolio's equity is the sum of the sub-accounts' equity on the union of their times, each
carried forward between its own bars (and at its starting cash before its first bar). Buy & Hold
is the same sum of buy-and-hold sub-accounts (each from the bar its strategy could first trade).
The statistics of the whole come from that equity and every sub-account's trades.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backtest.engine import TRADE_COLUMNS
from backtest.stats import compute_stats


@dataclass
class Account:
    """One symbol's finished run."""

    symbol: str
    cash: float
    times: np.ndarray
    equity: np.ndarray
    close: np.ndarray
    warmup: int
    trades: dict[str, np.ndarray]


def carried(times: np.ndarray, values: np.ndarray, union: np.ndarray, before: float):
    """``values`` (at ``times``) on the ``union`` of times: each carried forward to the next of
    its own times, ``before`` ahead of the first."""
    at = np.searchsorted(times, union, side="right") - 1
    out = np.where(at >= 0, values[np.clip(at, 0, None)], before)
    return out.astype(np.float64)


def buy_and_hold(account: Account) -> np.ndarray:
    """The sub-account's cash held in its asset from its first tradable bar (its cash before)."""
    first = min(account.warmup, len(account.close) - 1)
    curve = account.cash * account.close / account.close[first]
    curve[:first] = account.cash
    return curve


def combine(accounts: list[Account]) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """The union of times, the summed equity, the summed buy-and-hold curve and every trade
    (in entry order, bars counted on the union, with its ``Symbol``)."""
    union = np.unique(np.concatenate([a.times for a in accounts]))
    equity = np.zeros(len(union))
    hold = np.zeros(len(union))
    for a in accounts:
        equity += carried(a.times, a.equity, union, a.cash)
        hold += carried(a.times, buy_and_hold(a), union, a.cash)
    columns: dict[str, list] = {name: [] for name in (*TRADE_COLUMNS, "Symbol")}
    for a in accounts:
        for name in TRADE_COLUMNS:
            values = a.trades[name]
            if name in ("EntryBar", "ExitBar"):  # on the union's bars
                values = np.searchsorted(union, a.times[np.asarray(values, dtype=np.int64)])
            columns[name].append(np.asarray(values))
        columns["Symbol"].append(np.full(len(a.trades["Size"]), a.symbol, dtype=object))
    trades = {name: np.concatenate(parts) if parts else np.array([])
              for name, parts in columns.items()}  # fmt: skip
    order = np.argsort(trades["EntryTime"], kind="stable")
    trades = {name: values[order] for name, values in trades.items()}
    return union, equity, hold, trades


def portfolio_stats(accounts: list[Account]) -> tuple[dict, np.ndarray, np.ndarray, dict]:
    """Statistics of the whole (backtesting.py's names), with the union times, summed equity and
    all trades."""
    union, equity, hold, trades = combine(accounts)
    stats = compute_stats(trades, equity, union, hold, 0)
    return stats, union, equity, trades
