"""Live candlestick charts: one per timeframe of the selected symbol, refreshed every tick with
only what changed (``dash.Patch``), so the user's zoom and pan stay put."""

from __future__ import annotations

from dash import MATCH, Input, Output, State, ctx, dcc, html, no_update

from core.prediction_queries import PredictionFilter
from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.chart_updates import (
    LINE_LISTS,
    ChartState,
    append_markers,
    candle_patch,
    overlay_patch,
    plan_list,
    update_lines,
)
from dashboard.charts import (
    PREDICTION_TRACES,
    TRACE,
    build_figure,
    marker_columns,
    overlay_points,
    pattern_shapes,
    prediction_lines,
    span_shapes,
)
from dashboard.context import orchestrator
from dashboard.outcome_overlays import Extras, patch_outcomes, split_pending

callbacks = CallbackSet()


def window_size(config, timeframe: str) -> int:
    """How many candles a chart of this timeframe shows."""
    if timeframe == "1s":
        return int(config.dashboard.window_1s_minutes * 60)
    return config.dashboard.window_1m_candles


# Bands drawn per chart at most: auto-labelling a long 1 s series can find thousands.
MAX_SPAN_SHAPES = 400


def overlay_key(orch, symbol: str, view: dict) -> str:
    """Changes when the overlays must be redrawn whole: toggles, spans or pattern labels, the
    selected span, the confidence slider, or the symbol's predictions being cleared. New
    predictions alone don't change it: they are appended."""
    return (
        f"{','.join(sorted(view['enabled']))}|{orch.annotations.version}|{view['selected']}"
        f"|{orch.live_patterns.version}|{view['min_confidence']}"
        f"|{orch.predictions.epoch(symbol)}"
        f"|{view['filters'].key()}|{orch.predictions.outcome_version(symbol)}"
    )


def band_shapes(orch, symbol: str, timeframe: str, window_start, view: dict) -> list[dict]:
    """Human and TA-Lib spans (filled bands), then the model's live patterns (outlines)."""
    spans = orch.annotations.list(symbol=symbol, timeframe=timeframe, start=window_start)
    shapes = span_shapes(spans[-MAX_SPAN_SHAPES:], timeframe, view["selected"])
    if "patterns" in view["enabled"]:
        found = orch.live_patterns.spans(symbol, timeframe, window_start, view["min_confidence"])
        shapes += pattern_shapes(found[-MAX_SPAN_SHAPES:], timeframe)
    return shapes


def overlay_lists(orch, symbol: str, timeframe: str, view: dict, candles):
    """(book seq, every drawable prediction per overlay list: pending markers, target lines;
    the filtered snapshot, whose resolved ones ``Extras`` draws whole)."""
    book_seq, predictions = orch.predictions.versioned_snapshot(symbol)
    predictions = view["filters"].apply(predictions)
    pending, _ = split_pending(predictions, None)
    lists = overlay_points(pending, candles, timeframe, view["enabled"], None)
    for name in LINE_LISTS:
        kind = name.split("_")[0]
        # Target lines for pending predictions only: a resolved one has its realised segment.
        lines = prediction_lines({kind: pending.get(kind, [])}, view["enabled"], None)
        lists[name] = [{"seq": seq, "ts": shape["x0"], "shape": shape} for seq, shape in lines]
    return book_seq, lists, predictions


def _oldest(lists: dict[str, list], drawn: dict[str, list[int]]) -> int | None:
    stamps = [it["ts"] for name, items in lists.items() for it in items
              if drawn[name][2] and it["seq"] >= drawn[name][0]]  # fmt: skip
    return min(stamps) if stamps else None


def full_overlays(orch, symbol, timeframe, view, candles, state: ChartState):
    """Overlays drawn from scratch: (marker columns per trace, band shapes, line shapes);
    records in ``state`` what the browser will hold."""
    window_start = candles[0].time if candles else None
    # The key first: an outcome landing meanwhile then forces one more redraw, never a miss.
    state.overlay_key = overlay_key(orch, symbol, view)
    state.book_seq, lists, predictions = overlay_lists(orch, symbol, timeframe, view, candles)
    drawn, chosen = {}, {}
    for name, items in lists.items():
        _, chosen[name], drawn[name] = plan_list(items, None, window_start)
    bands = band_shapes(orch, symbol, timeframe, window_start, view)
    state.drawn, state.bands = drawn, len(bands)
    state.oldest = _oldest(lists, drawn)
    traces = {name: marker_columns(chosen[name]) for name in PREDICTION_TRACES}
    lines = [item["shape"] for name in LINE_LISTS for item in chosen[name]]
    extras = Extras(orch, symbol, timeframe, view, candles, predictions)
    state.extras = extras.key
    return traces, bands, lines, extras.traces()


