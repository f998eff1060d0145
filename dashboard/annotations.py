"""The Annotate panel: label a selected range, edit/delete/undo spans, review TA-Lib spans,
filter the span list and jump the chart to a span, and run auto-labelling as a job."""

from __future__ import annotations

from dash import (
    ALL,
    Input,
    Output,
    Patch,
    State,
    ctx,
    html,
    no_update,
)

from core.candles import bucket_start, timeframe_ms
from core.inference import NoModel
from core.timefmt import format_ms, parse_time
from dashboard import ids
from dashboard.annotations_layout import layout, stores  # noqa: F401  (the panel's entry points)
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from dashboard.live_charts import window_size
from dashboard.span_review import (
    MAX_TABLE_ROWS,
    bulk_label,
    bulk_question,
    count_text,
    next_row,
    readable_times,
    selected_row_styles,
)
from training.spans import Span, SpanError

callbacks = CallbackSet()


# ---- pure helpers ----------------------------------------------------------------------
def table_rows(spans: list[Span]) -> list[dict]:
    return [
        {
            "id": s.id,
            "start_text": format_ms(s.start),
            "end_text": short_end(s.start, s.end),
            "timeframe": s.timeframe,
            "label": s.label,
            "source": s.source,
            "status": s.status,
            "confidence": "" if s.confidence is None else round(s.confidence, 2),
        }
        for s in spans
    ]


def short_end(start: int, end: int) -> str:
    """The end as the time of day when it falls on the start's date (keeps the list narrow)."""
    start_text, end_text = format_ms(start), format_ms(end)
    return end_text[11:] if end_text[:10] == start_text[:10] else end_text


def span_at(spans: list[Span], time_ms: int) -> Span | None:
    """The narrowest span covering a clicked candle (the most specific one)."""
    covering = [s for s in spans if s.start <= time_ms <= s.end and s.status != "rejected"]
    return min(covering, key=lambda s: s.end - s.start) if covering else None


def message(text: str, color: str = "success"):
    return text, True, color


# ---- callbacks -------------------------------------------------------------------------
@callbacks.callback(
    Output(ids.ANN_SELECTION, "data"),
    Output(ids.ANN_SELECTION_TEXT, "children"),
    Input(ids.chart(ALL), "selectedData"),
    State(ids.SYMBOL, "value"),
    prevent_initial_call=True,
)
def on_range_selected(_selections, symbol):
    trigger = ctx.triggered_id
    selected = ctx.triggered[0]["value"] if ctx.triggered else None
    if not trigger or not selected or "range" not in selected:
        return None, ""
    timeframe = trigger["tf"]
    x0, x1 = sorted(parse_time(v) for v in selected["range"]["x"][:2])
    frame = timeframe_ms(timeframe)
    times = orchestrator().candle_times(symbol, timeframe, bucket_start(x0, frame), x1) or []
    if not times:
        return None, "No closed candles in the selected range."
    selection = {"symbol": symbol, "timeframe": timeframe, "start": times[0], "end": times[-1]}
    span = f"{format_ms(times[0])} → {format_ms(times[-1])}"
    text = f"{symbol} {timeframe}: {span} ({len(times)} candles)"
    return selection, text


@callbacks.callback(
    Output(ids.ANN_SELECTED, "data"),
    Output(ids.chart(ALL), "figure", allow_duplicate=True),
    Input(ids.chart(ALL), "clickData"),
    Input(ids.ANN_TABLE, "active_cell"),
    State(ids.SYMBOL, "value"),
    State(ids.chart(ALL), "id"),
    prevent_initial_call=True,
)
def on_span_picked(_clicks, active_cell, symbol, chart_ids):
    """Click a band on a chart, or a row of the list (which also moves the chart to it)."""
    orch = orchestrator()
    unchanged = [no_update] * len(chart_ids)
    trigger = ctx.triggered_id
    if trigger == ids.ANN_TABLE:
        if not active_cell or not active_cell.get("row_id"):
            return no_update, unchanged
        try:
            span = orch.annotations.get(active_cell["row_id"])
        except SpanError:
            return None, unchanged
        return span.id, jumps(orch, span, chart_ids)
    clicked = ctx.triggered[0]["value"] if ctx.triggered else None
    if not clicked or not clicked.get("points"):
        return no_update, unchanged
    timeframe = trigger["tf"]
    time_ms = bucket_start(parse_time(clicked["points"][0]["x"]), timeframe_ms(timeframe))
    spans = orch.annotations.list(symbol=symbol, timeframe=timeframe, start=time_ms, end=time_ms)
    span = span_at(spans, time_ms)
    return (span.id if span else None), unchanged


