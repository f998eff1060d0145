"""The uncertainty queue: the champion pattern classifier's spans, least sure first.

A span's margin is the mean, over its candles, of the gap between the two most likely classes:
the smaller it is, the closer the model was to calling another label, and the more a human verdict
teaches the next model. A verdict works as in the existing review loop: the span is stored as a
``model`` span, accepted (confirm), accepted with another label (correct) or rejected (dismiss);
only accepted spans become labels.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from core.spans import Span
from labels.predicted_spans import labels_to_spans
from serving.pattern_inference import LoadedModel, PatternService, complete_rows
from training.features import compute_features, window_matrix

VERDICTS = ("confirm", "correct", "dismiss")


def margins(loaded: LoadedModel, candles: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Per candle with a complete window: (times, labels, confidence, top-two margin)."""
    features = compute_features(candles, loaded.spec)
    rows = complete_rows(features, loaded.window)
    if len(rows) == 0:
        empty = np.array([])
        return np.array([], dtype=np.int64), np.array([], dtype=object), empty, empty
    proba = loaded.predictor.predict_proba(window_matrix(features, loaded.window).iloc[rows])
    classes = np.asarray(loaded.predictor.classes_, dtype=object)
    ordered = np.sort(proba, axis=1)
    gap = ordered[:, -1] - (ordered[:, -2] if proba.shape[1] > 1 else 0.0)
    best = proba.argmax(axis=1)
    times = features.index.to_numpy()[rows]
    return times, classes[best], proba[np.arange(len(best)), best], gap


def uncertain_spans(loaded: LoadedModel, candles: pd.DataFrame) -> list[dict]:
    """The model's spans with their mean margin, smallest margin first."""
    times, labels, confidence, gap = margins(loaded, candles)
    spans = labels_to_spans(times, labels, confidence)
    by_margin = labels_to_spans(times, labels, gap)
    for span, with_margin in zip(spans, by_margin, strict=True):
        span["margin"] = with_margin["confidence"]
    return sorted(spans, key=lambda s: (s["margin"], s["start"]))


def not_reviewed(spans: list[dict], annotations, symbol: str, timeframe: str) -> list[dict]:
    """Spans without a model span of the same range stored yet (a verdict, or sent to review)."""
    found = annotations.list(symbol=symbol, timeframe=timeframe, source="model")
    done = {(s.start, s.end) for s in found}
    return [s for s in spans if (s["start"], s["end"]) not in done]


def queue(
    patterns: PatternService, store, annotations, symbol: str, timeframe: str = "1m",
    window: int = 2000, limit: int = 50,
) -> list[dict]:  # fmt: skip
    """The champion's spans over the last ``window`` candles not reviewed yet, least sure first.
    Raises ``NoModel`` before any model is registered."""
    loaded = patterns.current()
    candles = store.tail(symbol, timeframe, window)
    frame = pd.DataFrame([c.to_dict() for c in candles if c.closed])
    if frame.empty:
        return []
    spans = uncertain_spans(loaded, frame.set_index("time").drop(columns="closed"))
    return not_reviewed(spans, annotations, symbol, timeframe)[:limit]


def apply_verdict(
    annotations, symbol, timeframe, span: dict, verdict: str, label=None, reviewed_by: str = ""
) -> Span:
    """Store the annotator's verdict on a queued span as a ``model`` span, with who gave it and
    when (``reviewed_by``, ``reviewed_at``)."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}")
    if verdict == "correct" and not label:
        raise ValueError("pick the right label to correct the span")
    chosen = label if verdict == "correct" else span["label"]
    status = "rejected" if verdict == "dismiss" else "accepted"
    note = f"{verdict} from the uncertainty queue (margin {span.get('margin', 0):.3f})"
    if verdict == "correct":
        note += f"; the model said {span['label']}"
    now = int(time.time() * 1000)
    made = Span(None, symbol, timeframe, int(span["start"]), int(span["end"]), chosen, "model",
                status, note=note, confidence=span.get("confidence"),
                reviewed_by=(reviewed_by or "").strip(), reviewed_at=now)  # fmt: skip
    return annotations.create(made)


def reviewed_today(annotations, now_ms: int | None = None) -> int:
    """Model spans given a verdict (accepted or rejected) since 00:00 UTC today."""
    now = datetime.fromtimestamp((now_ms or time.time() * 1000) / 1000, UTC)
    midnight = int(now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)
    spans = annotations.list(source="model")
    return sum(1 for s in spans if s.status != "pending" and (s.updated_at or 0) >= midnight)
