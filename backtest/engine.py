"""Backtest engine: per-bar target positions in, trades and an equity curve out.

Pure numpy, no Dash, no threads. The semantics are backtesting.py's (``Backtest(...,
exclusive_orders=True, finalize_trades=True)`` with a strategy that buys, sells or closes when its
target changes), so its results can be checked against it bar for bar:

- **Signals** are target positions per bar: ``1`` long, ``-1`` short, ``0`` flat, ``NaN`` keep
  what you hold. An order is placed at bar t only when the target differs from the position held
  then. Signals before bar ``1 + warmup`` are ignored (backtesting.py first calls ``next()`` there),
  and so is a signal on the last bar: there is no next bar to fill it (backtesting.py would fill it
  at that same bar's open during finalisation, a look-ahead we do not copy).
- **Fills**: an order from bar t fills at the open of bar t+1. With ``trade_on_close`` it fills at
  bar t's close instead (the trade's bar is t, the account sees it from t+1, as in backtesting.py).
- **Exclusive orders**: a new order first closes the open trade, at the same price. With
  ``allow_short=False`` a short target means flat.
- **Commission**: relative, charged on entry (on the entry price) and on exit (on the exit price).
- **Size**: a fraction of equity in (0, 1]; the whole number of units is
  ``floor(cash * size / (price * (1 + commission)))`` as in backtesting.py, and an order for zero
  units is dropped (the next signal tries again). ``size=1`` means all of it
  (backtesting.py's ``1 - eps``: a size of exactly 1 would mean one unit there).
- **Fractional units**: with ``fractional_unit`` u < 1, prices are multiplied by u and sizes
  counted in units of u, as ``backtesting.lib.FractionalBacktest`` does; the trade list shows
  sizes and prices in whole assets again.
- **End of period**: a trade still open is closed on the last bar, at the price backtesting.py's
  finalisation gives it: the last bar's open (with ``trade_on_close``: the previous bar's close, on
  that bar), and it is counted in the statistics.
- **Ruin**: when equity falls to 0 or below at a bar's close, the trade is closed at that close,
  equity is 0 from there on and nothing more happens.
- **Spread**: backtesting.py's ``spread``, a relative bid-ask cost paid on each entry: a long
  buys at ``price * (1 + spread)``, a short sells at ``price * (1 - spread)`` (exits at the price).
- **Stops and targets** (:class:`backtest.exits.Exits`: ``sl_pct``, ``tp_pct``, ``trailing_atr``):
  checked intrabar by high and low from the fill on (``backtest/exits.py``). **After a stop or
  target exit the position stays flat until the target changes**: signals that repeat the target
  the stopped trade held are ignored, as a crossover strategy in backtesting.py would not buy
  again; the first other signal (flat included) counts again.

The account only changes when an order fills, so the work runs over fills (a short Python loop,
one step per order) and the equity curve is filled in with numpy between them.
"""

from __future__ import annotations

import sys
from bisect import bisect_left
from dataclasses import dataclass
from math import copysign

import numpy as np

from backtest.exits import ExitPlan, Exits

FULL_EQUITY = 1 - sys.float_info.epsilon

TRADE_COLUMNS = (
    "Size",
    "EntryBar",
    "ExitBar",
    "EntryPrice",
    "ExitPrice",
    "PnL",
    "ReturnPct",
    "Commission",
    "EntryTime",
    "ExitTime",
    "Duration",
)


@dataclass(frozen=True)
class BacktestSettings:
    cash: float = 10_000.0
    commission: float = 0.0
    size: float = FULL_EQUITY
    allow_short: bool = True
    trade_on_close: bool = False
    # smallest tradable fraction of the asset (backtesting.lib.FractionalBacktest): 1 trades
    # whole units as Backtest does; 1e-8 trades satoshis, so 10,000 cash can buy BTC
    fractional_unit: float = 1.0
    # backtesting.py's spread: relative bid-ask cost on each entry
    spread: float = 0.0

    def validate(self) -> None:
        """Raise ValueError naming the field that is out of range."""
        if not (np.isfinite(self.cash) and self.cash > 0):
            raise ValueError(f"cash: must be a positive number, got {self.cash}")
        if not (np.isfinite(self.commission) and -0.1 <= self.commission < 0.1):
            raise ValueError(f"commission: must be in [-0.1, 0.1), got {self.commission}")
        if not (np.isfinite(self.size) and 0 < self.size <= 1):
            raise ValueError(f"size: must be a fraction of equity in (0, 1], got {self.size}")
        if not (np.isfinite(self.fractional_unit) and 0 < self.fractional_unit <= 1):
            raise ValueError(f"fractional_unit: must be in (0, 1], got {self.fractional_unit}")
        if not (np.isfinite(self.spread) and 0 <= self.spread < 0.1):
            raise ValueError(f"spread: must be in [0, 0.1), got {self.spread}")

    @property
    def fraction(self) -> float:
        return FULL_EQUITY if self.size >= 1 else float(self.size)


