"""Live candlestick charts: one per timeframe of the selected symbol, refreshed every tick with
only what changed (``dash.Patch``), so the user's zoom and pan stay put."""

from __future__ import annotations

from dash import MATCH, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.chart_updates import ChartState, candle_patch, overlay_patch
from dashboard.charts import build_figure, overlay_traces, prediction_shapes, span_shapes
from dashboard.context import orchestrator

callbacks = CallbackSet()


def window_size(config, timeframe: str) -> int:
    """How many candles a chart of this timeframe shows."""
    if timeframe == "1s":
        return int(config.dashboard.window_1s_minutes * 60)
    return config.dashboard.window_1m_candles


# Bands drawn per chart at most: auto-labelling a long 1 s series can find thousands.
MAX_SPAN_SHAPES = 400


def overlay_key(
    orch, symbol: str, enabled: list[str], window_start: int | None, selected: str | None
) -> str:
    """Changes whenever the drawn overlays would: new predictions or spans, toggles, the
    selected span, or a prediction sliding out of the chart's window."""
    snapshot = orch.predictions.snapshot(symbol, window_start)
    visible = sum(len(v) for v in snapshot.values())
    return (
        f"{orch.predictions.seq(symbol)}|{','.join(sorted(enabled))}|{visible}"
        f"|{orch.annotations.version}|{selected}"
    )


def annotation_shapes(orch, symbol, timeframe, window_start, selected) -> list[dict]:
    spans = orch.annotations.list(symbol=symbol, timeframe=timeframe, start=window_start)
    return span_shapes(spans[-MAX_SPAN_SHAPES:], timeframe, selected)


def chart_view(orch, symbol: str, timeframe: str, enabled: list[str], selected: str | None):
    """A whole figure and its state, for a first draw or a symbol switch."""
    size = window_size(orch.config, timeframe)
    candles = orch.store.tail(symbol, timeframe, size)
    window_start = candles[0].time if candles else None
    predictions = orch.predictions.snapshot(symbol)
    bands = annotation_shapes(orch, symbol, timeframe, window_start, selected)
    figure = build_figure(candles, predictions, timeframe, enabled, symbol, bands)
    state = ChartState(
        symbol,
        timeframe,
        candles[-1].time if candles else None,
        len(candles),
        overlay_key(orch, symbol, enabled, window_start, selected),
    )
    return figure, state


def chart_block(orch, symbol: str, timeframe: str, enabled: list[str]) -> html.Div:
    figure, state = chart_view(orch, symbol, timeframe, enabled, None)
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


def tick(
    orch,
    symbol: str,
    timeframe: str,
    enabled: list[str],
    raw_state: dict | None,
    selected: str | None = None,
):
    """One refresh of one chart: (figure or Patch or no_update, state)."""
    state = ChartState.from_dict(raw_state)
    if state is None or state.symbol != symbol or state.timeframe != timeframe:
        figure, new_state = chart_view(orch, symbol, timeframe, enabled, selected)
        return figure, new_state.to_dict()
    size = window_size(orch.config, timeframe)
    candles = orch.store.candles(symbol, timeframe, since=state.last_time)
    patch, new_state = candle_patch(state, candles, size)
    if patch is None:
        figure, new_state = chart_view(orch, symbol, timeframe, enabled, selected)
        return figure, new_state.to_dict()
    shown = orch.store.tail(symbol, timeframe, new_state.count)
    window_start = shown[0].time if shown else None
    key = overlay_key(orch, symbol, enabled, window_start, selected)
    if key != state.overlay_key:
        predictions = orch.predictions.snapshot(symbol, window_start)
        traces = overlay_traces(predictions, shown, timeframe, enabled, window_start)
        shapes = annotation_shapes(orch, symbol, timeframe, window_start, selected)
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
)
def render_charts(symbol, enabled):
    orch = orchestrator()
    if symbol not in orch.symbols():
        return html.Div(f"Unknown symbol {symbol!r}", className="text-danger")
    return [chart_block(orch, symbol, tf, enabled or []) for tf in orch.timeframes(symbol)]


@callbacks.callback(
    Output(ids.chart(MATCH), "figure"),
    Output(ids.chart_state(MATCH), "data"),
    Input(ids.TICK, "n_intervals"),
    Input(ids.OVERLAYS, "value"),
    Input(ids.ANN_VERSION, "data"),
    Input(ids.ANN_SELECTED, "data"),
    State(ids.SYMBOL, "value"),
    State(ids.chart_state(MATCH), "data"),
    prevent_initial_call=True,
)
def refresh_chart(_n, enabled, _version, selected, symbol, state):
    timeframe = ctx.outputs_list[0]["id"]["tf"]
    return tick(orchestrator(), symbol, timeframe, enabled or [], state, selected)
