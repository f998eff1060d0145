"""Candles sent in API requests: checked rule by rule, each refusal naming the candle and rule.

(The candles the feeds bring are checked in :mod:`core.candles`, imported files in
:mod:`market.feeds.files`; all three share :func:`core.candles.ohlc_problem`.)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.candles import MAX_TIME_MS, ohlc_problem

FIELDS = ("time", "open", "high", "low", "close", "volume")


class InputError(ValueError):
    """Bad request data; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _number(candle: dict, name: str, index: int) -> float:
    if name not in candle:
        raise InputError(f"candle {index}: missing field {name!r} (need {', '.join(FIELDS)})")
    value = candle[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"candle {index}: {name} must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise InputError(f"candle {index}: {name} must be finite, got {number}")
    return number


def parse_candles(raw, max_candles: int, min_candles: int = 1) -> pd.DataFrame:
    """The candles of a request as a DataFrame indexed by time, or InputError saying what is wrong
    (index counts from 0, as in the request's list)."""
    if not isinstance(raw, list):
        raise InputError("'candles' must be a list of {time, open, high, low, close, volume}")
    if len(raw) > max_candles:
        raise InputError(f"too many candles: {len(raw)} sent, at most {max_candles}", 413)
    if len(raw) < min_candles:
        raise InputError(
            f"the model needs at least {min_candles} candles (its warm-up and window), "
            f"got {len(raw)}"
        )
    rows = np.empty((len(raw), 6), dtype=float)
    previous = None
    for i, candle in enumerate(raw):
        if not isinstance(candle, dict):
            raise InputError(f"candle {i}: must be an object, got {type(candle).__name__}")
        values = [_number(candle, name, i) for name in FIELDS]
        time, open_, high, low, close, volume = values
        if time < 0 or not float(time).is_integer() or time >= MAX_TIME_MS:
            raise InputError(
                f"candle {i}: time must be whole epoch milliseconds below 2^53, got {time:.0f}"
            )
        problem = ohlc_problem(open_, high, low, close, volume)
        if problem:
            raise InputError(f"candle {i}: {problem}")
        if previous is not None and time <= previous:
            raise InputError(
                f"candle {i}: time {int(time)} is not after the previous candle's {int(previous)}"
                " (times must be strictly increasing)"
            )
        previous = time
        rows[i] = values
    frame = pd.DataFrame(rows[:, 1:], columns=list(FIELDS[1:]))
    frame.index = pd.Index(rows[:, 0].astype(np.int64), name="time")
    return frame
