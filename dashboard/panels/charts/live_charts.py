"""Live candlestick charts: one per timeframe of the selected symbol, refreshed every tick with
only what changed (``dash.Patch``), so the user's zoom and pan stay put."""

from __future__ import annotations

import logging
from html import escape

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import MATCH, Input, Output, Patch, State, ctx, dcc, html, no_update

from core.candles import timeframe_ms
from core.spans import Span
from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from dashboard.figures import chart_series, unchecked
from dashboard.figures import indicator_traces as ind
from dashboard.figures.chart_layout import (
    GRAPH_CONFIG,
    last_price_shape,
    price_decimals,
    price_patch,
    price_range,
)
from dashboard.figures.chart_updates import (
    LINE_LISTS,
    ChartState,
    candle_patch,
    overlay_patch,
    replace_lines,
    split_update,
)
from dashboard.figures.charts import (
    PREDICTION_TRACES,
    build_figure,
    marker_columns,
    overlay_points,
    pattern_shapes,
    prediction_lines,
    span_shapes,
)
from dashboard.figures.layer_notes import layer_options
from dashboard.figures.outcome_overlays import Extras, patch_outcomes, split_pending
from dashboard.figures.overlay_strength import full_strength, readable
from dashboard.figures.span_layout import hover_columns, label_points, pattern_points, spans_in_view
from dashboard.panels.charts.chart_drawings import drawing_bands, with_tools
from dashboard.panels.charts.chart_drawings import toolbar as drawing_toolbar
from dashboard.panels.charts.indicator_menu import menu as indicator_menu
from dashboard.panels.charts.indicator_menu import settings_store
from dashboard.panels.charts.ranged_overlays import window_predictions
from market import indicators, rollups
from predictions.queries import PredictionFilter

callbacks = CallbackSet()
log = logging.getLogger(__name__)


def window_size(config, timeframe: str) -> int:
    """How many candles a chart of this timeframe holds."""
    if timeframe == "1s":
        return int(config.dashboard.window_1s_minutes * 60)
    return config.dashboard.window_1m_candles


def view_candles(config, timeframe: str) -> int:
    """How many candles a chart opens on: the 1 s chart its whole window, others ~150."""
    if timeframe == "1s":
        return window_size(config, timeframe)
    return min(config.dashboard.view_candles, window_size(config, timeframe))


# Bands drawn per chart at most: auto-labelling a long 1 s series can find thousands.
MAX_SPAN_SHAPES = 400


def overlay_key(orch, symbol: str, view: dict) -> str:
    """Changes when the overlays must be redrawn whole: toggles, spans or pattern labels, the
    selected span, the confidence slider, or the symbol's predictions being cleared. New
    predictions alone don't change it: they are appended."""
    return (
        f"{','.join(sorted(view['enabled']))}|{orch.annotations.version}|{view['selected']}"
        f"|{orch.live_patterns.version}|{view['min_confidence']}"
        f"|{orch.predictions.epoch(symbol)}|{view['labels']}|{visible_key(view.get('visible'))}"
        f"|{view['filters'].key()}|{orch.predictions.outcome_version(symbol)}"
        f"|{focus_key(view.get('focus'))}|{orch.drawings.version}"
    )


def focus_key(focus) -> str:
    if not focus:
        return ""
    return f"{focus.get('timeframe')}:{focus.get('start')}:{focus.get('end')}:{focus.get('label')}"


def focus_shapes(focus, symbol: str, source: str, width) -> list[dict]:
    """The span picked in the Review tab's uncertainty queue, drawn as the span list draws its
    selected span (a full band with a white outline), on its own symbol's chart only."""
    if not focus or focus.get("timeframe") != source or focus.get("symbol", symbol) != symbol:
        return []
    span = Span(FOCUS_ID, "", source, int(focus["start"]), int(focus["end"]),
                str(focus["label"]), "model", "pending")  # fmt: skip
    shapes = span_shapes([span], source, FOCUS_ID, width)
    for shape in shapes:
        shape["name"] = FOCUS_ID
    return shapes


FOCUS_ID = "review-focus"


def visible_key(visible) -> str:
    """The visible range, coarsely: spans are redrawn when it moves by a quarter of its width,
    not at every pixel of a pan."""
    if not visible:
        return ""
    x0, x1 = visible
    step = max((x1 - x0) / 4, 1)
    return f"{int(x0 // step)}:{int(x1 // step)}:{int(step)}"