@dataclass
class BacktestResult:
    """Trades as columns (numpy arrays keyed by ``TRADE_COLUMNS``) and equity per bar."""

    trades: dict[str, np.ndarray]
    equity: np.ndarray
    warmup: int

    @property
    def n_trades(self) -> int:
        return len(self.trades["Size"])


class _Account:
    """Cash and the one open trade, changed fill by fill as backtesting.py's broker does."""

    def __init__(self, cash: float, commission: float, fraction: float, spread: float = 0.0):
        self.cash = float(cash)
        self.rate = commission
        self.fraction = fraction
        self.spread = spread
        self.units = 0
        self.entry_price = 0.0
        self.entry_bar = -1
        # closed trades: units, entry bar, exit bar, entry price, exit price
        self.closed: list[tuple[int, int, int, float, float]] = []

    def close(self, price: float, bar: int) -> None:
        units = self.units
        if not units:
            return
        exit_commission = 0 + abs(units) * price * self.rate
        self.cash += units * (price - self.entry_price) - 0 - exit_commission
        self.closed.append((units, self.entry_bar, bar, self.entry_price, price))
        self.units = 0

    def open(self, direction: int, price: float, bar: int) -> bool:
        """Open a trade for ``fraction`` of the cash; False when that buys no whole unit."""
        order_size = copysign(self.fraction, direction)
        # the entry pays the spread: the commission is charged on that price, sized on the quote
        adjusted = price * (1 + copysign(self.spread, direction))
        with_commission = adjusted + (0 + abs(order_size) * price * self.rate) / abs(order_size)
        available = max(0, self.cash + 0.0)
        units = int(
            copysign(int((available * 1.0 * abs(order_size)) // with_commission), direction)
        )
        if not units:
            return False
        self.cash -= 0 + abs(units) * adjusted * self.rate
        self.units, self.entry_price, self.entry_bar = units, adjusted, bar
        return True


def run_backtest(
    open_: np.ndarray,
    close: np.ndarray,
    times: np.ndarray,
    signals: np.ndarray,
    settings: BacktestSettings = BacktestSettings(),
    warmup: int = 0,
    *,
    high: np.ndarray | None = None,
    low: np.ndarray | None = None,
    exits: Exits | None = None,
) -> BacktestResult:
    """Replay ``signals`` (target position per bar) over the candles; see the module docstring.
    Stops and targets (``exits``) need the bars' ``high`` and ``low``."""
    settings.validate()
    unit = settings.fractional_unit
    open_ = np.asarray(open_, dtype=np.float64)
    close = np.asarray(close, dtype=np.float64)
    if unit != 1:
        open_, close = open_ * unit, close * unit
    times = np.asarray(times, dtype=np.int64)
    n = len(close)
    if not (len(open_) == len(times) == len(signals) == n):
        raise ValueError("open, close, times and signals must have the same length")
    plan = None
    if exits is not None and exits.active:
        if high is None or low is None:
            raise ValueError("stops and targets need the bars' high and low")
        high = np.asarray(high, dtype=np.float64)
        low = np.asarray(low, dtype=np.float64)
        if not (len(high) == len(low) == n):
            raise ValueError("high and low must have the same length as close")
        if unit != 1:
            high, low = high * unit, low * unit
        plan = ExitPlan(exits, open_, high, low, close)
    targets = np.asarray(signals, dtype=np.float64).copy()
    if not settings.allow_short:
        targets[targets < 0] = 0.0
    bad = ~np.isnan(targets) & ~np.isin(targets, (-1.0, 0.0, 1.0))
    if bad.any():
        raise ValueError(
            f"signals: must be 1, 0, -1 or NaN, got {targets[bad][0]} at bar {bad.argmax()}"
        )
    warmup = max(0, int(warmup))
    start = 1 + warmup
    if start >= n:
        equity = np.full(n, float(settings.cash))
        return BacktestResult(_trade_columns([], times, settings.commission, unit), equity, warmup)
    account, states = _fill(open_, close, targets, settings, start, n, plan=plan)
    equity = _equity(close, states)
    ruined = np.flatnonzero(equity[start:] <= 0)
    if len(ruined):
        # the broker stops at the first close with no equity left: replay the fills up to it
        bar = start + int(ruined[0])
        account, states = _fill(open_, close, targets, settings, start, n, last_bar=bar, plan=plan)
        account.close(close[bar], bar)
        equity[bar:] = 0.0
    else:
        if settings.trade_on_close:
            account.close(close[n - 2], n - 2)
        else:
            account.close(open_[n - 1], n - 1)
        equity[n - 1] = account.cash if account.cash > 0 else 0.0
    return BacktestResult(
        _trade_columns(account.closed, times, settings.commission, unit), equity, warmup
    )


def _fill(
    open_, close, targets, settings, start: int, n: int, last_bar: int | None = None, plan=None
):
    """Walk the orders: each signal that differs from the position held fills at the next bar;
    with ``plan``, each trade's stop or target may close it first.

    Returns the account and its states ``(from_bar, cash, units, entry_price)``, one per fill,
    leaving out fills the broker would process after ``last_bar``.
    """
    if last_bar is None and plan is None:
        planned = _fill_planned(open_, close, targets, settings, start, n)
        if planned is not None:
            return planned
    account = _Account(settings.cash, settings.commission, settings.fraction, settings.spread)
    states = [(0, account.cash, 0, 0.0)]
    order_bars = _order_bars(targets, start, n - 2)
    last_bar = n - 1 if last_bar is None else last_bar
    on_close = settings.trade_on_close
    held, bar = 0, start
    stopped = None  # the target a stopped trade held: ignored until another one comes
    entry = None  # (direction, signal bar, first bar checked) of the open trade with exits
    while True:
        if stopped is not None:
            # flat after a stop until the target changes (flat counts as a change)
            candidates = order_bars[stopped]
            k = bisect_left(candidates, bar)
            if k == len(candidates):
                break
            stopped, bar = None, candidates[k]
            continue
        candidates = order_bars[held]
        k = bisect_left(candidates, bar)
        signal_bar = candidates[k] if k < len(candidates) else None
        if entry is not None:
            # the trade's stop and target are checked up to the bar that fills the next order
            direction, placed_at, first = entry
            last = last_bar if signal_bar is None else min(signal_bar, last_bar)
            found = plan.first_exit(direction, placed_at, first, last)
            if found is not None:
                exit_bar, price = found
                account.close(price, exit_bar)
                states.append((exit_bar, account.cash, 0, 0.0))
                stopped, held, bar, entry = held, 0, exit_bar, None
                continue
        if signal_bar is None or signal_bar + 1 > last_bar:
            break
        target = int(targets[signal_bar])
        if on_close:
            price, fill_bar = float(close[signal_bar]), signal_bar
        else:
            price, fill_bar = float(open_[signal_bar + 1]), signal_bar + 1
        account.close(price, fill_bar)
        entry = None
        if target and account.open(target, price, fill_bar) and plan is not None:
            entry = (target, signal_bar, signal_bar + 1)
        held = (account.units > 0) - (account.units < 0)
        states.append((signal_bar + 1, account.cash, account.units, account.entry_price))
        bar = signal_bar + 1
    return account, states


def _fill_planned(open_, close, targets, settings, start: int, n: int):
    """The same walk, faster, for the usual case where every order buys at least one unit:
    the position held is then the last target given, so the fills are known up front and only
    the cash is carried from one to the next. None when an order buys nothing (the general walk
    then retries, as the position differs from the plan from there on)."""
    window = targets[start : n - 1]
    known = np.flatnonzero(~np.isnan(window))
    wanted = window[known]
    change = wanted != np.r_[0.0, wanted[:-1]]
    bars = start + known[change]
    if settings.trade_on_close:
        fill_bars, prices = bars, close[bars]
    else:
        fill_bars, prices = bars + 1, open_[bars + 1]
    # _Account.close and .open, inlined (the same float operations): a search runs this
    # loop once per fill of every trial
    rate, fraction = settings.commission, settings.fraction
    adjust = {1: 1 + settings.spread, -1: 1 - settings.spread}
    cash, units, entry_price, entry_bar = float(settings.cash), 0, 0.0, -1
    closed: list[tuple[int, int, int, float, float]] = []
    states = [(0, cash, 0, 0.0)]
    for bar, fill_bar, target, price in zip(
        bars.tolist(), fill_bars.tolist(), wanted[change].astype(int).tolist(), prices.tolist(),
        strict=True,
    ):  # fmt: skip
        if units:
            cash += units * (price - entry_price) - abs(units) * price * rate
            closed.append((units, entry_bar, fill_bar, entry_price, price))
            units = 0
        if target:
            adjusted = price * adjust[target]
            with_commission = adjusted + (fraction * price * rate) / fraction
            whole = int((max(0, cash + 0.0) * 1.0 * fraction) // with_commission)
            if not whole:
                return None
            units = whole if target > 0 else -whole
            cash -= whole * adjusted * rate
            entry_price, entry_bar = adjusted, fill_bar
        states.append((bar + 1, cash, units, entry_price))
    account = _Account(settings.cash, rate, fraction, settings.spread)
    account.cash, account.units, account.entry_price, account.entry_bar = (
        cash,
        units,
        entry_price,
        entry_bar,
    )
    account.closed = closed
    return account, states


def _order_bars(targets: np.ndarray, start: int, stop: int) -> dict[int, list[int]]:
    """For each position held (-1, 0, 1): the bars whose signal asks for something else
    (lists: the walk bisects them once per fill, faster than numpy calls on scalars)."""
    window = targets[start : stop + 1]
    known = ~np.isnan(window)
    return {
        held: (start + np.flatnonzero(known & (window != held))).tolist() for held in (-1, 0, 1)
    }


def _equity(close: np.ndarray, states: list[tuple[int, float, int, float]]) -> np.ndarray:
    """Equity at each close: cash plus the open trade's unrealised profit, as the broker sums it."""
    from_bar = np.array([s[0] for s in states], dtype=np.int64)
    # each state holds from its bar to the next state's: repeat it over that many bars
    which = np.repeat(np.arange(len(states)), np.diff(np.r_[from_bar, len(close)]))
    cash = np.array([s[1] for s in states])[which]
    units = np.array([s[2] for s in states], dtype=np.float64)[which]
    entry = np.array([s[3] for s in states])[which]
    return cash + (close * units - units * entry)


def _trade_columns(closed: list, times: np.ndarray, rate: float, unit: float) -> dict:
    """The trade list with backtesting.py's column names and arithmetic (sizes and prices
    in whole assets again when trading fractional units)."""
    rows = np.array(closed, dtype=np.float64).reshape(-1, 5)
    units = rows[:, 0]
    entry_bar = rows[:, 1].astype(np.int64)
    exit_bar = rows[:, 2].astype(np.int64)
    entry_price, exit_price = rows[:, 3], rows[:, 4]
    commission = (0 + np.abs(units) * exit_price * rate) + (0 + np.abs(units) * entry_price * rate)
    pnl = units * (exit_price - entry_price) - commission
    returns = np.copysign(1.0, units) * (exit_price / entry_price - 1) - commission / (
        np.abs(units) * entry_price
    )
    entry_time, exit_time = times[entry_bar], times[exit_bar]
    return {
        "Size": units.astype(np.int64) if unit == 1 else units * unit,
        "EntryBar": entry_bar,
        "ExitBar": exit_bar,
        "EntryPrice": entry_price if unit == 1 else entry_price / unit,
        "ExitPrice": exit_price if unit == 1 else exit_price / unit,
        "PnL": pnl,
        "ReturnPct": returns,
        "Commission": commission,
        "EntryTime": entry_time,
        "ExitTime": exit_time,
        "Duration": exit_time - entry_time,
    }