def before_chart(orch, span: Span) -> bool:
    """True when the span ended before the first candle its chart holds (e.g. an auto-label
    from hours ago on the 10-minute 1 s chart): there is nothing to jump to."""
    shown = orch.store.tail(span.symbol, span.timeframe, window_size(orch.config, span.timeframe))
    return not shown or span.end < shown[0].time


def jump_patch(orch, span: Span) -> Patch:
    """Move the chart's view to a span with some context either side."""
    frame = timeframe_ms(span.timeframe)
    pad = max(20 * frame, (span.end - span.start) * 2)
    x0, x1 = span.start - pad, span.end + frame + pad
    candles = orch.store.history(span.symbol, span.timeframe, x0, x1)
    patch = Patch()
    # The price axis "matches" the volume axis (x2) below it, so both get the range.
    for axis in ("xaxis", "xaxis2"):
        patch["layout"][axis]["range"] = [x0, x1]
        patch["layout"][axis]["autorange"] = False
    if not candles.empty:
        low, high = float(candles["low"].min()), float(candles["high"].max())
        margin = (high - low) * 0.08 or high * 0.001
        patch["layout"]["yaxis"]["range"] = [low - margin, high + margin]
        patch["layout"]["yaxis"]["autorange"] = False
    return patch


@callbacks.callback(
    Output(ids.ANN_SELECTED_TEXT, "children"),
    Output(ids.ANN_EDIT_LABEL, "value"),
    Output(ids.ANN_EDIT_START, "value"),
    Output(ids.ANN_EDIT_END, "value"),
    Input(ids.ANN_SELECTED, "data"),
    Input(ids.ANN_VERSION, "data"),
)
def show_selected(span_id, _version):
    if not span_id:
        return "Click a band on the chart or a row below.", "", "", ""
    try:
        span = orchestrator().annotations.get(span_id)
    except SpanError:
        return "The selected span no longer exists.", "", "", ""
    conf = "" if span.confidence is None else f" · confidence {span.confidence:.2f}"
    text = (
        f"{span.label} · {span.source} · {span.status}{conf} · {span.symbol} "
        f"{span.timeframe}" + (f" · {span.note}" if span.note else "")
    )
    if before_chart(orchestrator(), span):
        text += " · before the chart's window: review it here"
    return text, span.label, format_ms(span.start), format_ms(span.end)


ACTIONS = (
    (ids.ANN_SAVE, "n_clicks"),
    (ids.ANN_UPDATE, "n_clicks"),
    (ids.ANN_DELETE, "n_clicks"),
    (ids.ANN_ACCEPT, "n_clicks"),
    (ids.ANN_REJECT, "n_clicks"),
    (ids.ANN_NEXT, "n_clicks"),
    (ids.ANN_UNDO, "n_clicks"),
    (ids.ANN_BULK_ACCEPT_CONFIRM, "submit_n_clicks"),
    (ids.ANN_BULK_REJECT_CONFIRM, "submit_n_clicks"),
    (ids.ANN_FROM_MODEL, "n_clicks"),
)
PAGE_SIZE = 10


def jumps(orch, span: Span | None, chart_ids: list[dict]) -> list:
    """Per chart: a Patch moving it to ``span``, or no_update."""
    shown = span is not None and not before_chart(orch, span)
    return [jump_patch(orch, span) if shown and c["tf"] == span.timeframe else no_update
            for c in chart_ids]  # fmt: skip


