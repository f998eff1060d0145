"""The predictions a chart of a loaded range draws (the minute chart in auto, zoomed out or panned
back past its buffer): the stored ones of the range merged with the book's deques, which hold
only the newest few per kind. Read when the ranged figure is built or its overlays are redrawn,
never on a plain candle tick."""

from __future__ import annotations

import time

from predictions.book import KINDS
from predictions.queries import newest_in_range, with_held

# Stored predictions read per redraw at most: a month of a prediction per kind every few
# minutes is tens of thousands of rows, and each read is parsed and thinned on the request's
# thread. They are spread over the whole range (``per_candle``), so zoomed out over a dense
# month every candle still shows its newest calls instead of only the newest few days.
MAX_STORED_PREDICTIONS = 5_000
# Kept per kind and candle at most: what the chart's thinning can draw on one candle (one
# marker per call, pending or resolved).
MOST_PER_CANDLE = 6


def drawable_kinds(view: dict) -> tuple[str, ...]:
    """The kinds the chart draws: toggled on and let through by the kind filter."""
    allowed = view["filters"].kinds
    return tuple(k for k in KINDS if k in view["enabled"] and (allowed is None or k in allowed))


def per_candle(start: int, end: int, frame_ms: int, kinds: int) -> int:
    """How many predictions per kind and candle the read keeps so that the whole range fits
    in ``MAX_STORED_PREDICTIONS`` (at least one, at most ``MOST_PER_CANDLE``)."""
    candles = max(1, (end - start) // max(frame_ms, 1) + 1)
    return max(1, min(MOST_PER_CANDLE, MAX_STORED_PREDICTIONS // (candles * max(kinds, 1))))


def window_predictions(orch, symbol: str, view: dict, window,
                       frame_ms: int = 60_000) -> tuple[int, dict[str, list]]:  # fmt: skip
    """(book seq, predictions per kind) for a chart of ``frame_ms`` candles whose loaded range
    is ``window`` ([start, end or None while it follows live]); None: the deques alone, as the
    live chart draws."""
    book_seq, held = orch.predictions.versioned_snapshot(symbol)
    if window is None:
        return book_seq, held
    start, end = window
    kinds = drawable_kinds(view)
    stop = int(end) + 1 if end is not None else None
    keep = per_candle(int(start), stop or int(time.time() * 1000), frame_ms, len(kinds))
    rows = newest_in_range(orch.db, symbol, kinds, start, stop, MAX_STORED_PREDICTIONS,
                           bucket_ms=frame_ms, per_bucket=keep)  # fmt: skip
    return book_seq, with_held(rows, held)
