"""The Annotate panel: the selected range, the picked span (from the chart or the list), the
filtered span list, jumps of the chart to a span, and auto-labelling as a job. What its buttons
do (save, edit, review, undo...) is in :mod:`dashboard.panels.annotation_actions`."""

from __future__ import annotations

import hashlib
import json

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

from core.candles import bucket_start, is_timeframe, timeframe_ms
from core.spans import Span, SpanError
from core.timefmt import format_ms, parse_time
from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from dashboard.panels.annotations_layout import layout, stores  # noqa: F401  (the panel's entry points)
from dashboard.panels.charts.live_charts import window_size
from dashboard.panels.span_review import (
    MAX_TABLE_ROWS,
    bulk_label,
    bulk_question,
    count_text,
    selected_row_styles,
)
from dashboard.people import acting_name, denied

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
            "by": s.author + (f" ✓{s.reviewed_by}" if s.reviewed_by else ""),
        }
        for s in spans
    ]


def by_person(spans: list[Span], person: str | None) -> list[Span]:
    """Spans a person saved or reviewed."""
    if not person:
        return spans
    return [s for s in spans if person in (s.author, s.reviewed_by)]


def short_end(start: int, end: int) -> str:
    """The end as the time of day when it falls on the start's date (keeps the list narrow)."""
    start_text, end_text = format_ms(start), format_ms(end)
    return end_text[11:] if end_text[:10] == start_text[:10] else end_text


def span_at(spans: list[Span], time_ms: int) -> Span | None:
    """The narrowest span covering a clicked candle (the most specific one)."""
    covering = [s for s in spans if s.start <= time_ms <= s.end and s.status != "rejected"]
    return min(covering, key=lambda s: s.end - s.start) if covering else None


def shown_timeframe(states, state_ids, chart_tf: str) -> str:
    """The candle size the chart with component timeframe ``chart_tf`` shows now (its state
    says), else ``chart_tf``."""
    for state, state_id in zip(states or [], state_ids or [], strict=False):
        shown = (state or {}).get("timeframe")
        if (state_id or {}).get("tf") == chart_tf and is_timeframe(shown):
            return shown
    return chart_tf


def message(text: str, color: str = "success"):
    return text, True, color


# ---- callbacks -------------------------------------------------------------------------
@callbacks.callback(
    Output(ids.ANN_SELECTION, "data"),
    Output(ids.ANN_SELECTION_TEXT, "children"),
    Input(ids.chart(ALL, ALL), "selectedData"),
    State(ids.chart_state(ALL, ALL), "data"),
    State(ids.chart_state(ALL, ALL), "id"),
    prevent_initial_call=True,
)
def on_range_selected(_selections, states, state_ids):
    # A busy page merges calls: the drag's selection may come with another chart's change (a
    # redraw's deselect on the ticking 1 s chart), in any order. The drag is the one with a range.
    dragged = [(ctx.triggered_prop_ids[t["prop_id"]], t["value"]) for t in ctx.triggered
               if isinstance(t.get("value"), dict) and "range" in t["value"]]  # fmt: skip
    if not dragged:
        return None, ""
    chart, selected = dragged[-1]
    symbol, timeframe = chart["symbol"], chart["tf"]  # the chart dragged on, not the dropdown
    x0, x1 = sorted(parse_time(v) for v in selected["range"]["x"][:2])
    # A drag on aggregated candles (5 m, auto's 4 h ...) covers the whole buckets it touches,
    # stored on the chart's own timeframe.
    shown = shown_timeframe(states, state_ids, timeframe)
    frame = timeframe_ms(shown)
    if shown != timeframe:
        x1 = bucket_start(x1, frame) + frame - 1
    times = orchestrator().candle_times(symbol, timeframe, bucket_start(x0, frame), x1) or []
    if not times:
        return None, "No closed candles in the selected range."
    selection = {"symbol": symbol, "timeframe": timeframe, "start": times[0], "end": times[-1]}
    span = f"{format_ms(times[0])} → {format_ms(times[-1])}"
    text = f"{symbol} {timeframe}: {span} ({len(times)} candles)"
    return selection, text


@callbacks.callback(
    Output(ids.ANN_SELECTED, "data"),
    Output(ids.chart(ALL, ALL), "figure", allow_duplicate=True),
    Input(ids.chart(ALL, ALL), "clickData"),
    Input(ids.ANN_TABLE, "active_cell"),
    State(ids.chart(ALL, ALL), "id"),
    prevent_initial_call=True,
)
def on_span_picked(_clicks, active_cell, chart_ids):
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
    symbol, timeframe = trigger["symbol"], trigger["tf"]
    time_ms = bucket_start(parse_time(clicked["points"][0]["x"]), timeframe_ms(timeframe))
    spans = orch.annotations.list(symbol=symbol, timeframe=timeframe, start=time_ms, end=time_ms)
    span = span_at(spans, time_ms)
    return (span.id if span else None), unchanged


