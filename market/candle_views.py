"""A view of a symbol's candles over any range at a size a chart can draw: the finest timeframe
of the series' ladder within a number of time slots, read from the rollups (``rollups.py``),
the forming candle included. Shared by ``GET /api/candles`` and the charts' auto timeframe."""

from __future__ import annotations

from core.candles import Candle, timeframe_ms
from market import rollups

DEFAULT_SLOTS = 2000
MAX_SLOTS = 5000


class ViewError(ValueError):
    """A view that can't be given; the message says what to change."""


def minute_base(timeframes) -> str | None:
    """The stored series the minute chart (and the API) reads: 1 m where there is one, else the
    finest stored series of 1 m or more (an imported 1 h file), else the finest."""
    held = sorted(timeframes, key=timeframe_ms)
    if not held:
        return None
    if "1m" in held:
        return "1m"
    coarse = [tf for tf in held if timeframe_ms(tf) >= 60_000]
    return coarse[0] if coarse else held[0]


def base_for(timeframes, forced: str | None) -> str | None:
    """The series a view reads: a forced second-scale timeframe reads the 1 s series."""
    if forced and "1s" in timeframes and forced in rollups.SECOND_LADDER[:-1]:
        return "1s"
    return minute_base(timeframes)


def choose(base: str, start: int, end: int, max_slots: int, forced: str | None = None) -> str:
    """The timeframe of a view of [start, end): ``forced`` (if the ladder has it and it fits in
    MAX_SLOTS), else the finest within ``max_slots``."""
    ladder = rollups.ladder(base)
    if not 1 <= max_slots <= MAX_SLOTS:
        raise ViewError(f"max must be 1..{MAX_SLOTS} time slots, got {max_slots}")
    if end <= start:
        raise ViewError(f"end ({end}) must be after start ({start})")
    if forced is not None:
        if forced not in ladder:
            raise ViewError(
                f"timeframe {forced!r} is not available for this {base} series;"
                f" use one of {', '.join(ladder)}"
            )
        count = rollups.slots(start, end, forced)
        if count > MAX_SLOTS:
            raise ViewError(
                f"timeframe {forced} gives {count} candles over this range, more than the cap"
                f" of {MAX_SLOTS}; narrow the range or use a coarser timeframe"
            )
        return forced
    picked = rollups.pick_timeframe(ladder, start, end, max_slots)
    if picked is None:
        need = rollups.slots(start, end, ladder[-1])
        raise ViewError(
            f"even {ladder[-1]} candles need {need} time slots over this range; use max={need}"
            f" or more (up to {MAX_SLOTS}), or a shorter range"
        )
    return picked


def view(store, symbol: str, base: str, start: int, end: int, max_slots: int = DEFAULT_SLOTS,
         forced: str | None = None) -> tuple[str, list[Candle]]:  # fmt: skip
    """(timeframe, candles) of a view: see :func:`choose`."""
    timeframe = choose(base, start, end, max_slots, forced)
    return timeframe, store.view(symbol, base, timeframe, start, end)
