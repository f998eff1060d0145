"""Candles, timeframes and the pure arithmetic on them.

Times are UTC epoch milliseconds of a candle's open. Everything here is pure: no I/O, no state.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

_UNITS_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_TIMEFRAME_RE = re.compile(r"^([1-9][0-9]*)([smhdw])$")

OHLCV = ("open", "high", "low", "close", "volume")
# Times are epoch ms within +-2^53: exact in a float and in JSON, and far inside SQLite's range.
MAX_TIME_MS = 2**53


class CandleError(ValueError):
    """A candle that breaks the OHLCV rules; the message says which rule."""


def timeframe_ms(timeframe: str) -> int:
    """Length of a timeframe such as ``"1s"``, ``"1m"``, ``"4h"`` in milliseconds."""
    match = _TIMEFRAME_RE.match(timeframe or "")
    if not match:
        raise ValueError(
            f"unknown timeframe {timeframe!r}: use a number and a unit s, m, h, d or w,"
            " e.g. 1s, 1m, 1h"
        )
    return int(match.group(1)) * _UNITS_MS[match.group(2)]


def is_timeframe(timeframe: object) -> bool:
    return isinstance(timeframe, str) and bool(_TIMEFRAME_RE.match(timeframe))


def bucket_start(time_ms: int, frame_ms: int) -> int:
    """Open time of the candle of length ``frame_ms`` that contains ``time_ms``."""
    return time_ms - time_ms % frame_ms


@dataclass(frozen=True, slots=True)
class Candle:
    time: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    closed: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    def with_closed(self, closed: bool = True) -> Candle:
        return self if self.closed == closed else replace(self, closed=closed)


def validate_candle(candle: Candle, where: str = "candle") -> Candle:
    """Return the candle if it is consistent, else raise CandleError naming the rule it breaks."""
    values = {name: getattr(candle, name) for name in OHLCV}
    for name, value in values.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise CandleError(f"{where}: {name} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise CandleError(f"{where}: {name} must be finite, got {value}")
    if not isinstance(candle.time, int) or isinstance(candle.time, bool) or candle.time < 0:
        raise CandleError(f"{where}: time must be epoch milliseconds >= 0, got {candle.time!r}")
    problem = ohlc_problem(candle.open, candle.high, candle.low, candle.close, candle.volume)
    if problem:
        raise CandleError(f"{where}: {problem}")
    return candle


def _num(value: float) -> str:
    return f"{value:.15g}"  # 101.0 -> "101", and every digit a price has


def ohlc_problem(open_: float, high: float, low: float, close: float, volume: float) -> str | None:
    """What breaks the OHLCV rules in one candle's (finite) numbers, or None. The one home of
    these rules and their wording: feeds, API candles and imported files all use it, each
    prefixing where the candle is. :func:`ohlc_broken` is the same rules over arrays."""
    for name, value in (("open", open_), ("high", high), ("low", low), ("close", close)):
        if value <= 0:
            return f"{name} {_num(value)} must be > 0"
    top, bottom = max(open_, close), min(open_, close)
    if high < top:
        return f"high {_num(high)} is below max(open, close) {_num(top)}"
    if low > bottom:
        return f"low {_num(low)} is above min(open, close) {_num(bottom)}"
    if volume < 0:
        return f"volume {_num(volume)} must be >= 0"
    return None


def ohlc_broken(open_, high, low, close, volume):
    """Per row of numpy arrays: True where :func:`ohlc_problem` finds a problem (NaN: False)."""
    return (
        (open_ <= 0)
        | (high <= 0)
        | (low <= 0)
        | (close <= 0)
        | (high < np.maximum(open_, close))
        | (low > np.minimum(open_, close))
        | (volume < 0)
    )


def aggregate(candles: Sequence[Candle], bucket_time: int, closed: bool) -> Candle:
    """Merge consecutive candles: first open, max high, min low, last close, summed volume."""
    if not candles:
        raise ValueError("aggregate needs at least one candle")
    return Candle(
        time=bucket_time,
        open=candles[0].open,
        high=max(c.high for c in candles),
        low=min(c.low for c in candles),
        close=candles[-1].close,
        volume=math.fsum(c.volume for c in candles),
        closed=closed,
    )


def resample(candles: Iterable[Candle], frame_ms: int) -> list[Candle]:
    """Aggregate time-ordered candles into candles of ``frame_ms``; the last bucket keeps the
    closed flag of its last input, earlier buckets are closed."""
    out: list[Candle] = []
    bucket: list[Candle] = []
    current = None
    for candle in candles:
        start = bucket_start(candle.time, frame_ms)
        if current is not None and start != current:
            out.append(aggregate(bucket, current, closed=True))
            bucket = []
        current = start
        bucket.append(candle)
    if bucket:
        out.append(aggregate(bucket, current, closed=bucket[-1].closed))
    return out


def candles_to_frame(candles: Sequence[Candle]) -> pd.DataFrame:
    """Candles as a DataFrame indexed by ``time`` (ms) with open, high, low, close, volume."""
    frame = pd.DataFrame(
        {
            "time": [c.time for c in candles],
            **{name: [float(getattr(c, name)) for c in candles] for name in OHLCV},
        }
    )
    return frame.set_index("time")


def frame_to_candles(frame: pd.DataFrame) -> list[Candle]:
    """Inverse of :func:`candles_to_frame` (every candle closed)."""
    columns = [frame[name].to_numpy(dtype=float) for name in OHLCV]
    return [
        Candle(int(t), *(float(col[i]) for col in columns))
        for i, t in enumerate(frame.index.to_numpy())
    ]