def span_layers(orch, symbol: str, timeframe: str, window_start, view: dict):
    """(band shapes, hover points naming each span). An aggregated chart (5 m ...) shows the
    spans of the 1 m series it is built from."""
    source = chart_series.source_timeframe(orch.store, symbol, timeframe)
    frame = timeframe_ms(source)
    visible = view.get("visible")
    width = (visible[1] - visible[0]) if visible else None
    shapes, points = [], []
    if view["labels"] != "none":
        spans = orch.annotations.list(symbol=symbol, timeframe=source, start=window_start)
        if view["labels"] == "accepted":
            spans = [s for s in spans if s.status == "accepted" or s.id == view["selected"]]
        chosen = spans_in_view(spans, visible, MAX_SPAN_SHAPES)
        shapes += span_shapes(chosen, source, view["selected"], width)
        points += label_points(chosen, frame, view["selected"])
    shapes += focus_shapes(view.get("focus"), symbol, source, width)
    if "patterns" in view["enabled"]:
        found = orch.live_patterns.spans(symbol, source, window_start, view["min_confidence"])
        found = spans_in_view(found, visible, MAX_SPAN_SHAPES)
        shapes += pattern_shapes(found, source, width)
        points += pattern_points(found, frame)
    return shapes, points


def overlay_lists(orch, symbol: str, timeframe: str, view: dict, candles, window=None):
    """(book seq, every drawable prediction per overlay list: pending markers, target lines;
    the filtered snapshot, whose resolved ones ``Extras`` draws whole; the keys of the
    predictions at full strength). Future targets collapse to the newest per horizon and dense
    markers thin per candle (``overlay_strength``). ``window``: a loaded range's, whose stored
    predictions join the deques' (``ranged_overlays``)."""
    book_seq, predictions = window_predictions(orch, symbol, view, window, timeframe_ms(timeframe))
    predictions = view["filters"].apply(predictions)
    full = full_strength(predictions, orch.config.dashboard.overlay_full_strength)
    pending, _ = split_pending(predictions, None)
    pending = readable(pending, timeframe_ms(timeframe))
    lists = overlay_points(pending, candles, timeframe, view["enabled"], None, full)
    # Target lines on the chart of the timeframe the prediction was made on only: a 1 m model's
    # five-minute line would cross the whole 1 s chart.
    source = chart_series.source_timeframe(orch.store, symbol, timeframe)
    for name in LINE_LISTS:
        kind = name.split("_")[0]
        # Target lines for pending predictions only: a resolved one has its realised segment.
        own = [p for p in pending.get(kind, []) if p.get("timeframe", "1m") == source]
        lines = prediction_lines({kind: own}, view["enabled"], None)
        lists[name] = [{"seq": seq, "ts": shape["x0"], "shape": shape} for seq, shape in lines]
    return book_seq, lists, predictions, full


def in_window(lists: dict[str, list], window_start) -> tuple[dict[str, list], dict[str, list]]:
    """(items drawn per list: those at or after the window's start; [first seq, last seq,
    count] of each, what the browser holds)."""
    chosen = {name: [it for it in items if window_start is None or it["ts"] >= window_start]
              for name, items in lists.items()}  # fmt: skip
    drawn = {name: [items[0]["seq"] if items else 0, max((it["seq"] for it in items), default=0),
                    len(items)] for name, items in chosen.items()}  # fmt: skip
    return chosen, drawn


def _oldest(chosen: dict[str, list]) -> int | None:
    stamps = [it["ts"] for items in chosen.values() for it in items]
    return min(stamps) if stamps else None


def full_overlays(orch, symbol, timeframe, view, candles, state: ChartState):
    """Overlays drawn from scratch: (marker columns per trace, band shapes, line shapes);
    records in ``state`` what the browser will hold."""
    window_start = candles[0].time if candles else None
    # The key first: an outcome landing meanwhile then forces one more redraw, never a miss.
    state.overlay_key = overlay_key(orch, symbol, view)
    state.book_seq, lists, predictions, full = overlay_lists(orch, symbol, timeframe, view,
                                                             candles, state.window)  # fmt: skip
    chosen, state.drawn = in_window(lists, window_start)
    price_line = last_price_shape(candles[-1] if candles else None)
    state.price = [candles[-1].open, candles[-1].close] if candles else None
    spans, points = span_layers(orch, symbol, timeframe, window_start, view)
    bands = [price_line, *spans, *drawing_bands(orch, symbol)]
    state.bands = len(bands)
    state.oldest = _oldest(chosen)
    traces = {name: marker_columns(chosen[name]) for name in PREDICTION_TRACES}
    traces["span_labels"] = hover_columns(points)
    lines = [item["shape"] for name in LINE_LISTS for item in chosen[name]]
    extras = Extras(orch, symbol, timeframe, view, candles, predictions, full)
    state.extras = extras.key
    return traces, bands, lines, extras.traces()


