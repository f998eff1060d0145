"""Auto-labelling as a job: stored candles -> TA-Lib CDL spans -> pending annotations."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from core.jobs import JobCancelled
from training.autolabel import Cancelled, autolabel

log = logging.getLogger(__name__)


def autolabel_series(
    orch,
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
    if not orch.store.has(symbol, timeframe):
        raise ValueError(f"no candles stored for {symbol} {timeframe}")
    candles = orch.store.history(symbol, timeframe)
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
    added = orch.annotations.add_many(spans, validate=False)
    log.info("auto-label %s %s: %d found, %d new", symbol, timeframe, len(spans), added)
    return {
        "symbol": symbol,
        "timeframe": timeframe,
        "found": len(spans),
        "added": added,
        "candles": len(candles),
    }
