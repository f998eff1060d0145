"""The predictions a chart of a loaded range draws (the minute chart in auto, zoomed out or panned
back past its buffer): the stored ones of the range merged with the book's deques, which hold
only the newest few per kind. Read when the ranged figure is built or its overlays are redrawn,
never on a plain candle tick."""

from __future__ import annotations

from predictions.book import KINDS
from predictions.queries import newest_in_range, with_held

# Stored predictions read per redraw at most, the newest kept: a month of a prediction per kind
# every few minutes is tens of thousands of rows, and each read is parsed and thinned on the
# request's thread. Thinned per candle they draw a few hundred markers either way.
MAX_STORED_PREDICTIONS = 5_000


def drawable_kinds(view: dict) -> tuple[str, ...]:
    """The kinds the chart draws: toggled on and let through by the kind filter."""
    allowed = view["filters"].kinds
    return tuple(k for k in KINDS if k in view["enabled"] and (allowed is None or k in allowed))


def window_predictions(orch, symbol: str, view: dict, window) -> tuple[int, dict[str, list]]:
    """(book seq, predictions per kind) for a chart whose loaded range is ``window`` ([start,
    end or None while it follows live]); None: the deques alone, as the live chart draws."""
    book_seq, held = orch.predictions.versioned_snapshot(symbol)
    if window is None:
        return book_seq, held
    start, end = window
    rows = newest_in_range(orch.db, symbol, drawable_kinds(view), start,
                           None if end is None else end + 1, MAX_STORED_PREDICTIONS)  # fmt: skip
    return book_seq, with_held(rows, held)