def prediction_overlays(orch, symbol, timeframe, view, candles, state: ChartState, patch) -> bool:
    """New predictions, or some gone from the deque or the window: the prediction traces and
    target lines sent whole (they are few: collapsed, thinned, bounded by the deques), the
    span bands before them left in place. False when the browser's shapes can't be derived
    (the caller redraws the overlays whole)."""
    window_start = candles[0].time if candles else None
    book_seq, lists, predictions, full = overlay_lists(orch, symbol, timeframe, view, candles)
    if any(name not in state.drawn for name in lists):
        return False
    chosen, drawn = in_window(lists, window_start)
    traces = {name: marker_columns(chosen[name]) for name in PREDICTION_TRACES}
    held = sum(state.drawn[name][2] for name in LINE_LISTS)
    lines = [item["shape"] for name in LINE_LISTS for item in chosen[name]]
    overlay_patch(patch, traces, None)
    replace_lines(patch, state.bands, held, lines)
    state.drawn, state.book_seq, state.oldest = drawn, book_seq, _oldest(chosen)
    # New predictions may make a disagreement or fade a resolved one: the outcome and mark
    # traces are sent whole when they changed.
    extras = Extras(orch, symbol, timeframe, view, candles, predictions, full)
    extras.patch(patch, state.extras)
    state.extras = extras.key
    return True


def chart_view(orch, symbol: str, timeframe: str, view: dict):
    """A whole figure and its state, for a first draw or a symbol switch."""
    size = window_size(orch.config, timeframe)
    candles = chart_series.tail(orch.store, symbol, timeframe, size)
    state = ChartState(symbol, timeframe, candles[-1].time if candles else None, len(candles), "")
    traces, bands, lines, outcomes = full_overlays(orch, symbol, timeframe, view, candles, state)
    figure = build_figure(candles, {}, timeframe, view["enabled"], symbol, bands, (traces, lines),
                          view_candles(orch.config, timeframe), outcomes)  # fmt: skip
    draw_indicators(orch, symbol, timeframe, view, candles, figure, state)
    return with_tools(figure), state


# ---- indicators ------------------------------------------------------------------------
def indicator_columns(orch, symbol: str, timeframe: str, specs, shown) -> list[list]:
    """Each indicator trace's values for the ``shown`` candles, computed with the warm-up
    candles before them."""
    if not specs or not shown:
        return [[] for _ in ind.series(specs)]
    frame = timeframe_ms(timeframe)
    start = min(indicators.warmup_start(s, shown[0].time, frame) for s in specs)
    candles = chart_series.with_warmup(orch.store, symbol, timeframe, list(shown), start)
    return ind.columns(specs, candles, len(shown))


def draw_indicators(orch, symbol, timeframe, view, candles, figure, state: ChartState) -> None:
    specs = view.get("indicators") or []
    state.indicators = ind.specs_key(specs)
    if specs:
        values = indicator_columns(orch, symbol, timeframe, specs, candles)
        ind.add_to_figure(figure, specs, [c.time for c in candles], values)


def patch_indicators(orch, symbol, timeframe, view, old: ChartState, new: ChartState, candles,
                     shown, patch) -> None:  # fmt: skip
    """The indicator traces follow the candle patch: the last value updated, new ones
    appended, the oldest dropped (``shown``: the candles drawn after this tick)."""
    specs = view.get("indicators") or []
    if not specs or not candles:
        return
    update, new_candles = split_update(old.last_time, candles)
    drop = old.count + len(new_candles) - new.count
    values = indicator_columns(orch, symbol, timeframe, specs, shown)
    ind.patch_values(patch, [c.time for c in shown], values,
                     update is not None and old.count > 0, len(new_candles), drop)  # fmt: skip


LABEL_MODES = ("none", "accepted", "all")


