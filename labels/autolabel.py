"""Automatic labels from TA-Lib's 61 candlestick pattern (CDL*) functions.

Each non-zero output of a CDL function at candle ``i`` becomes a pending span covering the
pattern's candles, ``i - PATTERN_LENGTH[name] + 1 .. i``, labelled ``"<NAME>_bull"`` (output > 0)
or ``"<NAME>_bear"`` (output < 0), for an annotator to accept or reject:

>>> spans = autolabel(candles, "BTC/USDT", "1m", patterns=["CDLENGULFING"])  # doctest: +SKIP
>>> spans[0].label, spans[0].source, spans[0].status  # doctest: +SKIP
('CDLENGULFING_bear', 'talib', 'pending')
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import talib

from core.spans import Span, make_spans
from labels.cdl_names import MAX_LOOKBACK, PATTERN_LENGTH, check_patterns

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised by :func:`autolabel` when its ``cancel()`` callback returns true."""


def ohlc_arrays(candles: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """open, high, low, close as contiguous float64 arrays, the form TA-Lib needs."""
    missing = [c for c in ("open", "high", "low", "close") if c not in candles.columns]
    if missing:
        raise ValueError(f"candles lack column {missing[0]!r} (need open, high, low, close)")
    return tuple(
        np.ascontiguousarray(candles[c].to_numpy(dtype=np.float64))
        for c in ("open", "high", "low", "close")
    )


def span_key(span: Span) -> tuple[str, str, int, int, str, str]:
    """Identity of a span for de-duplication: re-running auto-labelling adds nothing twice."""
    return (span.symbol, span.timeframe, span.start, span.end, span.label, span.source)


def autolabel(
    candles: pd.DataFrame,
    symbol: str,
    timeframe: str,
    patterns: Sequence[str] | None = None,
    start: int | None = None,
    end: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[Span]:
    """Pending ``talib`` spans for every CDL pattern found in ``candles``.

    ``candles`` follows the candle contract (indexed by open time in ms, ascending). Only spans
    whose ``end`` lies in ``start..end`` (inclusive, either bound optional) are returned; the
    candles before ``start`` still serve as the patterns' history. ``progress(done, total)`` is
    called after each pattern and ``cancel()`` before each one (true raises :class:`Cancelled`).
    Spans come sorted by end, start, then label; ``confidence = min(|output| / 100, 1)``.
    """
    names = check_patterns(patterns)
    times = np.asarray(candles.index, dtype=np.int64)
    lo = 0 if start is None else int(np.searchsorted(times, start, side="left"))
    hi = len(times) if end is None else int(np.searchsorted(times, end, side="right"))
    # A CDL output depends only on the MAX_LOOKBACK candles before it: skip older history.
    first = max(0, lo - MAX_LOOKBACK)
    arrays = ohlc_arrays(candles.iloc[first:hi])
    times = times[first:hi]
    ends, lengths, which, values = [], [], [], []
    for done, name in enumerate(names):
        if cancel is not None and cancel():
            raise Cancelled(f"auto-labelling {symbol} {timeframe} cancelled after {done} patterns")
        out = getattr(talib, name)(*arrays)
        hits = np.flatnonzero(out)
        hits = hits[hits >= lo - first]
        ends.append(hits)
        lengths.append(np.full(len(hits), PATTERN_LENGTH[name]))
        which.append(np.full(len(hits), done))
        values.append(out[hits])
        if progress is not None:
            progress(done + 1, len(names))
    if not names or len(times) == 0:
        return []
    end_idx = np.concatenate(ends)
    start_idx = np.maximum(end_idx - np.concatenate(lengths) + 1, 0)
    which = np.concatenate(which)
    values = np.concatenate(values)
    labels = np.array(
        [f"{name}_{kind}" for name in names for kind in ("bear", "bull")], dtype=object
    )
    label_idx = which * 2 + (values > 0)
    # Sort by end, start, then label text: lexsort takes its primary key last.
    label_rank = np.argsort(np.argsort(labels, kind="stable"), kind="stable")
    order = np.lexsort((label_rank[label_idx], start_idx, end_idx))
    span_start = times[start_idx[order]].tolist()
    span_end = times[end_idx[order]].tolist()
    span_label = labels[label_idx[order]].tolist()
    confidence = np.minimum(np.abs(values[order]) / 100.0, 1.0).tolist()
    template = Span(None, symbol, timeframe, 0, 0, "", "talib", "pending")
    spans = make_spans(template, span_start, span_end, span_label, confidence)
    log.debug(
        "autolabel %s %s: %d spans from %d patterns", symbol, timeframe, len(spans), len(names)
    )
    return spans
