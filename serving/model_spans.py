"""The active-learning step: the champion pattern model's predicted spans become pending ``model``
spans for an annotator to confirm, correct or dismiss."""

from __future__ import annotations

import logging

from core.spans import Span
from serving.pattern_live import LivePatterns

log = logging.getLogger(__name__)


def model_spans_to_review(
    live_patterns: LivePatterns,
    annotations,
    symbol: str,
    timeframe: str,
    start: int | None = None,
    min_confidence: float = 0.0,
) -> dict:
    """The active-learning step: the champion's predicted spans become pending ``model`` spans.
    The annotator then confirms (accept), corrects (relabel) or dismisses (reject) each one, and
    the next dataset learns from the verdicts. Spans already sent are not sent twice."""
    live_patterns.label_new(symbol, timeframe)  # catch up (the CLI runs without the app)
    found = live_patterns.spans(symbol, timeframe, start, min_confidence)
    version = live_patterns.service.current().info.get("version")
    spans = [
        Span(None, symbol, timeframe, s["start"], s["end"], s["label"], "model", "pending",
             note=f"predicted by model version {version}", confidence=s["confidence"])
        for s in found
    ]  # fmt: skip
    added = annotations.add_many(spans, validate=False)
    log.info(
        "%d model spans of %s %s sent to review (%d new)", len(spans), symbol, timeframe, added
    )
    return {"found": len(spans), "added": added}