@callbacks.callback(
    Output(ids.ANN_MESSAGE, "children"),
    Output(ids.ANN_MESSAGE, "is_open"),
    Output(ids.ANN_MESSAGE, "color"),
    Output(ids.ANN_VERSION, "data", allow_duplicate=True),
    Output(ids.ANN_SELECTED, "data", allow_duplicate=True),
    Output(ids.ANN_TABLE, "page_current"),
    Output(ids.chart(ALL), "figure", allow_duplicate=True),
    *[Input(a, prop) for a, prop in ACTIONS],
    State(ids.ANN_SELECTION, "data"),
    State(ids.ANN_LABEL, "value"),
    State(ids.ANN_NOTE, "value"),
    State(ids.ANN_SELECTED, "data"),
    State(ids.ANN_EDIT_LABEL, "value"),
    State(ids.ANN_EDIT_START, "value"),
    State(ids.ANN_EDIT_END, "value"),
    State(ids.ANN_TABLE, "derived_virtual_data"),
    State(ids.SYMBOL, "value"),
    State(ids.PATTERN_MIN_CONF, "value"),
    State(ids.ANN_FILTER_LABEL, "value"),
    State(ids.ANN_FILTER_SOURCE, "value"),
    State(ids.ANN_FILTER_STATUS, "value"),
    State(ids.chart(ALL), "id"),
    prevent_initial_call=True,
)
def on_action(*args):
    (selection, label, note, selected, edit_label, edit_start, edit_end, shown, symbol,
     min_confidence, f_label, f_source, f_status, chart_ids) = args[len(ACTIONS):]  # fmt: skip
    orch = orchestrator()
    store = orch.annotations
    action = ctx.triggered_id
    unchanged = [no_update] * len(chart_ids)

    def done(text, color="success", selected_id=no_update, page=no_update, charts=unchanged):
        return (*message(text, color), store.version, selected_id, page, charts)

    try:
        if action == ids.ANN_FROM_MODEL:
            return (*review_model_spans(orch, symbol, min_confidence), store.version, no_update,
                    no_update, unchanged)  # fmt: skip
        if action == ids.ANN_SAVE:
            if not selection:
                raise SpanError("select a range on a chart first (box-select tool)")
            span = store.create(
                Span(
                    None,
                    selection["symbol"],
                    selection["timeframe"],
                    selection["start"],
                    selection["end"],
                    label or "",
                    "human",
                    "accepted",
                    note=note or "",
                    author=orch.config.annotations.author,
                )
            )
            return done(f"Saved {span.label} ({span.symbol} {span.timeframe})", selected_id=span.id)
        if action == ids.ANN_UNDO:
            return done(store.undo() or "Nothing to undo", "info")
        if action in (ids.ANN_BULK_ACCEPT_CONFIRM, ids.ANN_BULK_REJECT_CONFIRM):
            status = "accepted" if action == ids.ANN_BULK_ACCEPT_CONFIRM else "rejected"
            matching = store.list(symbol=symbol, label=f_label, source=f_source, status=f_status)
            count = store.set_status([s.id for s in matching], status)
            return done(f"Marked {count:,} spans {status}")
        if action == ids.ANN_NEXT:
            following, index = next_row(shown or [], selected, True)
            if following is None:
                return done("No more rows in the list.", "info")
            return done("Next row", "info", following, index // PAGE_SIZE,
                        jumps(orch, store.get(following), chart_ids))  # fmt: skip
        if not selected:
            raise SpanError("select a span first: click its band on the chart or its row")
        if action == ids.ANN_DELETE:
            span = store.delete(selected)
            return done(f"Deleted {span.label} (Undo brings it back)", selected_id=None)
        if action in (ids.ANN_ACCEPT, ids.ANN_REJECT):
            status = "accepted" if action == ids.ANN_ACCEPT else "rejected"
            span = store.update(selected, status=status)
            # Move on, so a queue is reviewed with two keys; the row leaves a status filter.
            following, index = next_row(shown or [], selected, f_status in (None, status))
            if following is None:
                return done(f"{span.label}: {status}. That was the last row.", selected_id=None)
            return done(f"{span.label}: {status}", "success", following, index // PAGE_SIZE,
                        jumps(orch, store.get(following), chart_ids))  # fmt: skip
        span = store.update(
            selected,
            label=(edit_label or "").strip(),
            start=parse_time(edit_start, "start"),
            end=parse_time(edit_end, "end"),
        )
        return done(f"Updated {span.label}")
    except (SpanError, ValueError) as exc:
        return (*message(readable_times(str(exc)), "danger"), no_update, no_update, no_update,
                unchanged)  # fmt: skip


def review_model_spans(orch, symbol: str, min_confidence) -> tuple:
    from core.pending_labels import model_spans_to_review

    found = added = 0
    try:
        for timeframe in orch.live_patterns.timeframes:
            result = model_spans_to_review(orch, symbol, timeframe, None, min_confidence or 0.0)
            found, added = found + result["found"], added + result["added"]
    except NoModel as exc:
        return message(str(exc), "warning")
    if not found:
        return message("The champion has predicted no span at this confidence yet.", "info")
    return message(
        f"{added} model spans to review ({found - added} already sent); "
        "filter the list by source 'model'"
    )


