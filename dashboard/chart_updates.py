"""What one chart tick sends: a ``dash.Patch`` with only the new or changed candles and, when
the overlays changed, the prediction traces and shapes. Pure functions over a small state dict
the browser keeps in a ``dcc.Store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from dash import Patch

from core.candles import Candle
from dashboard.charts import CANDLE_FIELDS, PREDICTION_TRACES, TRACE, volume_color

# Past this many candles to drop or add in one tick, a whole new figure is cheaper and simpler.
MAX_PATCH_CANDLES = 120


@dataclass
class ChartState:
    symbol: str
    timeframe: str
    last_time: int | None
    count: int
    overlay_key: str

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
    last_time = new[-1].time if new else state.last_time
    count = state.count + len(new) - drop
    return patch, ChartState(state.symbol, state.timeframe, last_time, count, state.overlay_key)


def overlay_patch(patch: Patch, traces: dict[str, dict], shapes: list[dict]) -> Patch:
    """Replace the prediction traces' data and the layout shapes (they are few: bounded deques)."""
    for name in PREDICTION_TRACES:
        target = patch["data"][TRACE[name]]
        for key, value in traces[name].items():
            if key.startswith("marker."):
                target["marker"][key.split(".", 1)[1]] = value
            else:
                target[key] = value
    patch["layout"]["shapes"] = shapes
    return patch
