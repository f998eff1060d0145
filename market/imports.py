"""Bringing outside data in: candle history files for a new symbol, annotation files."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from core.candles import frame_to_candles, is_timeframe, timeframe_ms
from market.feeds.files import read_ohlcv_file

log = logging.getLogger(__name__)


class CandleImportError(ValueError):
    """An import refused as a whole; nothing was written."""


def import_candles(
    store,
    path: str | Path,
    symbol: str,
    timeframe: str,
    live: dict[tuple[str, str], str] | None = None,
) -> int:
    """Store a CSV/Parquet OHLCV file as the history of ``symbol`` at ``timeframe``.

    All or nothing: a bad row (reported with its line number), times off the timeframe's grid,
    or a clash with a live series (``live``: (symbol, timeframe) -> its feed's kind) writes
    nothing. The symbol then appears in the selector.
    """
    symbol = (symbol or "").strip()
    if not symbol:
        raise CandleImportError("--symbol is required and must not be empty")
    if not is_timeframe(timeframe):
        raise CandleImportError(f"timeframe {timeframe!r} is not like 1s, 1m, 5m, 1h or 1d")
    if (symbol, timeframe) in (live or {}):
        raise CandleImportError(
            f"{symbol} {timeframe} is a live series fed by the {live[(symbol, timeframe)]} feed;"
            " import the file under another symbol name"
        )
    frame = read_ohlcv_file(path)
    if frame.empty:
        raise CandleImportError(f"{path}: the file has no candles")
    step = timeframe_ms(timeframe)
    times = frame.index.to_numpy(dtype=np.int64)
    off_grid = np.flatnonzero(times % step)
    if len(off_grid):
        row = int(off_grid[0])
        raise CandleImportError(
            f"{path}: line {row + 2}: time {int(times[row])} is not on the {timeframe} grid"
            f" (open times must be multiples of {step} ms); is --timeframe right?"
        )
    count = store.merge_history(symbol, timeframe, frame_to_candles(frame))
    log.info("imported %d %s candles for %s from %s", count, timeframe, symbol, path)
    return count
