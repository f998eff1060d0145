"""Lenient reading of prediction fields, as the original system's callers pass them.

Input may be loose, the stored form never is: every timestamp becomes UTC epoch ms, every price a
float, every prediction a direction. Pure functions; ``PredictionError`` names the field.
"""

from __future__ import annotations

import math
import numbers
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd


class PredictionError(ValueError):
    """A prediction that does not follow the schema; the message says which field and why."""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
# Below this a number is epoch seconds (1e11 s is the year 5138; 1e11 ms is March 1973).
_SECONDS_BELOW = 1e11


def is_number(value: object) -> bool:
    """A real number (numpy's too), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def to_epoch_ms(value: object, kind: str, field: str = "timestamp") -> int:
    """UTC epoch ms from the forms callers use:

    - ``datetime``: aware as is; naive is local time, as ``datetime.now()`` gives;
    - pandas ``Timestamp`` / ``numpy.datetime64``: aware as is; naive is UTC, pandas' own
      convention (candle frames built with ``pd.to_datetime(ms, unit="ms")`` are naive UTC);
    - ISO-8601 text: with an offset or ``Z`` as given, without one UTC;
    - a number: epoch seconds below 1e11, else epoch ms.
    """
    where = f"{kind} prediction: {field}"
    if value is None:
        raise PredictionError(f"{where} is required (epoch ms, datetime or ISO text)")
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if value is pd.NaT:
        raise PredictionError(f"{where} is NaT (not a time)")
    if isinstance(value, pd.Timestamp):
        stamp = value if value.tzinfo is not None else value.tz_localize("UTC")
        return int(stamp.value // 1_000_000)
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.astimezone()
        return (aware - _EPOCH) // _MS
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise PredictionError(
                f"{where} {value!r} is not ISO-8601 text such as 2026-01-31T14:00:00Z"
            ) from None
        aware = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
        return (aware - _EPOCH) // _MS
    if is_number(value):
        number = float(value)
        if not math.isfinite(number) or number < 0:
            raise PredictionError(f"{where} must be epoch seconds or ms >= 0, got {value!r}")
        return int(round(number * 1000)) if number < _SECONDS_BELOW else int(number)
    raise PredictionError(
        f"{where} must be epoch ms or seconds, a datetime, a pandas Timestamp or ISO text,"
        f" got {type(value).__name__} {value!r}"
    )


def number(data: dict, field: str, kind: str, positive: bool = False) -> float:
    value = data.get(field)
    if not is_number(value):
        raise PredictionError(f"{kind} prediction: {field} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise PredictionError(f"{kind} prediction: {field} must be finite, got {value}")
    if positive and value <= 0:
        raise PredictionError(f"{kind} prediction: {field} must be > 0, got {value}")
    return value


def choice(data: dict, field: str, kind: str, allowed: tuple[str, ...]) -> str:
    value = data.get(field)
    value = value.upper() if isinstance(value, str) else value
    if value not in allowed:
        raise PredictionError(
            f"{kind} prediction: {field} must be one of {', '.join(allowed)}, got {value!r}"
        )
    return value


def direction_of_change(change_pct: float, band_pct: float) -> str:
    """UP / DOWN beyond the STABLE band of +-band_pct percent, else STABLE."""
    if change_pct > band_pct:
        return "UP"
    if change_pct < -band_pct:
        return "DOWN"
    return "STABLE"


ACTION_DIRECTION = {"BUY": "UP", "SELL": "DOWN", "HOLD": "STABLE"}


def derive_direction(data: dict, kind: str, target_field: str, band_pct: float) -> str:
    """The direction a caller left out: from ``price_change`` (percent), else from the target
    against ``current_price``, else from an ``action`` (BUY is UP, SELL DOWN, HOLD STABLE)."""
    if data.get("price_change") is not None:
        return direction_of_change(number(data, "price_change", kind), band_pct)
    if data.get(target_field) is not None:
        target = number(data, target_field, kind, positive=True)
        current = number(data, "current_price", kind, positive=True)
        return direction_of_change((target / current - 1) * 100, band_pct)
    if data.get("action") is not None:
        return ACTION_DIRECTION[choice(data, "action", kind, tuple(ACTION_DIRECTION))]
    raise PredictionError(
        f"{kind} prediction: direction is missing and can't be derived: give direction,"
        f" price_change, {target_field} with current_price, or an action"
    )
