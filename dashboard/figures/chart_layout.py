"""Pure pieces of a chart's layout that a trader reads: price format, the opening window, the
last-price line with its axis label, the crosshair, and the modebar's tools."""

from __future__ import annotations

import math
from collections.abc import Sequence

from dash import Patch

from core.candles import Candle, timeframe_ms
from dashboard.figures.theme import CROSSHAIR, DOWN_CANDLE, MUTED, UP_CANDLE, WHITE

LAST_PRICE = "last-price"
# The modebar keeps zoom, pan, box select (labelling), reset and the PNG download.
MODEBAR_REMOVE = ["lasso2d", "autoScale2d", "toggleSpikelines",
                  "hoverClosestCartesian", "hoverCompareCartesian", "sendDataToCloud"]  # fmt: skip
GRAPH_CONFIG = {
    "displaylogo": False,
    "scrollZoom": True,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "modeBarButtonsToRemove": MODEBAR_REMOVE,
    # Drawing tools (trend line, rectangle): what they draw is stored per symbol
    # (dashboard/panels/charts/chart_drawings.py).
    "modeBarButtonsToAdd": ["drawline", "drawrect"],
    "doubleClick": "reset",
}
# Price tick labels inside the plot, left of the axis: the right margin holds only the tags
# (the last price, the crosshair's price), so neither ever covers a tick label.
PRICE_TICKS = {"ticklabelposition": "inside", "ticks": ""}
SPIKES = {"showspikes": True, "spikemode": "across", "spikesnap": "cursor", "spikethickness": 1,
          "spikedash": "dot", "spikecolor": CROSSHAIR}  # fmt: skip


def price_decimals(price: float | None) -> int:
    """Decimals that keep about six significant digits: 66,661.4 · 3,012.55 · 0.123456."""
    if not price or price <= 0 or not math.isfinite(price):
        return 2
    return max(0, min(8, 5 - math.floor(math.log10(price))))


def price_format(decimals: int) -> str:
    """A d3 format: thousands separators, fixed decimals, never SI suffixes such as 66.6614k."""
    return f",.{decimals}f"


def format_price(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def opening_range(
    candles: Sequence[Candle], timeframe: str, count: int
) -> tuple[list[float], list[float]] | None:
    """(x range, price range) of the last ``count`` candles, the window a chart opens on.
    The price range leaves room below the candles for the strip of pending labels, and the time
    range room right of the last candle (6 % of the view) where the targets of the latest
    predictions land."""
    if not candles:
        return None
    shown = candles[-count:]
    frame = timeframe_ms(timeframe)
    x_range = [shown[0].time - frame / 2, shown[-1].time + frame * max(2, round(count * 0.06))]
    return x_range, price_range(shown)


# The room the price axis keeps under the lowest low and over the highest high in view, in
# pixels: a full-size DQN arrow and a disagreement's cross above it (up to 28 px off the
# candle) are never clipped at the plot's edge. assets/chart_view.js fits the axis by the same
# rule after every move, on the axis' real length; the server's first range uses the length at
# 1400x900, so a chart opened there doesn't jump as it is laid out.
MARK_ROOM_PX = 30
NOMINAL_AXIS_PX = 235


def price_pads(span: float, length: float = NOMINAL_AXIS_PX) -> tuple[float, float]:
    """(below, above) in price: 8 % of the span below (the pending labels' strip) and 5 % above,
    or ``MARK_ROOM_PX`` of an axis ``length`` pixels long where that is more."""
    below = max(MARK_ROOM_PX, length * 0.08 / 1.13)
    above = max(MARK_ROOM_PX, length * 0.05 / 1.13)
    per_px = span / (length - below - above)
    return below * per_px, above * per_px


def price_range(candles: Sequence[Candle]) -> list[float]:
    low = min(c.low for c in candles)
    high = max(c.high for c in candles)
    below, above = price_pads((high - low) or high * 0.001)
    return [low - below, high + above]


def last_price_color(candle: Candle) -> str:
    return UP_CANDLE if candle.close >= candle.open else DOWN_CANDLE


def last_price_shape(candle: Candle | None) -> dict:
    """A dotted line across the price panel at the last close (the first layout shape)."""
    y = candle.close if candle else 0
    return {
        "type": "line",
        "xref": "x domain",
        "yref": "y",
        "x0": 0,
        "x1": 1,
        "y0": y,
        "y1": y,
        "line": {"color": last_price_color(candle) if candle else MUTED, "width": 1,
                 "dash": "dot"},
        "visible": candle is not None,
        "name": LAST_PRICE,
    }  # fmt: skip


def last_price_label(candle: Candle | None, decimals: int) -> dict:
    """The last close written on the price axis, in the line's colour (the first annotation)."""
    y = candle.close if candle else 0
    return {
        "xref": "paper",
        "yref": "y",
        "x": 1,
        "y": y,
        "xanchor": "left",
        "yanchor": "middle",
        "showarrow": False,
        "text": format_price(y, decimals) if candle else "",
        "font": {"color": WHITE, "size": 10},
        "bgcolor": last_price_color(candle) if candle else MUTED,
        "borderpad": 2,
        "visible": candle is not None,
        "name": LAST_PRICE,
    }


def price_patch(patch: Patch, candle: Candle, decimals: int, drawn: list | None) -> list:
    """Move the last-price line and its label to ``candle``'s close when it differs from the
    ``drawn`` [open, close]; returns what is drawn now."""
    now = [candle.open, candle.close]
    if drawn == now:
        return now
    line = patch["layout"]["shapes"][0]
    label = patch["layout"]["annotations"][0]
    line["y0"] = line["y1"] = label["y"] = candle.close
    label["text"] = format_price(candle.close, decimals)
    color = last_price_color(candle)
    if not drawn or last_price_color(Candle(0, *drawn, *drawn, 0)) != color:
        line["line"]["color"] = label["bgcolor"] = color
    if not drawn:  # a chart that opened without candles drew them hidden
        line["visible"] = label["visible"] = True
    return now
