"""What one chart tick sends: a ``dash.Patch`` with only the new or changed candles and, when
the overlays changed, the prediction traces and shapes. Pure functions over a small state dict
the browser keeps in a ``dcc.Store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from dash import Patch

from core.candles import Candle
from dashboard.figures.charts import CANDLE_FIELDS, TRACE, marker_columns, volume_color

# Past this many candles to drop or add in one tick, a whole new figure is cheaper and simpler.
MAX_PATCH_CANDLES = 120


@dataclass
class ChartState:
    symbol: str
    timeframe: str
    last_time: int | None
    count: int
    overlay_key: str
    # What the overlays hold: [first seq, last seq, count] per list, the number of band shapes
    # before the target lines, the prediction book's seq and the oldest drawn timestamp.
    drawn: dict[str, list[int]] | None = None
    bands: int = 0
    book_seq: int = -1
    oldest: int | None = None
    price: list | None = None  # [open, close] the last-price line is drawn at
    extras: str = ""  # digest of the traces after the fixed ones (outcomes, disagreement marks)
    # Auto timeframe: the [start, end) of history loaded (end None: up to live), else None for
    # the newest candles of the buffer.
    window: list | None = None
    indicators: str = ""  # the drawn indicators (``indicator_traces.specs_key``)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> ChartState | None:
        if not data:
            return None
        try:
            return cls(**data)
        except TypeError:
            return None


def split_update(last_time: int | None, candles: Sequence[Candle]) -> tuple[Candle | None, list]:
    """Split candles read since ``last_time`` into the update of the shown last candle and the
    new ones after it."""
    update = None
    new = []
    for candle in candles:
        if last_time is not None and candle.time == last_time:
            update = candle
        elif last_time is None or candle.time > last_time:
            new.append(candle)
    return update, new


def candle_patch(
    state: ChartState, candles: Sequence[Candle], max_candles: int, patch: Patch | None = None
) -> tuple[Patch | None, ChartState]:
    """Patch for the candles read since ``state.last_time``. Returns (None, state) when a whole
    figure should be sent instead (too much changed)."""
    update, new = split_update(state.last_time, candles)
    drop = max(0, state.count + len(new) - max_candles)
    if len(new) > MAX_PATCH_CANDLES or drop > MAX_PATCH_CANDLES:
        return None, state
    patch = patch if patch is not None else Patch()
    candle_trace = patch["data"][TRACE["candles"]]
    volume_trace = patch["data"][TRACE["volume"]]
    if update is not None and state.count:
        for name in CANDLE_FIELDS:
            candle_trace[name][-1] = getattr(update, name)
        volume_trace["y"][-1] = update.volume
        volume_trace["marker"]["color"][-1] = volume_color(update)
    if new:
        candle_trace["x"].extend([c.time for c in new])
        for name in CANDLE_FIELDS:
            candle_trace[name].extend([getattr(c, name) for c in new])
        volume_trace["x"].extend([c.time for c in new])
        volume_trace["y"].extend([c.volume for c in new])
        volume_trace["marker"]["color"].extend([volume_color(c) for c in new])
    for _ in range(drop):
        for name in ("x", *CANDLE_FIELDS):
            del candle_trace[name][0]
        for name in ("x", "y"):
            del volume_trace[name][0]
        del volume_trace["marker"]["color"][0]
    state = replace(state, last_time=new[-1].time if new else state.last_time,
                    count=state.count + len(new) - drop)  # fmt: skip
    return patch, state


def overlay_patch(patch: Patch, traces: dict[str, dict], shapes: list[dict]) -> Patch:
    """Replace the overlay traces' data (predictions, span labels) and the layout shapes (they
    are few: bounded deques, spans in view)."""
    for name, columns in traces.items():
        target = patch["data"][TRACE[name]]
        for key, value in columns.items():
            if key.startswith("marker."):
                target["marker"][key.split(".", 1)[1]] = value
            else:
                target[key] = value
    patch["layout"]["shapes"] = shapes
    return patch


# ---- incremental overlays --------------------------------------------------------------
# Each overlay list in the browser (the markers of one prediction trace, the target lines)
# holds a contiguous run of one kind's predictions in ``seq`` order. The chart state keeps
# only (first seq, last seq, count) per list; with the deque in hand the server can tell
# what the browser holds, so a tick drops what was evicted or left the window (always at the
# front) and appends only what is new.

# Target lines are layout shapes after the band shapes: first the CNN segment, then the
# transformer segment. Each kind evicts from its own deque, so each segment is planned alone.
LINE_LISTS = ("cnn_lines", "transformer_lines")


def plan_list(
    items: list[dict], drawn: list[int] | None, window_start: int | None
) -> tuple[int, list[dict], list[int]] | None:
    """(how many to drop at the front, items to append, new [first, last, count]) for one list.
    ``items``: every candidate of the list, in seq order, each with ``seq`` and ``ts``. Returns
    None when the browser's list can't be derived (the caller then replaces it whole)."""
    first, last, count = drawn or (0, 0, 0)
    survivors = [it for it in items if first <= it["seq"] <= last] if count else []
    drop = count - len(survivors)
    if drop < 0:
        return None
    while survivors and window_start is not None and survivors[0]["ts"] < window_start:
        survivors.pop(0)
        drop += 1
    newer = [it for it in items if it["seq"] > last]
    if not survivors:
        # Nothing left on screen: start the run at the first prediction inside the window.
        start = next(
            (i for i, it in enumerate(newer) if window_start is None or it["ts"] >= window_start),
            len(newer),
        )
        newer = newer[start:]
    shown = survivors + newer
    seen = max([last, *(it["seq"] for it in items)])
    return drop, newer, [shown[0]["seq"] if shown else 0, seen, len(shown)]


def append_markers(patch: Patch, trace: int, drop: int, points: list[dict]) -> None:
    target = patch["data"][trace]
    columns = marker_columns(points) if points else None
    keys = ("x", "y", "hovertext", "marker.size", "marker.opacity", "marker.color", "customdata")
    for key in keys:
        node = target["marker"][key[7:]] if key.startswith("marker.") else target[key]
        for _ in range(drop):
            del node[0]
        if columns:
            node.extend(columns[key])


def update_lines(patch: Patch, bands: int, plans: dict[str, tuple], held: dict[str, int]) -> None:
    """Apply the CNN and transformer line plans to ``layout.shapes`` (bands first, then the CNN
    segment, then the transformer segment). ``held``: lines each segment has in the browser."""
    if not any(drop or newer for drop, newer, _ in plans.values()):
        return
    if bands + sum(held.values()) == 0:
        # Plotly leaves an empty shapes list out of the figure: there is nothing to edit.
        patch["layout"]["shapes"] = [it["shape"] for name in LINE_LISTS for it in plans[name][1]]
        return
    shapes = patch["layout"]["shapes"]
    start = bands
    for name in LINE_LISTS:
        drop, newer, drawn = plans[name]
        for _ in range(drop):
            del shapes[start]
        end = start + held[name] - drop  # where this segment's survivors end
        for offset, item in enumerate(newer):
            shapes.insert(end + offset, item["shape"])
        start += drawn[2]