@callbacks.callback(
    Output(ids.ANN_TABLE, "data"),
    Output(ids.ANN_TABLE, "tooltip_data"),
    Output(ids.ANN_TABLE, "active_cell"),
    Output(ids.ANN_TABLE, "selected_cells"),
    Output(ids.ANN_COUNT, "children"),
    Output(ids.ANN_BULK_ACCEPT, "children"),
    Output(ids.ANN_BULK_REJECT, "children"),
    Output(ids.ANN_BULK_ACCEPT_CONFIRM, "message"),
    Output(ids.ANN_BULK_REJECT_CONFIRM, "message"),
    Output(ids.ANN_FILTER_LABEL, "options"),
    Output(ids.ANN_LABELS_LIST, "children"),
    Input(ids.ANN_VERSION, "data"),
    Input(ids.ANN_FILTER_LABEL, "value"),
    Input(ids.ANN_FILTER_SOURCE, "value"),
    Input(ids.ANN_FILTER_STATUS, "value"),
    Input(ids.SYMBOL, "value"),
)
def refresh_table(_version, label, source, status, symbol):
    """New rows clear the table's active cell: a stale one would keep pointing at the old
    position, so clicking another row would fire nothing."""
    orch = orchestrator()
    spans = orch.annotations.list(symbol=symbol, label=label, source=source, status=status)
    spans.sort(key=lambda s: s.start, reverse=True)
    labels = sorted(set(orch.annotations.labels()) | set(orch.config.annotations.labels))
    rows = table_rows(spans[:MAX_TABLE_ROWS])
    filters = {"label": label, "source": source, "status": status}
    return (
        rows,
        [{"label": row["label"]} for row in rows],
        None,
        [],
        count_text(len(rows), len(spans)),
        bulk_label("Accept", len(spans)),
        bulk_label("Reject", len(spans)),
        bulk_question("Accept", len(spans), filters),
        bulk_question("Reject", len(spans), filters),
        labels,
        [html.Option(value=v) for v in labels],
    )


@callbacks.callback(
    Output(ids.ANN_TABLE, "style_data_conditional"), Input(ids.ANN_SELECTED, "data")
)
def mark_selected_row(span_id):
    return selected_row_styles(span_id)


@callbacks.callback(
    Output(ids.ANN_VERSION, "data"),
    Input(ids.TICK, "n_intervals"),
    State(ids.ANN_VERSION, "data"),
)
def follow_version(_n, shown):
    """Writes from jobs and other processes (the CLI) reach the page within a tick."""
    current = orchestrator().annotations.version
    return no_update if current == shown else current


@callbacks.callback(
    Output(ids.AUTO_JOB, "data"),
    Output(ids.AUTO_STATUS, "children", allow_duplicate=True),
    Input(ids.AUTO_RUN, "n_clicks"),
    Input(ids.AUTO_CANCEL, "n_clicks"),
    State(ids.SYMBOL, "value"),
    State(ids.AUTO_TF, "value"),
    State(ids.AUTO_HOURS, "value"),
    State(ids.AUTO_PATTERNS, "value"),
    State(ids.AUTO_JOB, "data"),
    prevent_initial_call=True,
)
def on_autolabel(_run, _cancel, symbol, timeframe, hours, patterns, job_id):
    orch = orchestrator()
    if ctx.triggered_id == ids.AUTO_CANCEL:
        if job_id and orch.jobs.cancel(job_id):
            return no_update, "Cancelling…"
        return no_update, "No auto-label job is running."
    if not hours or float(hours) <= 0:
        return no_update, "Hours back must be a number > 0."
    try:
        job = orch.start_autolabel(symbol, timeframe, float(hours), patterns or None)
    except Exception as exc:  # busy, unknown series: say so in the panel
        return no_update, str(exc)
    return job.id, f"Started {job.title}"


@callbacks.callback(
    Output(ids.AUTO_PROGRESS, "value"),
    Output(ids.AUTO_PROGRESS, "label"),
    Output(ids.AUTO_STATUS, "children"),
    Input(ids.TICK, "n_intervals"),
    State(ids.AUTO_JOB, "data"),
)
def autolabel_progress(_n, job_id):
    job = orchestrator().jobs.get(job_id) if job_id else None
    if job is None:
        return no_update, no_update, no_update
    pct = round(job.progress * 100)
    if job.status == "done":
        result = job.result or {}
        text = (
            f"Done: {result.get('found', 0)} patterns found, {result.get('added', 0)} new "
            "pending spans to review."
        )
    elif job.status == "running":
        text = f"{job.title}: {job.stage}"
    else:
        text = f"{job.title}: {job.status}. {job.message}"
    return pct, f"{pct}%", text
