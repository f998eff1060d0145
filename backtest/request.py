"""A backtest request (REST body, Backtest tab, CLI) checked field by field.

Every refusal names the field to fix; an unknown symbol is a 404, everything else a 400.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from backtest.engine import BacktestSettings
from backtest.rules import StrategyError, finite_number
from backtest.strategies import StrategyContext, make_strategy

FIELDS = ("symbol", "timeframe", "start", "end", "strategy", "params", "cash", "commission",
          "size", "allow_short", "trade_on_close", "fractional_unit", "spread", "symbols",
          "weights")  # fmt: skip
ACCOUNT_FIELDS = ("cash", "commission", "size", "allow_short", "trade_on_close",
                  "fractional_unit", "spread")  # fmt: skip


class RequestError(ValueError):
    def __init__(self, message: str, field: str, status: int = 400):
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class BacktestRequest:
    symbol: str
    timeframe: str
    start: int
    end: int
    strategy: str
    params: dict[str, Any] = field(default_factory=dict)
    cash: float = 10_000.0
    commission: float = 0.001
    size: float = 1.0
    allow_short: bool = True
    trade_on_close: bool = False
    fractional_unit: float = 1.0
    spread: float = 0.0
    # a portfolio: the same strategy on each of these symbols (``symbol`` is the first), each
    # with its share of the cash (weights normalised to sum to 1; none: equal shares)
    symbols: tuple[str, ...] = ()
    weights: dict[str, float] | None = None

    @property
    def is_portfolio(self) -> bool:
        return bool(self.symbols)

    @property
    def settings(self) -> BacktestSettings:
        return BacktestSettings(self.cash, self.commission, self.size, self.allow_short,
                                self.trade_on_close, self.fractional_unit,
                                self.spread)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.symbols:  # a single symbol's run reads as it always has
            data.pop("symbols")
            data.pop("weights")
        else:
            data["symbols"] = list(self.symbols)
        return data

    def for_symbol(self, symbol: str, cash: float) -> BacktestRequest:
        """One sub-account of a portfolio: this request on one symbol with its cash."""
        return replace(self, symbol=symbol, cash=cash, symbols=(), weights=None)

    def shares(self) -> dict[str, float]:
        """Each symbol's share of the cash (sums to 1)."""
        weights = self.weights or {s: 1.0 for s in self.symbols}
        total = sum(weights[s] for s in self.symbols)
        return {s: weights[s] / total for s in self.symbols}