def before_chart(orch, span: Span) -> bool:
    """True when the span ended before the first candle its chart holds (e.g. an auto-label
    from hours ago on the 10-minute 1 s chart): there is nothing to jump to."""
    shown = orch.store.tail(span.symbol, span.timeframe, window_size(orch.config, span.timeframe))
    return not shown or span.end < shown[0].time


def jump_range(span: Span) -> tuple[int, int]:
    """The view a jump to ``span`` opens: the span with some context either side."""
    frame = timeframe_ms(span.timeframe)
    pad = max(20 * frame, (span.end - span.start) * 2)
    return span.start - pad, span.end + frame + pad


def jump_patch(orch, span: Span) -> Patch:
    """Move the chart's view to a span with some context either side."""
    x0, x1 = jump_range(span)
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


def jumps(orch, span: Span | None, chart_ids: list[dict]) -> list:
    """Per chart: a Patch moving the chart of ``span``'s symbol and timeframe to it, or
    no_update (another symbol's span, from a list not yet redrawn after a switch, moves none)."""
    shown = span is not None and not before_chart(orch, span)
    return [jump_patch(orch, span)
            if shown and (c["tf"], c["symbol"]) == (span.timeframe, span.symbol) else no_update
            for c in chart_ids]  # fmt: skip


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
    Output(ids.ANN_FILTER_PERSON, "options"),
    Output(ids.ANN_ROWS_KEY, "data"),
    inputs={
        "_version": Input(ids.ANN_VERSION, "data"),
        "label": Input(ids.ANN_FILTER_LABEL, "value"),
        "source": Input(ids.ANN_FILTER_SOURCE, "value"),
        "status": Input(ids.ANN_FILTER_STATUS, "value"),
        "symbol": Input(ids.SYMBOL, "value"),
        "person": Input(ids.ANN_FILTER_PERSON, "value"),
    },
    # A fingerprint of the rows shown, not the rows: the page would send back up to 2,000 rows
    # (about 400 KB) with every refresh.
    state={"shown": State(ids.ANN_ROWS_KEY, "data")},
)
def refresh_table(_version, label, source, status, symbol, person=None, shown=None):
    """New rows clear the table's active cell: a stale one would keep pointing at the old
    position, so clicking another row would fire nothing. The same rows keep it, and the row
    a person clicked while this refresh was on its way: Dash holds that click's callback until
    this one answers, and a cleared cell would answer it with nothing."""
    orch = orchestrator()
    spans = orch.annotations.list(symbol=symbol, label=label, source=source, status=status)
    people = sorted({p for s in spans for p in (s.author, s.reviewed_by) if p})
    spans = by_person(spans, person)
    spans.sort(key=lambda s: s.start, reverse=True)
    labels = sorted(set(orch.annotations.labels()) | set(orch.config.annotations.labels))
    rows = table_rows(spans[:MAX_TABLE_ROWS])
    filters = {"label": label, "source": source, "status": status}
    key = hashlib.sha1(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()
    same = key == shown
    return (
        no_update if same else rows,
        no_update if same else [{"label": row["label"]} for row in rows],
        no_update if same else None,
        no_update if same else [],
        count_text(len(rows), len(spans)),
        bulk_label("Accept", len(spans)),
        bulk_label("Reject", len(spans)),
        bulk_question("Accept", len(spans), filters),
        bulk_question("Reject", len(spans), filters),
        labels,
        [html.Option(value=v) for v in labels],
        people,
        no_update if same else key,
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
    inputs={
        "_run": Input(ids.AUTO_RUN, "n_clicks"),
        "_cancel": Input(ids.AUTO_CANCEL, "n_clicks"),
    },
    state={
        "symbol": State(ids.SYMBOL, "value"),
        "timeframe": State(ids.AUTO_TF, "value"),
        "hours": State(ids.AUTO_HOURS, "value"),
        "patterns": State(ids.AUTO_PATTERNS, "value"),
        "job_id": State(ids.AUTO_JOB, "data"),
        "user": State(ids.USER_NAME, "value"),
    },
    prevent_initial_call=True,
)
def on_autolabel(*, _run, _cancel, symbol, timeframe, hours, patterns, job_id, user=None):
    refused = denied("auto-label")
    if refused:
        return no_update, refused
    orch = orchestrator()
    if ctx.triggered_id == ids.AUTO_CANCEL:
        if job_id and orch.jobs.cancel(job_id):
            return no_update, "Cancelling…"
        return no_update, "No auto-label job is running."
    if not hours or float(hours) <= 0:
        return no_update, "Hours back must be a number > 0."
    who = acting_name(user)
    try:
        job = orch.start_autolabel(symbol, timeframe, float(hours), patterns or None, who)
    except Exception as exc:  # busy, unknown series: say so in the panel
        return no_update, str(exc)
    orch.audit.record(who, "auto-label started", job.title)
    return job.id, f"Started {job.title}"


@callbacks.callback(
    Output(ids.AUTO_PROGRESS, "value"),
    Output(ids.AUTO_PROGRESS, "label"),
    Output(ids.AUTO_STATUS, "children"),
    Input(ids.AUTO_TICK, "data"),
    State(ids.AUTO_JOB, "data"),
    prevent_initial_call=True,
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