def make_view(
    enabled,
    selected=None,
    min_confidence=0.8,
    labels="all",
    visible=None,
    timeframe=None,
    filters=None,
    focus=None,
    indicator_settings=None,
) -> dict:
    """What the user chose to see: overlay toggles, selected span, pattern confidence floor,
    which labels (none / accepted / all), the visible time range, the minute chart's
    timeframe (1m, 5m, 15m, 1h), prediction filters (kind, source, version, confidence per
    kind, outcome)."""
    return {
        "enabled": list(enabled or []),
        "selected": selected,
        "min_confidence": float(min_confidence if min_confidence is not None else 0.8),
        "labels": labels if labels in LABEL_MODES else "all",
        "visible": list(visible) if visible else None,
        "timeframe": timeframe or chart_series.BASE,
        "filters": PredictionFilter.from_dict(filters),
        "focus": focus
        if isinstance(focus, dict) and {"start", "end", "label", "timeframe"} <= set(focus)
        else None,
        "indicators": chart_indicators(indicator_settings),
    }


def chart_indicators(settings) -> list:
    """The checked indicators of a chart's settings (the menu stores only drawable ones; a
    stale or edited store draws none rather than failing every tick)."""
    try:
        return ind.chart_specs(settings)
    except ValueError as exc:
        log.warning("indicator settings ignored: %s", exc)
        return []


def is_auto(chart_tf: str, view: dict) -> bool:
    """The minute chart when auto is chosen; the 1 s chart always (it has no choice of its own:
    its ten-minute window in 1 s candles, coarser ones when zoomed out over its history)."""
    if chart_tf == "1s":
        return True
    return chart_tf == chart_series.BASE and view["timeframe"] == chart_series.AUTO


def chart_block(orch, symbol: str, timeframe: str, view: dict) -> html.Div:
    visible = view["visible"] if timeframe == chart_series.BASE else None
    view = {**view, "visible": visible}  # a link's range is the minute chart's only
    if is_auto(timeframe, view):
        if visible:  # a deep link's range: what auto shows there (rollups past the buffer)
            figure, state_data = auto_tick(orch, symbol, timeframe, view, None)
        else:
            figure, state = chart_view(orch, symbol, timeframe, view)
            figure = auto_figure(figure, symbol, timeframe, timeframe, None)
            state_data = state.to_dict()
    else:
        shown = chart_series.display_timeframe(timeframe, view["timeframe"])
        figure, state = chart_view(orch, symbol, shown, view)
        state_data = state.to_dict()
        if visible:  # a deep link's range, within what this timeframe holds
            figure.update_xaxes(range=list(visible), autorange=False)
    return html.Div(
        [
            dcc.Graph(
                id=ids.chart(timeframe, symbol),
                figure=figure,
                config=GRAPH_CONFIG,
                responsive=True,
                className="chart-graph",
                # Header, replay bar and chart toolbar above: two charts share the rest.
                style={"height": "calc((100vh - 11.4rem) / 2)", "minHeight": "240px"},
            ),
            # Filled in by assets/chart_view.js: the candle under the cursor, back to live.
            html.Div(className="ohlcv-legend"),
            html.Button("Back to live ⇥", className="back-to-live btn btn-sm btn-info"),
            dcc.Store(id=ids.chart_state(timeframe, symbol), data=state_data),
            dcc.Store(id=ids.chart_visible(timeframe, symbol)),
            dcc.Store(id=ids.chart_drawn(timeframe, symbol)),
            indicator_menu(timeframe),
            settings_store(timeframe),
        ],
        id=ids.graph_dom_id(timeframe),
        className="chart-block",
    )


def layout() -> html.Div:
    toolbar = html.Div(
        [
            html.Span("Labels", className="me-1 text-muted"),
            dbc.RadioItems(
                id=ids.LABELS_SHOWN,
                options=[{"label": m, "value": m} for m in LABEL_MODES],
                value="all",
                inline=True,
                className="me-3",
            ),
            html.Span("Minute chart", className="me-1 text-muted"),
            dbc.RadioItems(
                id=ids.CHART_TIMEFRAME,
                options=list(chart_series.MINUTE_CHART_CHOICES),
                value=chart_series.AUTO,
                inline=True,
            ),
            *drawing_toolbar(),
        ],
        className="chart-toolbar d-flex align-items-center small",
    )
    return html.Div([toolbar, html.Div(id=ids.CHARTS, className="charts")])