def incremental_overlays(orch, symbol, timeframe, view, candles, state: ChartState, patch) -> bool:
    """Append new predictions and drop those gone from the deque or the window; False when the
    browser's overlays can't be derived (the caller redraws them whole)."""
    window_start = candles[0].time if candles else None
    book_seq, lists, predictions = overlay_lists(orch, symbol, timeframe, view, candles)
    if any(name not in state.drawn for name in lists):
        return False
    plans = {name: plan_list(items, state.drawn[name], window_start)
             for name, items in lists.items()}  # fmt: skip
    if any(plan is None for plan in plans.values()):
        return False
    for name in PREDICTION_TRACES:
        drop, newer, _ = plans[name]
        if drop or newer:
            append_markers(patch, TRACE[name], drop, newer)
    held = {name: state.drawn[name][2] for name in LINE_LISTS}
    update_lines(patch, state.bands, {name: plans[name] for name in LINE_LISTS}, held)
    state.drawn = {name: plan[2] for name, plan in plans.items()}
    state.book_seq = book_seq
    # New predictions may make a disagreement: the outcome and mark traces are few, sent whole
    # when they changed.
    extras = Extras(orch, symbol, timeframe, view, candles, predictions)
    extras.patch(patch, state.extras)
    state.extras = extras.key
    state.oldest = _oldest(lists, state.drawn)
    return True


def chart_view(orch, symbol: str, timeframe: str, view: dict):
    """A whole figure and its state, for a first draw or a symbol switch."""
    size = window_size(orch.config, timeframe)
    candles = orch.store.tail(symbol, timeframe, size)
    state = ChartState(symbol, timeframe, candles[-1].time if candles else None, len(candles), "")
    traces, bands, lines, outcomes = full_overlays(orch, symbol, timeframe, view, candles, state)
    figure = build_figure(
        candles, {}, timeframe, view["enabled"], symbol, bands, (traces, lines), outcomes
    )
    return figure, state


def make_view(enabled, selected=None, min_confidence=0.5, filters=None) -> dict:
    """What the user chose to see: overlay toggles, selected span, pattern confidence floor,
    prediction filters (kind, source, version, confidence per kind, outcome)."""
    return {
        "enabled": list(enabled or []),
        "selected": selected,
        "min_confidence": float(min_confidence if min_confidence is not None else 0.5),
        "filters": PredictionFilter.from_dict(filters),
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
    redraw = new_state.drawn is None or overlay_key(orch, symbol, view) != state.overlay_key
    changed = orch.predictions.seq(symbol) != state.book_seq or (
        state.oldest is not None and window_start is not None and state.oldest < window_start
    )
    if not redraw and changed:
        redraw = not incremental_overlays(orch, symbol, timeframe, view, shown, new_state, patch)
    if redraw:
        traces, bands, lines, outcomes = full_overlays(
            orch, symbol, timeframe, view, shown, new_state
        )
        overlay_patch(patch, traces, bands + lines)
        patch_outcomes(patch, outcomes)
    if not candles and not redraw and not changed:
        return no_update, no_update
    return patch, new_state.to_dict()


@callbacks.callback(
    Output(ids.CHARTS, "children"),
    Input(ids.SYMBOL, "value"),
    State(ids.OVERLAYS, "value"),
    State(ids.PATTERN_MIN_CONF, "value"),
    State(ids.PRED_FILTER, "data"),
)
def render_charts(symbol, enabled, min_confidence, filters):
    orch = orchestrator()
    if symbol not in orch.symbols():
        return html.Div(f"Unknown symbol {symbol!r}", className="text-danger")
    view = make_view(enabled, None, min_confidence, filters)
    return [chart_block(orch, symbol, tf, view) for tf in orch.timeframes(symbol)]


@callbacks.callback(
    Output(ids.chart(MATCH), "figure"),
    Output(ids.chart_state(MATCH), "data"),
    Input(ids.TICK, "n_intervals"),
    Input(ids.OVERLAYS, "value"),
    Input(ids.ANN_VERSION, "data"),
    Input(ids.ANN_SELECTED, "data"),
    Input(ids.PATTERN_MIN_CONF, "value"),
    Input(ids.PRED_FILTER, "data"),
    State(ids.SYMBOL, "value"),
    State(ids.chart_state(MATCH), "data"),
    prevent_initial_call=True,
)
def refresh_chart(_n, enabled, _version, selected, min_confidence, filters, symbol, state):
    timeframe = ctx.outputs_list[0]["id"]["tf"]
    view = make_view(enabled, selected, min_confidence, filters)
    return tick(orchestrator(), symbol, timeframe, view, state)
