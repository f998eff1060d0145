"""Pure figure builders for the candlestick charts and their prediction overlays.

Arrays the browser will extend are plain lists, never numpy: plotly sends numpy arrays as binary
blobs, and appending to those through ``Patch`` corrupts the traces (see STACK.md).

Trace order is fixed so ticks can address traces by index (``TRACE``). Prediction lines and span
bands are layout shapes: they need one opacity and colour each, which one scatter trace can't give.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

import plotly.graph_objects as go

from core.candles import Candle, bucket_start, timeframe_ms
from dashboard.figures import chart_frame, unchecked
from dashboard.figures.chart_layout import (
    last_price_label,
    opening_range,
    price_decimals,
    price_format,
)
from dashboard.figures.overlay_strength import notes, prediction_key, strength
from dashboard.figures.span_layout import label_room, merge_adjacent
from dashboard.figures.theme import (
    ACTION_COLORS,
    DIRECTION_COLORS,
    DOWN_CANDLE,
    LABEL_PALETTE,
    SPAN_LABEL_HOVER,
    TRANSPARENT,
    UP_CANDLE,
    WHITE,
)

OVERLAY_KINDS = ("dqn", "cnn", "transformer")

TRACE = {"candles": 0, "volume": 1, "dqn_buy": 2, "dqn_sell": 3, "cnn": 4, "transformer": 5,
         "span_labels": 6}  # fmt: skip
PREDICTION_TRACES = ("dqn_buy", "dqn_sell", "cnn", "transformer")
CANDLE_FIELDS = ("open", "high", "low", "close")


def volume_color(candle: Candle) -> str:
    return UP_CANDLE if candle.close >= candle.open else DOWN_CANDLE


def candle_columns(candles: Sequence[Candle]) -> dict[str, list]:
    """Columns of the candle and volume traces, as lists."""
    return {
        "x": [c.time for c in candles],
        **{name: [getattr(c, name) for c in candles] for name in CANDLE_FIELDS},
        "volume": [c.volume for c in candles],
        "volume_color": [volume_color(c) for c in candles],
    }


def confidence_size(confidence: float) -> float:
    return round(9 + 11 * confidence, 2)


def confidence_opacity(confidence: float) -> float:
    return round(0.3 + 0.7 * confidence, 3)


def _hover(p: dict, *lines: str) -> str:
    # Names are text, not markup: plotly renders tags (links too) in hover and shape labels.
    version = escape(str(p.get("model_version") or "-"))
    model = escape(str(p.get("model", p["kind"])))
    head = f"<b>{model}</b> v{version}<br>confidence {p['confidence']:.2f}"
    return "<br>".join((head, *lines))


def marker_columns(points: list[dict]) -> dict:
    return {
        "x": [pt["x"] for pt in points],
        "y": [pt["y"] for pt in points],
        "hovertext": [pt["text"] for pt in points],
        "marker.size": [pt["size"] for pt in points],
        "marker.opacity": [pt["opacity"] for pt in points],
        "marker.color": [pt["color"] for pt in points],
        "customdata": [pt.get("id") for pt in points],  # the details card finds it by id
    }


def overlay_traces(
    predictions: dict[str, list[dict]],
    candles: Sequence[Candle],
    timeframe: str,
    enabled: Iterable[str],
    window_start: int | None,
) -> dict[str, dict]:
    """Data of the four prediction traces (keys of ``PREDICTION_TRACES``), each as flat
    ``{"x", "y", "hovertext", "marker.size", ...}`` lists."""
    points = overlay_points(predictions, candles, timeframe, enabled, window_start)
    return {name: marker_columns(pts) for name, pts in points.items()}


def overlay_points(
    predictions: dict[str, list[dict]],
    candles: Sequence[Candle],
    timeframe: str,
    enabled: Iterable[str],
    window_start: int | None,
    full: set[str] | None = None,
) -> dict[str, list[dict]]:
    """The markers of each prediction trace, in the order predictions were stored, each with
    its prediction's ``seq``. Predictions before the chart's first candle are left out so they
    don't stretch the time axis. ``full``: keys of the predictions drawn at full strength (the
    others faded, ``overlay_strength``); None draws all at full strength."""
    enabled = set(enabled)

    def opacity(p: dict) -> float:
        strong = full is None or prediction_key(p) in full
        return strength(confidence_opacity(p["confidence"]), strong)

    frame = timeframe_ms(timeframe)
    by_time = {c.time: c for c in candles}
    points: dict[str, list[dict]] = {name: [] for name in PREDICTION_TRACES}

    def visible(p: dict) -> bool:
        return window_start is None or p["timestamp"] >= window_start

    if "dqn" in enabled:
        for p in predictions.get("dqn", []):
            if p["action"] == "HOLD" or not visible(p):
                continue
            buy = p["action"] == "BUY"
            points["dqn_buy" if buy else "dqn_sell"].append(
                {
                    "id": p.get("id"),
                    "seq": p.get("seq", 0),
                    "ts": p["timestamp"],
                    "x": p["timestamp"],
                    "y": action_anchor(p["timestamp"], buy, p["price"], by_time, frame),
                    "text": _hover(p, f"{p['action']} at {p['price']:.6g}", *notes(p)),
                    "size": confidence_size(p["confidence"]),
                    "opacity": opacity(p),
                    "color": ACTION_COLORS[p["action"]],
                }
            )
    for kind, target in (("cnn", "target_price"), ("transformer", "predicted_price")):
        if kind not in enabled:
            continue
        for p in predictions.get(kind, []):
            if not visible(p):
                continue
            if p.get(target) is None:  # an action only (the original training loop's form)
                x, y, lines = p["timestamp"], p["current_price"], (f"{p['action']} at "
                              f"{p['current_price']:.6g}",)  # fmt: skip
            else:
                extra = f" ({p['price_change']:+.2f}%)" if kind == "transformer" else ""
                x, y, lines = horizon_end(p), p[target], (
                    f"{p['direction']} {p['current_price']:.6g} → {p[target]:.6g}{extra}",
                    f"horizon {p['horizon_minutes']:g} min",
                )  # fmt: skip
            points[kind].append(
                {
                    "id": p.get("id"),
                    "seq": p.get("seq", 0),
                    "ts": p["timestamp"],
                    "x": x,
                    "y": y,
                    "text": _hover(p, *lines, *notes(p)),
                    "size": confidence_size(p["confidence"]),
                    "opacity": opacity(p),
                    "color": DIRECTION_COLORS[p["direction"]],
                }
            )
    return points


# The candles either side of its own that an arrow reaches over: the largest is 23 px wide,
# four candles of the minute chart's opening view (150 candles over about 830 px at 1400x900).
ARROW_NEIGHBOURS = 2


def action_anchor(ts: int, buy: bool, price: float, by_time: dict, frame: int) -> float:
    """The price a BUY arrow points up at (the lowest low of its candle and the
    ``ARROW_NEIGHBOURS`` candles either side, which an arrow wider than a candle reaches over)
    or a SELL arrow points down at (the highest high). The arrow is drawn ``ARROW_STANDOFF``
    pixels off it (``arrow_marker``)."""
    bucket = bucket_start(ts, frame)
    reach = range(-ARROW_NEIGHBOURS, ARROW_NEIGHBOURS + 1)
    near = [by_time[t] for t in (bucket + k * frame for k in reach) if t in by_time]
    if not near:
        return price
    return min(c.low for c in near) if buy else max(c.high for c in near)


# How far an arrow is drawn from the price it points at: half the largest arrow and 2 px, at
# any zoom. An offset in price (it was 0.06 %) was fewer pixels than half an arrow on a chart
# whose prices span a wide range, and the arrow covered a neighbouring candle's body.
ARROW_STANDOFF = confidence_size(1.0) / 2 + 2
# How far the largest arrow reaches off its candle: plotly's triangle spans its half-size
# towards its tip and half that behind its centre.
ARROW_REACH = ARROW_STANDOFF + confidence_size(1.0) / 4


def arrow_marker(buy: bool) -> dict:
    """Marker settings of a marker at an ``action_anchor``: plotly draws a marker ``standoff``
    pixels back from its point, against its ``angle``. So a SELL is the up triangle turned over
    (a ``triangle-down`` would be pushed down, onto its candle)."""
    return {"angle": 0 if buy else 180, "standoff": ARROW_STANDOFF}


def horizon_end(prediction: dict) -> int:
    return int(prediction["timestamp"] + prediction["horizon_minutes"] * 60_000)


def prediction_shapes(
    predictions: dict[str, list[dict]], enabled: Iterable[str], window_start: int | None
) -> list[dict]:
    """Lines from the current price to the CNN target (dotted) and transformer target (dash-dot)."""
    return [shape for _, shape in prediction_lines(predictions, enabled, window_start)]


def prediction_lines(
    predictions: dict[str, list[dict]], enabled: Iterable[str], window_start: int | None
) -> list[tuple[int, dict]]:
    """(seq, line shape) of each drawn CNN and transformer prediction, in ``seq`` order."""
    enabled = set(enabled)
    shapes = []
    for kind, target, dash in (
        ("cnn", "target_price", "dot"),
        ("transformer", "predicted_price", "dashdot"),
    ):
        if kind not in enabled:
            continue
        for p in predictions.get(kind, []):
            if window_start is not None and p["timestamp"] < window_start:
                continue
            if p.get(target) is None:
                continue  # an action only: no target to draw a line to
            shapes.append((p.get("seq", 0),
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "y",
                    "x0": p["timestamp"],
                    "y0": p["current_price"],
                    "x1": horizon_end(p),
                    "y1": p[target],
                    "line": {"color": DIRECTION_COLORS[p["direction"]], "width": 2, "dash": dash},
                    "opacity": confidence_opacity(p["confidence"]),
                    "name": f"{kind}:{p['id']}",
                }
            ))  # fmt: skip
    return sorted(shapes, key=lambda item: item[0])


def _apply_flat(trace: dict, flat: dict) -> None:
    for key, value in flat.items():
        if key.startswith("marker."):
            trace.setdefault("marker", {})[key.split(".", 1)[1]] = value
        else:
            trace[key] = value


def build_figure(
    candles: Sequence[Candle],
    predictions: dict[str, list[dict]],
    timeframe: str,
    enabled: Iterable[str],
    symbol: str,
    extra_shapes: Sequence[dict] = (),
    overlays: tuple[dict[str, dict], list[dict]] | None = None,
    view_candles: int | None = None,
    extra_traces: Sequence[dict] = (),
) -> go.Figure:
    """The whole chart: candles, volume panel, prediction overlays, shapes. ``overlays`` are
    precomputed (marker columns per trace, line shapes) when the caller tracks what it drew.
    ``view_candles``: the chart opens on that many of the newest candles, its price axis fitted
    to them (a far prediction target would otherwise stretch the time axis)."""
    cols = candle_columns(candles)
    window_start = candles[0].time if candles else None
    if overlays is None:
        overlays = (
            overlay_traces(predictions, candles, timeframe, enabled, window_start),
            prediction_shapes(predictions, enabled, window_start),
        )
    traces, lines = overlays
    decimals = price_decimals(candles[-1].close if candles else None)
    fig = chart_frame.new_chart()
    fig.add_trace(
        go.Candlestick(
            name=escape(f"{symbol} {timeframe}"),
            increasing={"line": {"color": UP_CANDLE}, "fillcolor": UP_CANDLE},
            decreasing={"line": {"color": DOWN_CANDLE}, "fillcolor": DOWN_CANDLE},
            showlegend=False,
            # The OHLCV legend above the chart shows the candle under the cursor.
            hoverinfo="none",
            **chart_frame.PRICE,
        )
    )
    fig.add_trace(
        go.Bar(
            marker={"opacity": 0.6},
            name="volume",
            showlegend=False,
            hoverinfo="none",
            **chart_frame.VOLUME,
        )
    )
    # The columns go in unchecked: plotly's checks of 2,000 candles cost most of a view.
    unchecked.fill(fig, TRACE["candles"], x=cols["x"], open=cols["open"], high=cols["high"],
                       low=cols["low"], close=cols["close"])  # fmt: skip
    unchecked.fill(fig, TRACE["volume"], x=cols["x"], y=cols["volume"],
                       marker_color=cols["volume_color"])  # fmt: skip
    styles = {  # (name, marker); a SELL is the up triangle turned over (arrow_marker)
        "dqn_buy": ("DQN buy", {"symbol": "triangle-up", **arrow_marker(True)}),
        "dqn_sell": ("DQN sell", {"symbol": "triangle-up", **arrow_marker(False)}),
        "cnn": ("CNN target", {"symbol": "diamond"}),
        "transformer": ("Transformer target", {"symbol": "star"}),
    }
    for name in PREDICTION_TRACES:
        label, marker = styles[name]
        trace = {
            "type": "scatter",
            "mode": "markers",
            "name": label,
            "hoverinfo": "text",
            "marker": {**marker, "line": {"width": 0}},
            "showlegend": False,
        }
        _apply_flat(trace, traces[name])
        fig.add_trace(go.Scatter(trace, **chart_frame.PRICE))
    # Span labels on hover: invisible points on an axis of the price panel's height (0..1).
    labels = traces.get("span_labels") or {"x": [], "y": [], "hovertext": []}
    fig.add_trace(
        go.Scatter(
            **labels, mode="markers", hoverinfo="text", name="labels", showlegend=False,
            marker={"size": 12, "opacity": 0, "color": SPAN_LABEL_HOVER}, **chart_frame.SPAN_AXIS,
        )
    )  # fmt: skip
    for trace in extra_traces:  # after the fixed traces: outcomes, disagreement marks
        fig.add_trace(go.Scatter(trace, **chart_frame.PRICE))
    fig.update_layout(
        uirevision=f"{symbol}|{timeframe}",
        shapes=[*extra_shapes, *lines],
        annotations=[last_price_label(candles[-1] if candles else None, decimals)],
        # A symbol is text (an imported series is named by a person): never markup.
        title_text=f"{escape(symbol)} · {timeframe}",
        yaxis={"tickformat": price_format(decimals), "hoverformat": price_format(decimals)},
    )
    opening = opening_range(candles, timeframe, view_candles) if view_candles else None
    if opening:
        x_range, y_range = opening
        fig.update_xaxes(range=x_range, autorange=False)
        fig.update_layout(yaxis={"range": y_range, "autorange": False})
    return fig


def label_color(label: str) -> str:
    digest = sum((i + 1) * ord(ch) for i, ch in enumerate(label))
    return LABEL_PALETTE[digest % len(LABEL_PALETTE)]


def span_shapes(
    spans: Sequence, timeframe: str, selected_id: str | None = None, visible_ms: float | None = None
) -> list[dict]:
    """Accepted spans as translucent full-height bands; pending ones (auto-labels waiting for
    review) as a thin strip under the candles, unless selected. Rejected spans are not drawn.
    Label text only where it fits (``visible_ms``: the width of the visible time range)."""
    frame = timeframe_ms(timeframe)
    drawn = [s for s in spans if s.status != "rejected"]
    bands = [s for s in drawn if s.status != "pending" or s.id == selected_id]
    fits = label_room([(s.start, s.end, s.label) for s in bands], visible_ms)
    room = dict(zip([s.id for s in bands], fits, strict=True))
    shapes = []
    for span in drawn:
        color = label_color(span.label)
        selected = span.id == selected_id
        shape = {
            "type": "rect",
            "xref": "x",
            "yref": "y domain",
            "x0": span.start,
            "x1": span.end + frame,
            "fillcolor": color,
            "name": f"span:{span.id}",
        }
        if span.id in room:
            pending = span.status == "pending"
            shape.update(
                y0=0, y1=1, opacity=0.12 if pending else 0.22, layer="below",
                line={"color": WHITE if selected else color, "width": 2 if selected else 1,
                      "dash": "dot" if pending else "solid"},
                label={"text": escape(span.label) if room[span.id] else "",
                       "textposition": "top left", "font": {"size": 10, "color": color}},
            )  # fmt: skip
        else:
            shape.update(y0=0, y1=PENDING_STRIP, opacity=0.8, layer="above", line={"width": 0})
        shapes.append(shape)
    return shapes


# Height of the strip of pending labels, as a fraction of the price panel.
PENDING_STRIP = 0.035


def pattern_shapes(
    spans: Sequence[dict], timeframe: str, visible_ms: float | None = None
) -> list[dict]:
    """The champion's live pattern spans: outlined boxes, never filled, so they can't be
    mistaken for human labels; the outline's opacity follows the confidence. Adjacent spans
    of one label are merged into one box."""
    frame = timeframe_ms(timeframe)
    merged = merge_adjacent(spans, frame)
    texts = [f"{escape(s['label'])} {s['confidence']:.2f}" for s in merged]
    boxes = [(s["start"], s["end"], t) for s, t in zip(merged, texts, strict=True)]
    room = label_room(boxes, visible_ms)
    shapes = []
    for span, text, fits in zip(merged, texts, room, strict=True):
        color = label_color(span["label"])
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "y domain",
                "x0": span["start"],
                "x1": span["end"] + frame,
                "y0": 0.05,
                "y1": 0.98,
                "fillcolor": TRANSPARENT,
                "opacity": confidence_opacity(span["confidence"]),
                "line": {"color": color, "width": 1.5, "dash": "dash"},
                "label": {
                    "text": text if fits else "",
                    "textposition": "bottom left",
                    "font": {"size": 9, "color": color},
                },
                "name": f"pattern:{span['start']}:{span['label']}",
            }
        )
    return shapes