# Later times can't be written as dates (pandas stops in 2262), and no candle lies there.
LATEST_MS = int(pd.Timestamp.max.value // 1_000_000)


def parse_time(value: Any, name: str) -> int:
    """Epoch ms from a number (ms) or an ISO-8601 text (UTC when no zone is given)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value) or not 0 <= value <= LATEST_MS:
            raise RequestError(
                f"{name}: must be epoch ms from 0 to {LATEST_MS} (year 2262), got {value!r}", name
            )
        return int(value)
    if isinstance(value, str) and value.strip():
        try:
            stamp = pd.Timestamp(value.strip())
            stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
            ms = int(stamp.value // 1_000_000) if stamp is not pd.NaT else None
        except (ValueError, TypeError, OverflowError):  # OutOfBoundsDatetime is a ValueError
            ms = None
        if ms is not None and 0 <= ms <= LATEST_MS:
            return ms
    raise RequestError(
        f"{name}: not a time, got {value!r} (epoch ms or UTC text like 2026-01-31 14:05)", name
    )


def _number(body: dict, name: str, default: float) -> float:
    value = body.get(name)
    if value is None:
        return default
    try:
        return finite_number(value, name)
    except StrategyError as exc:
        raise RequestError(str(exc), name) from None


def _flag(body: dict, name: str, default: bool) -> bool:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise RequestError(f"{name}: must be true or false, got {value!r}", name)
    return value


def check_fields(body: Any, allowed: tuple[str, ...], what: str = "symbol and strategy") -> dict:
    """``body`` as a dict with only ``allowed`` keys; RequestError otherwise."""
    if not isinstance(body, dict):
        raise RequestError(f"the body must be a JSON object with {what}", "body")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise RequestError(
            f"{unknown[0]}: unknown field (allowed: {', '.join(allowed)})", unknown[0]
        )
    return body


def parse_symbols(body: dict, orch) -> tuple[str, tuple[str, ...], dict[str, float] | None]:
    """``symbol``, or ``symbols`` (a portfolio) with their ``weights``: the first symbol, the
    list (empty for one symbol) and the weights (None: equal shares)."""
    symbols = body.get("symbols")
    if symbols is None:
        if body.get("weights") is not None:
            raise RequestError("weights: only with symbols (a portfolio)", "weights")
        symbol = body.get("symbol")
        if not isinstance(symbol, str) or not symbol:
            raise RequestError("symbol: required, e.g. BTC/USDT", "symbol")
        if symbol not in orch.symbols():
            raise RequestError(f"symbol: unknown symbol {symbol!r}", "symbol", 404)
        return symbol, (), None
    if body.get("symbol") is not None:
        raise RequestError("symbol: give symbol or symbols (a portfolio), not both", "symbol")
    if not isinstance(symbols, list) or not symbols:
        raise RequestError("symbols: a non-empty list of symbols, e.g. [BTC/USDT, ETH/USDT]",
                           "symbols")  # fmt: skip
    if len(symbols) > 50:
        raise RequestError(f"symbols: at most 50, got {len(symbols)}", "symbols")
    for symbol in symbols:
        if not isinstance(symbol, str) or not symbol:
            raise RequestError(f"symbols: not a symbol: {symbol!r}", "symbols")
        if symbol not in orch.symbols():
            raise RequestError(f"symbols: unknown symbol {symbol!r}", "symbols", 404)
    if len(set(symbols)) != len(symbols):
        raise RequestError("symbols: a symbol is listed twice", "symbols")
    weights = body.get("weights")
    if weights is None:
        return symbols[0], tuple(symbols), None
    if not isinstance(weights, dict):
        raise RequestError("weights: an object {symbol: weight}", "weights")
    extra = sorted(set(weights) - set(symbols))
    if extra:
        raise RequestError(f"weights: {extra[0]!r} is not one of the symbols", "weights")
    missing = [s for s in symbols if s not in weights]
    if missing:
        raise RequestError(f"weights: give every symbol a weight (missing: {', '.join(missing)})",
                           "weights")  # fmt: skip
    checked = {}
    for symbol in symbols:
        value = _number(weights, symbol, 0.0)
        if value <= 0:
            raise RequestError(f"weights: {symbol}'s weight must be above 0, got {value}",
                               "weights")  # fmt: skip
        checked[symbol] = value
    return symbols[0], tuple(symbols), checked


def parse_period(body: dict, orch, symbols: tuple[str, ...] | list[str]) -> tuple[str, int, int]:
    """The timeframe (served for every symbol) and the period (default: the last
    ``backtest.period_hours`` up to the latest candle), each symbol holding 3 candles or more."""
    config = orch.config.backtest
    timeframe = body.get("timeframe") or "1m"
    for symbol in symbols:
        timeframes = orch.timeframes(symbol)
        if timeframe not in timeframes:
            raise RequestError(
                f"timeframe: {symbol} has no {timeframe!r} candles (one of"
                f" {', '.join(timeframes)})",
                "timeframe",
            )
    end = parse_time(body["end"], "end") if body.get("end") is not None else None
    if end is None:
        ends = []
        for symbol in symbols:
            latest = orch.store.latest(symbol, timeframe)
            ends.append(latest.time if latest is not None else _last_stored(orch, symbol,
                                                                            timeframe))  # fmt: skip
        end = max(ends)
    start = body.get("start")
    start = (
        parse_time(start, "start")
        if start is not None
        else end - int(config.period_hours * 3_600_000)
    )
    if start >= end:
        raise RequestError(f"start: must be before end ({_iso(start)} >= {_iso(end)})", "start")
    for symbol in symbols:
        count = _count(orch, symbol, timeframe, start, end)
        if count < 3:
            raise RequestError(
                f"start: only {count} closed {timeframe} candles of {symbol} from {_iso(start)}"
                f" to {_iso(end)}; a backtest needs at least 3",
                "start",
            )
        if count > config.max_candles:
            raise RequestError(
                f"start: the period holds {count} candles, more than {config.max_candles}"
                " (backtest.max_candles)",
                "start",
            )
    return timeframe, int(start), int(end)


def parse_account(body: dict, orch) -> dict[str, Any]:
    """Cash, commission, size, shorts, fills, fractional unit and spread, checked."""
    config = orch.config.backtest
    account = {
        "cash": _number(body, "cash", config.cash),
        "commission": _number(body, "commission", config.commission),
        "size": _number(body, "size", config.size),
        "allow_short": _flag(body, "allow_short", True),
        "trade_on_close": _flag(body, "trade_on_close", False),
        "fractional_unit": _number(body, "fractional_unit", config.fractional_unit),
        "spread": _number(body, "spread", 0.0),
    }
    try:
        BacktestSettings(**account).validate()
    except ValueError as exc:
        raise RequestError(str(exc), str(exc).split(":")[0]) from None
    return account


def parse_request(body: Any, orch) -> BacktestRequest:
    """The checked request; RequestError names the field (404 for an unknown symbol)."""
    body = check_fields(body, FIELDS)
    symbol, symbols, weights = parse_symbols(body, orch)
    timeframe, start, end = parse_period(body, orch, symbols or (symbol,))
    strategy = body.get("strategy")
    params = body.get("params") or {}
    try:
        # the checked values, defaults included, so a run records exactly what it ran with
        params = make_strategy(
            strategy, params, StrategyContext(orch.config, symbol, timeframe)
        ).all_values
    except StrategyError as exc:
        raise RequestError(str(exc), exc.field) from None
    return BacktestRequest(
        symbol, timeframe, start, end, strategy, dict(params), **parse_account(body, orch),
        symbols=symbols, weights=weights,
    )  # fmt: skip


def _iso(ms: int) -> str:
    return pd.Timestamp(int(ms), unit="ms", tz="UTC").strftime("%Y-%m-%d %H:%M:%S UTC")


def _last_stored(orch, symbol: str, timeframe: str) -> int:
    rows = orch.db.query(
        "SELECT MAX(time) AS t FROM candles WHERE symbol=? AND timeframe=?", (symbol, timeframe)
    )
    return int(rows[0]["t"]) if rows and rows[0]["t"] is not None else 0


def count_candles(orch, symbol: str, timeframe: str, start: int, end: int) -> int:
    """Closed candles of a series from ``start`` to ``end`` (both included)."""
    return _count(orch, symbol, timeframe, start, end)


def _count(orch, symbol: str, timeframe: str, start: int, end: int) -> int:
    rows = orch.db.query(
        "SELECT COUNT(*) AS n FROM candles WHERE symbol=? AND timeframe=? AND time>=? AND time<=?",
        (symbol, timeframe, start, end),
    )
    return int(rows[0]["n"])
