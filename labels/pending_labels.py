"""Labels from machines, for people to review: TA-Lib CDL spans (auto-labelling, a job) and the
champion model's predicted spans (the active-learning loop). Both arrive as pending annotations."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from core.candles import timeframe_ms
from core.jobs import JobCancelled
from core.spans import Span
from labels.autolabel import MAX_LOOKBACK, Cancelled, autolabel

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
    # Only what the patterns can see: the range plus the longest CDL look-back before it.
    first = None if start is None else start - MAX_LOOKBACK * timeframe_ms(timeframe)
    candles = orch.store.history(symbol, timeframe, first, None if end is None else end + 1)
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


def model_spans_to_review(
    orch,
    symbol: str,
    timeframe: str,
    start: int | None = None,
    min_confidence: float = 0.0,
) -> dict:
    """The active-learning step: the champion's predicted spans become pending ``model`` spans.
    The annotator then confirms (accept), corrects (relabel) or dismisses (reject) each one, and
    the next dataset learns from the verdicts. Spans already sent are not sent twice."""
    orch.live_patterns.label_new(symbol, timeframe)  # catch up (the CLI runs without the app)
    found = orch.live_patterns.spans(symbol, timeframe, start, min_confidence)
    version = orch.patterns.current().info.get("version")
    spans = [
        Span(None, symbol, timeframe, s["start"], s["end"], s["label"], "model", "pending",
             note=f"predicted by model version {version}", confidence=s["confidence"])
        for s in found
    ]  # fmt: skip
    added = orch.annotations.add_many(spans, validate=False)
    log.info(
        "%d model spans of %s %s sent to review (%d new)", len(spans), symbol, timeframe, added
    )
    return {"found": len(spans), "added": added}
