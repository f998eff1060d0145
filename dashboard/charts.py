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
from plotly.subplots import make_subplots

from core.candles import Candle, bucket_start, timeframe_ms

UP_CANDLE = "#26a69a"
DOWN_CANDLE = "#ef5350"
DIRECTION_COLORS = {"UP": "#00e5ff", "DOWN": "#ff9800", "STABLE": "#90caf9"}
ACTION_COLORS = {"BUY": "#00e676", "SELL": "#ff1744"}
OVERLAY_KINDS = ("dqn", "cnn", "transformer")

TRACE = {"candles": 0, "volume": 1, "dqn_buy": 2, "dqn_sell": 3, "cnn": 4, "transformer": 5}
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
) -> dict[str, list[dict]]:
    """The markers of each prediction trace, in the order predictions were stored, each with
    its prediction's ``seq``. Predictions before the chart's first candle are left out so they
    don't stretch the time axis."""
    enabled = set(enabled)
    frame = timeframe_ms(timeframe)
    by_time = {c.time: c for c in candles}
    points: dict[str, list[dict]] = {name: [] for name in PREDICTION_TRACES}

    def visible(p: dict) -> bool:
        return window_start is None or p["timestamp"] >= window_start

    if "dqn" in enabled:
        for p in predictions.get("dqn", []):
            if p["action"] == "HOLD" or not visible(p):
                continue
            candle = by_time.get(bucket_start(p["timestamp"], frame))
            buy = p["action"] == "BUY"
            anchor = (candle.low if buy else candle.high) if candle else p["price"]
            offset = anchor * 0.0006
            points["dqn_buy" if buy else "dqn_sell"].append(
                {
                    "seq": p.get("seq", 0),
                    "ts": p["timestamp"],
                    "x": p["timestamp"],
                    "y": anchor - offset if buy else anchor + offset,
                    "text": _hover(p, f"{p['action']} at {p['price']:.6g}"),
                    "size": confidence_size(p["confidence"]),
                    "opacity": confidence_opacity(p["confidence"]),
                    "color": ACTION_COLORS[p["action"]],
                }
            )
    for kind, target in (("cnn", "target_price"), ("transformer", "predicted_price")):
        if kind not in enabled:
            continue
        for p in predictions.get(kind, []):
            if not visible(p):
                continue
            extra = f" ({p['price_change']:+.2f}%)" if kind == "transformer" else ""
            points[kind].append(
                {
                    "seq": p.get("seq", 0),
                    "ts": p["timestamp"],
                    "x": horizon_end(p),
                    "y": p[target],
                    "text": _hover(
                        p,
                        f"{p['direction']} {p['current_price']:.6g} → {p[target]:.6g}{extra}",
                        f"horizon {p['horizon_minutes']:g} min",
                    ),
                    "size": confidence_size(p["confidence"]),
                    "opacity": confidence_opacity(p["confidence"]),
                    "color": DIRECTION_COLORS[p["direction"]],
                }
            )
    return points


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
) -> go.Figure:
    """The whole chart: candles, volume panel, prediction overlays, shapes. ``overlays`` are
    precomputed (marker columns per trace, line shapes) when the caller tracks what it drew."""
    cols = candle_columns(candles)
    window_start = candles[0].time if candles else None
    if overlays is None:
        overlays = (
            overlay_traces(predictions, candles, timeframe, enabled, window_start),
            prediction_shapes(predictions, enabled, window_start),
        )
    traces, lines = overlays
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.78, 0.22], vertical_spacing=0.02
    )
    fig.add_trace(
        go.Candlestick(
            x=cols["x"],
            open=cols["open"],
            high=cols["high"],
            low=cols["low"],
            close=cols["close"],
            name=f"{symbol} {timeframe}",
            increasing={"line": {"color": UP_CANDLE}, "fillcolor": UP_CANDLE},
            decreasing={"line": {"color": DOWN_CANDLE}, "fillcolor": DOWN_CANDLE},
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Bar(
            x=cols["x"],
            y=cols["volume"],
            marker={"color": cols["volume_color"], "opacity": 0.6},
            name="volume",
            showlegend=False,
            hovertemplate="volume %{y:.4g}<extra></extra>",
        ),
        row=2,
        col=1,
    )
    styles = {
        "dqn_buy": ("DQN buy", "triangle-up"),
        "dqn_sell": ("DQN sell", "triangle-down"),
        "cnn": ("CNN target", "diamond"),
        "transformer": ("Transformer target", "star"),
    }
    for name in PREDICTION_TRACES:
        label, symbol_name = styles[name]
        trace = {
            "type": "scatter",
            "mode": "markers",
            "name": label,
            "hoverinfo": "text",
            "marker": {"symbol": symbol_name, "line": {"width": 0}},
            "showlegend": False,
        }
        _apply_flat(trace, traces[name])
        fig.add_trace(go.Scatter(trace), row=1, col=1)
    fig.update_layout(
        template="plotly_dark",
        paper_bgcolor="#131722",
        plot_bgcolor="#131722",
        margin={"l": 50, "r": 60, "t": 30, "b": 20},
        height=420,
        uirevision=f"{symbol}|{timeframe}",
        hovermode="closest",
        dragmode="zoom",
        shapes=[*extra_shapes, *lines],
        title={"text": f"{symbol} · {timeframe}", "x": 0.01, "font": {"size": 13}},
        font={"size": 11},
    )
    fig.update_xaxes(type="date", rangeslider_visible=False, showgrid=True, gridcolor="#2a2e39")
    fig.update_yaxes(showgrid=True, gridcolor="#2a2e39", side="right")
    fig.update_yaxes(title_text="", row=2, col=1, showticklabels=False)
    return fig


# A qualitative palette; a label keeps its colour across sessions (hash of its name).
LABEL_PALETTE = (
    "#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6",
    "#bcf60c", "#fabebe", "#008080", "#e6beff", "#9a6324", "#fffac8", "#aaffc3", "#808000",
)  # fmt: skip


def label_color(label: str) -> str:
    digest = sum((i + 1) * ord(ch) for i, ch in enumerate(label))
    return LABEL_PALETTE[digest % len(LABEL_PALETTE)]


def span_shapes(spans: Sequence, timeframe: str, selected_id: str | None = None) -> list[dict]:
    """Translucent bands for annotated spans (filled: human-made or accepted; fainter and
    dashed while pending review). Rejected spans are not drawn."""
    frame = timeframe_ms(timeframe)
    shapes = []
    for span in spans:
        if span.status == "rejected":
            continue
        color = label_color(span.label)
        pending = span.status == "pending"
        selected = span.id == selected_id
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "y domain",
                "x0": span.start,
                "x1": span.end + frame,
                "y0": 0,
                "y1": 1,
                "fillcolor": color,
                "opacity": 0.12 if pending else 0.22,
                "layer": "below",
                "line": {
                    "color": "#ffffff" if selected else color,
                    "width": 2 if selected else 1,
                    "dash": "dot" if pending else "solid",
                },
                "label": {
                    "text": escape(span.label),
                    "textposition": "top left",
                    "font": {"size": 10, "color": color},
                },
                "name": f"span:{span.id}",
            }
        )
    return shapes


def pattern_shapes(spans: Sequence[dict], timeframe: str) -> list[dict]:
    """The champion's live pattern spans: outlined boxes, never filled, so they can't be
    mistaken for human labels; the outline's opacity follows the confidence."""
    frame = timeframe_ms(timeframe)
    shapes = []
    for span in spans:
        color = label_color(span["label"])
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "y domain",
                "x0": span["start"],
                "x1": span["end"] + frame,
                "y0": 0.02,
                "y1": 0.98,
                "fillcolor": "rgba(0,0,0,0)",
                "opacity": confidence_opacity(span["confidence"]),
                "line": {"color": color, "width": 1.5, "dash": "dash"},
                "label": {
                    "text": f"{escape(span['label'])} {span['confidence']:.2f}",
                    "textposition": "bottom left",
                    "font": {"size": 9, "color": color},
                },
                "name": f"pattern:{span['start']}:{span['label']}",
            }
        )
    return shapes
