"""Which spans a chart draws and where their labels fit: spans inside the visible time range,
adjacent model spans of one label merged, label text only where it doesn't overlap another."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

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


# Where the hover points of each kind of span sit, in the price panel's height (0..1).
HOVER_Y = {"band": 0.96, "strip": 0.018, "pattern": 0.08}


def label_points(spans: Sequence, frame_ms: int, selected_id: str | None = None) -> list[dict]:
    """One hover point per drawn span (Span objects), at its middle: shapes have no hover, so
    these invisible points name what is under the mouse (label, status, source, confidence)."""
    points = []
    for span in spans:
        if span.status == "rejected":
            continue
        strip = span.status == "pending" and span.id != selected_id
        conf = "" if span.confidence is None else f" {span.confidence:.2f}"
        points.append(
            {
                "x": (span.start + span.end + frame_ms) // 2,
                "y": HOVER_Y["strip" if strip else "band"],
                # Plotly renders hover text as HTML: a label is user text.
                "text": f"{escape(span.label)} · {span.status} · {span.source}{conf}",
            }
        )
    return points


def pattern_points(spans: Sequence[dict], frame_ms: int) -> list[dict]:
    """Hover points of the model's merged live spans."""
    return [
        {
            "x": (s["start"] + s["end"] + frame_ms) // 2,
            "y": HOVER_Y["pattern"],
            "text": f"model: {escape(s['label'])} {s['confidence']:.2f}"
            + (f" ({s['count']} spans)" if s["count"] > 1 else ""),
        }
        for s in merge_adjacent(spans, frame_ms)
    ]


def hover_columns(points: Sequence[dict]) -> dict[str, list]:
    """Columns of the hover trace; spans at the same place share one point and one text."""
    grouped: dict[tuple, list[str]] = {}
    for point in points:
        grouped.setdefault((point["x"], point["y"]), []).append(point["text"])
    keys = sorted(grouped)
    return {
        "x": [x for x, _ in keys],
        "y": [y for _, y in keys],
        "hovertext": ["<br>".join(grouped[k]) for k in keys],
    }
