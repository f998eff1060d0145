"""Times as people read and type them (UI, CLI): UTC, ``YYYY-MM-DD HH:MM:SS``."""

from __future__ import annotations

import math

import pandas as pd

from core.candles import MAX_TIME_MS


def format_ms(ms: int | None) -> str:
    if ms is None:
        return ""
    return pd.Timestamp(int(ms), unit="ms", tz="UTC").strftime("%Y-%m-%d %H:%M:%S")


def parse_time(value, what: str = "time") -> int:
    """Epoch ms from a number (ms) or a date text such as plotly sends or a person types (UTC)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value) or abs(value) > MAX_TIME_MS:
            raise ValueError(f"{what} {value!r} is out of range: epoch ms within +-2^53")
        return int(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} is empty: type a UTC time like 2026-01-31 14:05:00")
    try:
        stamp = pd.Timestamp(value.strip())
    except (ValueError, TypeError):
        raise ValueError(
            f"{what} {value!r} is not a time: type a UTC time like 2026-01-31 14:05:00"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return int(stamp.value // 1_000_000)
