"""What one chart tick sends: a ``dash.Patch`` with only the new or changed candles and, when
the overlays changed, the prediction traces and shapes. Pure functions over a small state dict
the browser keeps in a ``dcc.Store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from dash import Patch

from core.candles import Candle
from dashboard.figures.charts import CANDLE_FIELDS, TRACE, volume_color

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


def overlay_patch(patch: Patch, traces: dict[str, dict], shapes: list[dict] | None) -> Patch:
    """Replace the overlay traces' data (predictions, span labels) and, unless None, the layout
    shapes (they are few: bounded deques, spans in view)."""
    for name, columns in traces.items():
        target = patch["data"][TRACE[name]]
        for key, value in columns.items():
            if key.startswith("marker."):
                target["marker"][key.split(".", 1)[1]] = value
            else:
                target[key] = value
    if shapes is not None:
        patch["layout"]["shapes"] = shapes
    return patch


# ---- prediction overlays ---------------------------------------------------------------
# Target lines are layout shapes after the band shapes (the last-price line, spans): first the
# CNN lines, then the transformer lines. New predictions replace the lines and leave the bands.
LINE_LISTS = ("cnn_lines", "transformer_lines")


def replace_lines(patch: Patch, bands: int, held: int, lines: list[dict]) -> None:
    """Swap the ``held`` target lines after the first ``bands`` shapes for ``lines``."""
    if bands + held == 0:
        if lines:  # plotly leaves an empty shapes list out of the figure: nothing to edit
            patch["layout"]["shapes"] = lines
        return
    shapes = patch["layout"]["shapes"]
    for _ in range(held):
        del shapes[bands]
    if lines:
        shapes.extend(lines)
