"""A backtest request (REST body, Backtest tab, CLI) checked field by field.

Every refusal names the field to fix; an unknown symbol is a 404, everything else a 400.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from backtest.engine import BacktestSettings
from backtest.rules import StrategyError, finite_number
from backtest.strategies import StrategyContext, make_strategy

FIELDS = ("symbol", "timeframe", "start", "end", "strategy", "params", "cash", "commission",
          "size", "allow_short", "trade_on_close", "fractional_unit")  # fmt: skip


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

    @property
    def settings(self) -> BacktestSettings:
        return BacktestSettings(self.cash, self.commission, self.size, self.allow_short,
                                self.trade_on_close, self.fractional_unit)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def parse_request(body: Any, orch) -> BacktestRequest:
    """The checked request; RequestError names the field (404 for an unknown symbol)."""
    if not isinstance(body, dict):
        raise RequestError("the body must be a JSON object with symbol and strategy", "body")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise RequestError(
            f"{unknown[0]}: unknown field (allowed: {', '.join(FIELDS)})", unknown[0]
        )
    config = orch.config.backtest
    symbol = body.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise RequestError("symbol: required, e.g. BTC/USDT", "symbol")
    if symbol not in orch.symbols():
        raise RequestError(f"symbol: unknown symbol {symbol!r}", "symbol", 404)
    timeframe = body.get("timeframe") or "1m"
    timeframes = orch.timeframes(symbol)
    if timeframe not in timeframes:
        raise RequestError(
            f"timeframe: {symbol} has no {timeframe!r} candles (one of {', '.join(timeframes)})",
            "timeframe",
        )
    end = parse_time(body["end"], "end") if body.get("end") is not None else None
    if end is None:
        latest = orch.store.latest(symbol, timeframe)
        end = latest.time if latest is not None else _last_stored(orch, symbol, timeframe)
    start = body.get("start")
    start = (
        parse_time(start, "start")
        if start is not None
        else end - int(config.period_hours * 3_600_000)
    )
    if start >= end:
        raise RequestError(f"start: must be before end ({_iso(start)} >= {_iso(end)})", "start")
    count = _count(orch, symbol, timeframe, start, end)
    if count < 3:
        raise RequestError(
            f"start: only {count} closed {timeframe} candles of {symbol} from {_iso(start)} to"
            f" {_iso(end)}; a backtest needs at least 3",
            "start",
        )
    if count > config.max_candles:
        raise RequestError(
            f"start: the period holds {count} candles, more than {config.max_candles}"
            " (backtest.max_candles)",
            "start",
        )
    strategy = body.get("strategy")
    params = body.get("params") or {}
    try:
        # the checked values, defaults included, so a run records exactly what it ran with
        params = make_strategy(
            strategy, params, StrategyContext(orch.config, symbol, timeframe)
        ).values
    except StrategyError as exc:
        raise RequestError(str(exc), exc.field) from None
    request = BacktestRequest(
        symbol, timeframe, int(start), int(end), strategy, dict(params),
        _number(body, "cash", config.cash), _number(body, "commission", config.commission),
        _number(body, "size", config.size), _flag(body, "allow_short", True),
        _flag(body, "trade_on_close", False),
        _number(body, "fractional_unit", config.fractional_unit),
    )  # fmt: skip
    try:
        request.settings.validate()
    except ValueError as exc:
        raise RequestError(str(exc), str(exc).split(":")[0]) from None
    return request


def _iso(ms: int) -> str:
    return pd.Timestamp(int(ms), unit="ms", tz="UTC").strftime("%Y-%m-%d %H:%M:%S UTC")


def _last_stored(orch, symbol: str, timeframe: str) -> int:
    rows = orch.db.query(
        "SELECT MAX(time) AS t FROM candles WHERE symbol=? AND timeframe=?", (symbol, timeframe)
    )
    return int(rows[0]["t"]) if rows and rows[0]["t"] is not None else 0


def _count(orch, symbol: str, timeframe: str, start: int, end: int) -> int:
    rows = orch.db.query(
        "SELECT COUNT(*) AS n FROM candles WHERE symbol=? AND timeframe=? AND time>=? AND time<=?",
        (symbol, timeframe, start, end),
    )
    return int(rows[0]["n"])
