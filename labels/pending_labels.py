"""TA-Lib CDL spans for people to review (auto-labelling, a job): they arrive as pending
annotations. The champion's predicted spans arrive the same way (serving/model_spans.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from core.candles import timeframe_ms
from core.jobs import JobCancelled
from labels.autolabel import MAX_LOOKBACK, Cancelled, autolabel

log = logging.getLogger(__name__)


def autolabel_series(
    store,
    annotations,
    symbol: str,
    timeframe: str,
    start: int | None = None,
    end: int | None = None,
    patterns: Sequence[str] | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict:
    """Run the CDL functions over a stored series and add what they find as pending ``talib``
    spans. Running it twice adds nothing new. Returns counts for the UI and CLI."""
    if not store.has(symbol, timeframe):
        raise ValueError(f"no candles stored for {symbol} {timeframe}")
    # Only what the patterns can see: the range plus the longest CDL look-back before it.
    first = None if start is None else start - MAX_LOOKBACK * timeframe_ms(timeframe)
    candles = store.history(symbol, timeframe, first, None if end is None else end + 1)
    if candles.empty:
        raise ValueError(f"no closed candles stored for {symbol} {timeframe}")

    def on_pattern(done: int, total: int) -> None:
        if progress is not None:
            progress(0.9 * done / total, f"pattern {done}/{total}")

    try:
        spans = autolabel(candles, symbol, timeframe, patterns, start, end, on_pattern, cancelled)
    except Cancelled as exc:
        raise JobCancelled(str(exc)) from exc
    if progress is not None:
        progress(0.95, f"saving {len(spans)} spans")
    added = annotations.add_many(spans, validate=False)
    log.info("auto-label %s %s: %d found, %d new", symbol, timeframe, len(spans), added)
    return {
        "symbol": symbol,
        "timeframe": timeframe,
        "found": len(spans),
        "added": added,
        "candles": len(candles),
    }
