"""Labelled time spans of candles: what annotators draw, TA-Lib finds and models predict.

A span covers every candle of one (symbol, timeframe) whose open time lies in ``start..end``,
both ends inclusive: ``end`` is the open time of the *last* candle covered, not the close.

>>> span = Span(None, "BTC/USDT", "1m", 0, 120_000, "CDLENGULFING_bull", "talib", "pending")
>>> validate_span(span, candle_times=[0, 60_000, 120_000]) is span
True
"""

from __future__ import annotations

import gc
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np

from core.candles import MAX_TIME_MS

SOURCES = ("human", "talib", "model")
# The label of candles no span covers in a dataset: not a name a span may take.
RESERVED_LABEL = "none"
STATUSES = ("accepted", "pending", "rejected")
# Labels are short names drawn on the chart and used as class names: at most this long, of
# printable characters other than markup, quotes and backslashes (tabs, line breaks and other
# control characters are refused too).
MAX_LABEL_LENGTH = 64
LABEL_FORBIDDEN = '<>"`\\'


class SpanError(ValueError):
    """A span that cannot be stored or used; the message says which rule it breaks."""


@dataclass(frozen=True)
class Span:
    id: str | None
    symbol: str
    timeframe: str
    start: int
    end: int
    label: str
    source: str
    status: str
    note: str = ""
    author: str = ""
    created_at: int | None = None
    updated_at: int | None = None
    confidence: float | None = None
    reviewed_by: str = ""  # who accepted or rejected it last ("" before any review)
    reviewed_at: int | None = None  # when (epoch ms)

    def to_dict(self) -> dict:
        """Plain JSON-ready dict with every field (``None`` where unset)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> Span:
        """Build a span from :meth:`to_dict` output, checking names and types (not the rules).

        Missing optional fields take their defaults; unknown or missing required keys and values
        of the wrong type raise :class:`SpanError`. Use :func:`validate_span` for the rules.
        """
        if not isinstance(data, Mapping):
            raise SpanError(f"a span must be an object/mapping, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SpanError(f"unknown field {unknown[0]!r} (allowed: {', '.join(_FIELD_ORDER)})")
        missing = [name for name in _REQUIRED if name not in data]
        if missing:
            raise SpanError(f"missing field {missing[0]!r}")
        values = {name: _coerce(name, value) for name, value in data.items()}
        values.setdefault("id", None)
        return cls(**values)


def make_spans(
    template: Span,
    starts: Sequence[int],
    ends: Sequence[int],
    labels: Sequence[str],
    confidences: Sequence[float | None],
) -> list[Span]:
    """Spans equal to ``replace(template, start=, end=, label=, confidence=)`` for each item.

    Several times faster than calling the constructor per span (auto-labelling makes millions):
    it fills each instance's ``__dict__`` directly instead of the frozen dataclass's field-by-field
    ``object.__setattr__``. The values must already have the right types; nothing is checked.
    """
    base = dict(template.__dict__)
    new = object.__new__
    spans = []
    append = spans.append
    # Spans hold no reference cycles: pausing the cyclic collector, which would otherwise walk
    # every span made so far again and again, halves the time for a million spans.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for start, end, label, confidence in zip(starts, ends, labels, confidences, strict=True):
            span = new(Span)
            values = span.__dict__
            values.update(base)
            values["start"], values["end"], values["label"] = start, end, label
            values["confidence"] = confidence
            append(span)
    finally:
        if collecting:
            gc.enable()
    return spans


_FIELD_ORDER = tuple(f.name for f in fields(Span))
_REQUIRED = ("symbol", "timeframe", "start", "end", "label", "source", "status")
_INT_FIELDS = {"start": False, "end": False, "created_at": True, "updated_at": True,
               "reviewed_at": True}  # fmt: skip
_STR_FIELDS = {"id": True, "symbol": False, "timeframe": False, "label": False, "source": False}
_STR_FIELDS |= {"status": False, "note": False, "author": False, "reviewed_by": False}


def _coerce(name: str, value: object) -> object:
    if name in _INT_FIELDS:
        if value is None and _INT_FIELDS[name]:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer)):
            raise SpanError(f"{name} must be a whole number of epoch milliseconds, got {value!r}")
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise SpanError(f"{name} must be a whole number of epoch milliseconds, got {value!r}")
        return int(value)
    if name == "confidence":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise SpanError(f"confidence must be a number from 0 to 1, got {value!r}")
        return float(value)
    if value is None and _STR_FIELDS[name]:
        return None
    if not isinstance(value, str):
        raise SpanError(f"{name} must be text, got {value!r}")
    return value


def label_problem(label: str) -> str | None:
    """What is wrong with a label, in words a person can act on; None when it is fine.

    >>> label_problem("bull_flag") is None
    True
    >>> label_problem("a<b").startswith("label 'a<b' has characters that are not allowed")
    True
    """
    if len(label) > MAX_LABEL_LENGTH:
        return (
            f"label is {len(label)} characters long: at most {MAX_LABEL_LENGTH} are allowed "
            f"(it starts {label[:20]!r})"
        )
    bad = sorted({ch for ch in label if ch in LABEL_FORBIDDEN or not ch.isprintable()})
    if bad:
        return (
            f"label {label!r} has characters that are not allowed: {''.join(bad)!r} "
            f"(no tabs, line breaks or {' '.join(LABEL_FORBIDDEN)})"
        )
    return None


def validate_span(span: Span, candle_times: Sequence[int] | None = None) -> Span:
    """Check a span's rules and return it unchanged, or raise :class:`SpanError` saying why.

    Rules: symbol, timeframe and label are not blank; ``end >= start``; source is one of
    :data:`SOURCES` and status one of :data:`STATUSES`; confidence, when set, lies in 0..1. With
    ``candle_times`` (ascending open times of the span's series) the span must cover at least one.
    """
    where = f"span {span.start}..{span.end} ({span.label!r})"
    for name in ("symbol", "timeframe", "label"):
        value = getattr(span, name)
        if not isinstance(value, str) or not value.strip():
            raise SpanError(f"{where}: {name} must not be empty")
    if span.label.strip().lower() == RESERVED_LABEL:
        raise SpanError(f"{where}: {RESERVED_LABEL!r} is reserved for unlabelled candles")
    problem = label_problem(span.label)
    if problem:
        raise SpanError(problem)
    for name in ("start", "end"):
        value = getattr(span, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise SpanError(f"{where}: {name} must be epoch milliseconds (int), got {value!r}")
    if max(abs(span.start), abs(span.end)) > MAX_TIME_MS:
        raise SpanError(f"{where}: times must be epoch milliseconds within +-2^53")
    if span.end < span.start:
        raise SpanError(
            f"{where}: end {span.end} is before start {span.start} "
            "(end is the open time of the last candle covered)"
        )
    if span.source not in SOURCES:
        raise SpanError(f"{where}: unknown source {span.source!r} (allowed: {', '.join(SOURCES)})")
    if span.status not in STATUSES:
        raise SpanError(f"{where}: unknown status {span.status!r} (allowed: {', '.join(STATUSES)})")
    if span.confidence is not None and not 0.0 <= span.confidence <= 1.0:
        raise SpanError(f"{where}: confidence must lie in 0..1, got {span.confidence!r}")
    if candle_times is not None:
        times = np.asarray(candle_times, dtype=np.int64)
        first = int(np.searchsorted(times, span.start, side="left"))
        if first >= len(times) or times[first] > span.end:
            known = f"candles run {times[0]}..{times[-1]}" if len(times) else "there are no candles"
            raise SpanError(
                f"{where}: covers no candle of {span.symbol} {span.timeframe} ({known})"
            )
    return span
