"""Which spans a chart draws and where their labels fit: spans inside the visible time range,
adjacent model spans of one label merged, label text only where it doesn't overlap another."""

from __future__ import annotations

from collections.abc import Sequence

# Label text is drawn at about this many pixels per character on a plot this wide.
CHAR_PX = 6.5
PLOT_PX = 800


def spans_in_view(spans: Sequence, visible: Sequence[float] | None, limit: int) -> list:
    """Spans overlapping the visible range (all when it is unknown), the newest ``limit`` of
    them. ``spans`` are Span objects or dicts with ``start`` and ``end``."""
    chosen = list(spans)
    if visible:
        x0, x1 = visible
        chosen = [s for s in chosen if _end(s) >= x0 and _start(s) <= x1]
    return chosen[-limit:] if limit else chosen


# Model spans of one label at most this many candles apart are drawn as one box.
MERGE_GAP_CANDLES = 3


def merge_adjacent(
    spans: Sequence[dict], frame_ms: int, gap_candles: int = MERGE_GAP_CANDLES
) -> list[dict]:
    """Model spans of one label that overlap, touch or lie at most ``gap_candles`` apart
    become one box: its first start, last end, highest confidence and the number of spans
    merged (``count``). A live model flickers between labels; one box per run stays readable."""
    merged: list[dict] = []
    open_by_label: dict[str, dict] = {}
    for span in sorted(spans, key=lambda s: (s["start"], s["end"])):
        current = open_by_label.get(span["label"])
        if current is not None and span["start"] <= current["end"] + frame_ms * (1 + gap_candles):
            current["end"] = max(current["end"], span["end"])
            current["confidence"] = max(current["confidence"], span["confidence"])
            current["count"] += 1
            continue
        current = {**span, "count": 1}
        open_by_label[span["label"]] = current
        merged.append(current)
    return merged


def label_room(
    boxes: Sequence[tuple[float, float, str]], visible_ms: float | None, plot_px: int = PLOT_PX
) -> list[bool]:
    """For boxes (x0, x1, text) in time order: True where the text fits without running into
    the previous shown text. Without a known visible width every text is shown."""
    if not visible_ms or visible_ms <= 0:
        return [True] * len(boxes)
    ms_per_px = visible_ms / plot_px
    shown, free_from = [], float("-inf")
    for x0, _x1, text in boxes:
        fits = x0 >= free_from
        shown.append(fits)
        if fits:
            free_from = x0 + (len(text) * CHAR_PX + 8) * ms_per_px
    return shown


def _start(span) -> float:
    return span["start"] if isinstance(span, dict) else span.start


def _end(span) -> float:
    return span["end"] if isinstance(span, dict) else span.end