def tick(orch, symbol: str, timeframe: str, view: dict, raw_state: dict | None):
    """One refresh of one chart: (figure or Patch or no_update, state)."""
    state = ChartState.from_dict(raw_state)
    if (
        state is None
        or state.symbol != symbol
        or state.timeframe != timeframe
        or state.indicators != ind.specs_key(view["indicators"])
    ):
        figure, new_state = chart_view(orch, symbol, timeframe, view)
        return figure, new_state.to_dict()
    size = window_size(orch.config, timeframe)
    # One read a tick: the candles patched, the price line and the overlays are of one moment
    # (a second read saw the forming candle's close move on: its line and label disagreed with
    # the candle until the next tick).
    recent = chart_series.tail(orch.store, symbol, timeframe, size)
    # The window no longer reaches the last candle drawn: those in between were not read.
    behind = state.last_time is not None and (not recent or recent[0].time > state.last_time)
    candles = [c for c in recent if state.last_time is None or c.time >= state.last_time]
    patch, new_state = (None, state) if behind else candle_patch(state, candles, size)
    if patch is None:
        figure, new_state = chart_view(orch, symbol, timeframe, view)
        return figure, new_state.to_dict()
    shown = recent[max(0, len(recent) - new_state.count) :]
    patch_indicators(orch, symbol, timeframe, view, state, new_state, candles, shown, patch)
    window_start = shown[0].time if shown else None
    redraw = new_state.drawn is None or overlay_key(orch, symbol, view) != state.overlay_key
    changed = orch.predictions.seq(symbol) != state.book_seq or (
        state.oldest is not None and window_start is not None and state.oldest < window_start
    )
    if not redraw and changed:
        redraw = not prediction_overlays(orch, symbol, timeframe, view, shown, new_state, patch)
    if redraw:
        traces, bands, lines, outcomes = full_overlays(
            orch, symbol, timeframe, view, shown, new_state
        )
        overlay_patch(patch, traces, bands + lines)
        patch_outcomes(patch, outcomes)
        if shown:  # the new shapes hold the line; its label on the axis moves with it
            price_patch(patch, shown[-1], price_decimals(shown[-1].close), None)
    elif candles and shown:
        new_state.price = price_patch(
            patch, shown[-1], price_decimals(shown[-1].close), state.price
        )
    if not candles and not redraw and not changed:
        return no_update, no_update
    return patch, new_state.to_dict()


@callbacks.callback(
    Output(ids.OVERLAYS, "options"),
    Input(ids.TICK, "n_intervals"),
    Input(ids.SYMBOL, "value"),
    Input(ids.PRED_FILTER, "data"),
    State(ids.OVERLAYS, "options"),
)
def layer_legend(_n, symbol, filters, shown):
    """The toggles' labels say when a layer holds predictions it can't draw (sent only when a
    label changes)."""
    orch = orchestrator()
    if symbol not in orch.symbols():
        return no_update
    _, predictions = orch.predictions.versioned_snapshot(symbol)
    options = layer_options(PredictionFilter.from_dict(filters).apply(predictions))
    return no_update if options == shown else options


@callbacks.callback(
    Output(ids.CHARTS, "children"),
    Input(ids.SYMBOL, "value"),
    State(ids.OVERLAYS, "value"),
    State(ids.PATTERN_MIN_CONF, "value"),
    State(ids.LABELS_SHOWN, "value"),
    State(ids.CHART_TIMEFRAME, "value"),
    State(ids.PRED_FILTER, "data"),
    Input(ids.LINK_VIEW, "data"),
)
def render_charts(symbol, enabled, min_confidence, labels, chart_tf, filters, link):
    orch = orchestrator()
    if symbol not in orch.symbols():
        return html.Div(f"Unknown symbol {symbol!r}", className="text-danger")
    # A deep link's range opens the minute chart once, as the page loads (charts/deep_link.py).
    opened = f"{ids.LINK_VIEW}.data" in ctx.triggered_prop_ids or not ctx.triggered_id
    visible = link["range"] if opened and link and link["symbol"] == symbol else None
    view = make_view(enabled, None, min_confidence, labels, visible, chart_tf, filters)
    return [chart_block(orch, symbol, tf, view) for tf in orch.timeframes(symbol)]


