"""Live candlestick charts: one per timeframe of the selected symbol, refreshed every tick with
only what changed (``dash.Patch``), so the user's zoom and pan stay put."""

from __future__ import annotations

from dash import MATCH, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.chart_updates import ChartState, candle_patch, overlay_patch
from dashboard.charts import (
    build_figure,
    overlay_traces,
    pattern_shapes,
    prediction_shapes,
    span_shapes,
)
from dashboard.context import orchestrator

callbacks = CallbackSet()


def window_size(config, timeframe: str) -> int:
    """How many candles a chart of this timeframe shows."""
    if timeframe == "1s":
        return int(config.dashboard.window_1s_minutes * 60)
    return config.dashboard.window_1m_candles


# Bands drawn per chart at most: auto-labelling a long 1 s series can find thousands.
MAX_SPAN_SHAPES = 400


def overlay_key(orch, symbol: str, view: dict, window_start: int | None) -> str:
    """Changes whenever the drawn overlays would: new predictions, spans or pattern labels,
    toggles, the selected span, the confidence slider, or a prediction leaving the window."""
    snapshot = orch.predictions.snapshot(symbol, window_start)
    visible = sum(len(v) for v in snapshot.values())
    return (
        f"{orch.predictions.seq(symbol)}|{','.join(sorted(view['enabled']))}|{visible}"
        f"|{orch.annotations.version}|{view['selected']}"
        f"|{orch.live_patterns.version}|{view['min_confidence']}"
    )


def band_shapes(orch, symbol: str, timeframe: str, window_start, view: dict) -> list[dict]:
    """Human and TA-Lib spans (filled bands), then the model's live patterns (outlines)."""
    spans = orch.annotations.list(symbol=symbol, timeframe=timeframe, start=window_start)
    shapes = span_shapes(spans[-MAX_SPAN_SHAPES:], timeframe, view["selected"])
    if "patterns" in view["enabled"]:
        found = orch.live_patterns.spans(symbol, timeframe, window_start, view["min_confidence"])
        shapes += pattern_shapes(found[-MAX_SPAN_SHAPES:], timeframe)
    return shapes


def chart_view(orch, symbol: str, timeframe: str, view: dict):
    """A whole figure and its state, for a first draw or a symbol switch."""
    size = window_size(orch.config, timeframe)
    candles = orch.store.tail(symbol, timeframe, size)
    window_start = candles[0].time if candles else None
    predictions = orch.predictions.snapshot(symbol)
    bands = band_shapes(orch, symbol, timeframe, window_start, view)
    figure = build_figure(candles, predictions, timeframe, view["enabled"], symbol, bands)
    state = ChartState(
        symbol,
        timeframe,
        candles[-1].time if candles else None,
        len(candles),
        overlay_key(orch, symbol, view, window_start),
    )
    return figure, state


def make_view(enabled, selected=None, min_confidence=0.5) -> dict:
    """What the user chose to see: overlay toggles, selected span, pattern confidence floor."""
    return {
        "enabled": list(enabled or []),
        "selected": selected,
        "min_confidence": float(min_confidence if min_confidence is not None else 0.5),
    }


def chart_block(orch, symbol: str, timeframe: str, view: dict) -> html.Div:
    figure, state = chart_view(orch, symbol, timeframe, view)
    return html.Div(
        [
            dcc.Graph(
                id=ids.chart(timeframe),
                figure=figure,
                config={"displaylogo": False, "scrollZoom": True},
            ),
            dcc.Store(id=ids.chart_state(timeframe), data=state.to_dict()),
        ],
        id=ids.graph_dom_id(timeframe),
        className="chart-block",
    )


def layout() -> html.Div:
    return html.Div(id=ids.CHARTS)


def tick(orch, symbol: str, timeframe: str, view: dict, raw_state: dict | None):
    """One refresh of one chart: (figure or Patch or no_update, state)."""
    state = ChartState.from_dict(raw_state)
    if state is None or state.symbol != symbol or state.timeframe != timeframe:
        figure, new_state = chart_view(orch, symbol, timeframe, view)
        return figure, new_state.to_dict()
    size = window_size(orch.config, timeframe)
    candles = orch.store.candles(symbol, timeframe, since=state.last_time)
    patch, new_state = candle_patch(state, candles, size)
    if patch is None:
        figure, new_state = chart_view(orch, symbol, timeframe, view)
        return figure, new_state.to_dict()
    shown = orch.store.tail(symbol, timeframe, new_state.count)
    window_start = shown[0].time if shown else None
    key = overlay_key(orch, symbol, view, window_start)
    if key != state.overlay_key:
        enabled = view["enabled"]
        predictions = orch.predictions.snapshot(symbol, window_start)
        traces = overlay_traces(predictions, shown, timeframe, enabled, window_start)
        shapes = band_shapes(orch, symbol, timeframe, window_start, view)
        shapes += prediction_shapes(predictions, enabled, window_start)
        overlay_patch(patch, traces, shapes)
        new_state.overlay_key = key
    if not candles and key == state.overlay_key:
        return no_update, no_update
    return patch, new_state.to_dict()


@callbacks.callback(
    Output(ids.CHARTS, "children"),
    Input(ids.SYMBOL, "value"),
    State(ids.OVERLAYS, "value"),
    State(ids.PATTERN_MIN_CONF, "value"),
)
def render_charts(symbol, enabled, min_confidence):
    orch = orchestrator()
    if symbol not in orch.symbols():
        return html.Div(f"Unknown symbol {symbol!r}", className="text-danger")
    view = make_view(enabled, None, min_confidence)
    return [chart_block(orch, symbol, tf, view) for tf in orch.timeframes(symbol)]


@callbacks.callback(
    Output(ids.chart(MATCH), "figure"),
    Output(ids.chart_state(MATCH), "data"),
    Input(ids.TICK, "n_intervals"),
    Input(ids.OVERLAYS, "value"),
    Input(ids.ANN_VERSION, "data"),
    Input(ids.ANN_SELECTED, "data"),
    Input(ids.PATTERN_MIN_CONF, "value"),
    State(ids.SYMBOL, "value"),
    State(ids.chart_state(MATCH), "data"),
    prevent_initial_call=True,
)
def refresh_chart(_n, enabled, _version, selected, min_confidence, symbol, state):
    timeframe = ctx.outputs_list[0]["id"]["tf"]
    view = make_view(enabled, selected, min_confidence)
    return tick(orchestrator(), symbol, timeframe, view, state)