@callbacks.callback(
    Output(ids.chart(MATCH, MATCH), "figure"),
    Output(ids.chart_state(MATCH, MATCH), "data"),
    inputs={
        "_n": Input(ids.CHART_TICK, "data"),
        "enabled": Input(ids.OVERLAYS, "value"),
        "_version": Input(ids.ANN_VERSION, "data"),
        "selected": Input(ids.ANN_SELECTED, "data"),
        "min_confidence": Input(ids.PATTERN_MIN_CONF, "value"),
        "labels": Input(ids.LABELS_SHOWN, "value"),
        "chart_tf": Input(ids.CHART_TIMEFRAME, "value"),
        "filters": Input(ids.PRED_FILTER, "data"),
        "focus": Input(ids.REVIEW_FOCUS, "data"),
        "indicator_settings": Input(ids.indicator_settings(MATCH), "data"),
    },
    state={
        "state": State(ids.chart_state(MATCH, MATCH), "data"),
        "visible": State(ids.chart_visible(MATCH, MATCH), "data"),
    },
    prevent_initial_call=True,
)
def refresh_chart(*, _n, enabled, _version, selected, min_confidence, labels, chart_tf, filters,
                  focus, indicator_settings, state, visible):  # fmt: skip
    # The chart's own symbol (its id's), not the dropdown's: a tick sent as the symbol changes
    # draws the chart it came from, and Dash drops the answer once that chart is gone.
    chart = ctx.outputs_list[0]["id"]
    orch = orchestrator()
    if chart["symbol"] not in orch.symbols():  # never on the page (render_charts): a forged id
        return no_update, no_update
    view = make_view(enabled, selected, min_confidence, labels, visible, chart_tf, filters, focus,
                     indicator_settings)  # fmt: skip
    figure, state = chart_refresh(orch, chart["tf"], chart["symbol"], view, state)
    return unchecked.as_dict(figure), state


def chart_refresh(orch, chart_tf_id: str, symbol: str, view: dict, raw_state: dict | None):
    """One tick of the chart ``chart_tf_id`` ("1m" or "1s"): (figure or Patch, state)."""
    if is_auto(chart_tf_id, view):
        return auto_tick(orch, symbol, chart_tf_id, view, raw_state)
    timeframe = chart_series.display_timeframe(chart_tf_id, view["timeframe"])
    return tick(orch, symbol, timeframe, view, raw_state)


# ---- auto timeframe --------------------------------------------------------------------
# The minute chart in "auto" shows the finest candle size (1m, 5m, 15m, 1h, 4h, 1d) with at
# most AUTO_SLOTS candles in view; the 1 s chart does the same over its stored 1 s history
# (1s, 5s, 15s, 1m). At 1 m over the buffered window it is the live chart above;
# zoomed out or panned back past the buffer it loads only the visible range and an eighth of
# its width either side (at most ~2,500 candles) from the rollups, and keeps following the
# newest candle while that range reaches it.
AUTO_SLOTS = 2000
AUTO_MARGIN = 0.125
FAR_FUTURE = 2**53


def auto_title(symbol: str, timeframe: str) -> str:
    return f"{escape(symbol)} · {timeframe} candles · auto"


def auto_figure(figure, symbol: str, base: str, timeframe: str, visible) -> object:
    """A whole figure made an auto one: one uirevision for every candle size (the browser keeps
    its zoom when the size changes), the size in the title, the view where the user left it."""
    if not isinstance(figure, go.Figure):  # a Patch or no_update: the figure keeps its title
        return figure
    # Per chart (its base): the browser keeps each chart's view under its uirevision.
    figure.update_layout(uirevision=f"{symbol}|{base}|auto",
                         title_text=auto_title(symbol, timeframe))  # fmt: skip
    if visible:
        figure.update_xaxes(range=list(visible), autorange=False)
    return figure


def auto_timeframe(base: str, visible) -> str:
    ladder = rollups.ladder(base)
    if not visible:
        return base
    picked = rollups.pick_timeframe(ladder, int(visible[0]), int(visible[1]), AUTO_SLOTS)
    return picked or ladder[-1]


def auto_tick(orch, symbol: str, base: str, view: dict, raw_state: dict | None):
    """One refresh of the minute chart in auto: (figure or Patch or no_update, state)."""
    visible = view.get("visible")
    timeframe = auto_timeframe(base, visible)
    state = ChartState.from_dict(raw_state)
    held = chart_series.tail(orch.store, symbol, base, window_size(orch.config, base))
    # A chart showing its whole buffer (the 1 s chart's ten minutes) starts before its first
    # candle, and the buffer moves on a candle or two before the browser reports its range:
    # an eighth of the view's width of slack keeps such a chart on the live path instead of
    # flipping to a loaded range (a whole figure) every tick.
    slack = max(timeframe_ms(base), (visible[1] - visible[0]) * AUTO_MARGIN) if visible else 0
    in_buffer = not visible or (held and visible[0] >= held[0].time - slack)
    if timeframe == base and in_buffer:
        if state is not None and state.window is not None:
            raw_state = None  # back from a loaded range: the buffer's figure, drawn whole
        figure, new_state = tick(orch, symbol, base, view, raw_state)
        return auto_figure(figure, symbol, base, base, visible), new_state
    return ranged_tick(orch, symbol, base, timeframe, view, state)


def _fits(state: ChartState | None, symbol: str, timeframe: str, visible) -> bool:
    if state is None or state.window is None:
        return False
    start, end = state.window
    return (
        state.symbol == symbol
        and state.timeframe == timeframe
        and start <= visible[0]
        and (end is None or visible[1] <= end)
    )


def ranged_figure(orch, symbol: str, base: str, timeframe: str, view: dict):
    """The whole figure of the visible range (and its margins) at ``timeframe``."""
    lo, hi = (int(v) for v in view["visible"])
    pad = int((hi - lo) * AUTO_MARGIN)
    newest = orch.store.latest(symbol, base)
    live = newest is not None and hi + pad >= newest.time
    window = [lo - pad, None if live else hi + pad]
    candles = orch.store.view(symbol, base, timeframe, window[0], window[1] or FAR_FUTURE)
    state = ChartState(symbol, timeframe, candles[-1].time if candles else None, len(candles),
                       "", window=window)  # fmt: skip
    traces, bands, lines, outcomes = full_overlays(orch, symbol, timeframe, view, candles, state)
    figure = build_figure(candles, {}, timeframe, view["enabled"], symbol, bands, (traces, lines),
                          None, outcomes)  # fmt: skip
    draw_indicators(orch, symbol, timeframe, view, candles, figure, state)
    figure = auto_figure(with_tools(figure), symbol, base, timeframe, view["visible"])
    if not live:  # Home must ask for the live figure (assets/chart_view.js isPast)
        figure.update_layout(meta={"past": True})
    in_view = [c for c in candles if lo <= c.time <= hi]
    if in_view:
        figure.update_layout(yaxis={"range": price_range(in_view), "autorange": False})
    return figure, state


def ranged_tick(orch, symbol, base, timeframe, view, state: ChartState | None):
    if not _fits(state, symbol, timeframe, view["visible"]) or state.indicators != ind.specs_key(
        view["indicators"]
    ):
        figure, state = ranged_figure(orch, symbol, base, timeframe, view)
        return figure, state.to_dict()
    patch, new_state, candles = Patch(), state, []
    if state.window[1] is None:  # following live: the newest bucket and any after it
        since = state.last_time if state.last_time is not None else state.window[0]
        candles = orch.store.view(symbol, base, timeframe, since, FAR_FUTURE)
        patch, new_state = candle_patch(state, candles, AUTO_SLOTS * 2)
        if patch is None:
            figure, state = ranged_figure(orch, symbol, base, timeframe, view)
            return figure, state.to_dict()
        if candles and view["indicators"]:
            shown = orch.store.view(symbol, base, timeframe, state.window[0], FAR_FUTURE)
            patch_indicators(orch, symbol, timeframe, view, state, new_state, candles,
                             shown[-new_state.count :], patch)  # fmt: skip
    redraw = overlay_key(orch, symbol, view) != state.overlay_key
    redraw = redraw or orch.predictions.seq(symbol) != state.book_seq
    if redraw:
        start, end = new_state.window
        shown = orch.store.view(symbol, base, timeframe, start, end or FAR_FUTURE)
        traces, bands, lines, outcomes = full_overlays(
            orch, symbol, timeframe, view, shown, new_state
        )
        overlay_patch(patch, traces, bands + lines)
        patch_outcomes(patch, outcomes)
        if shown:
            price_patch(patch, shown[-1], price_decimals(shown[-1].close), None)
    elif candles:
        new_state.price = price_patch(
            patch, candles[-1], price_decimals(candles[-1].close), state.price
        )
    if not candles and not redraw:
        return no_update, no_update
    return patch, new_state.to_dict()
