"""The Review tab: where models disagree (one click on a row jumps the chart to it), and the
uncertainty queue (the champion pattern classifier's spans, least sure first) with confirm,
correct and dismiss, as in the Annotate panel's review loop."""

from __future__ import annotations

import uuid

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dash_table, dcc, html, no_update
from dash.exceptions import PreventUpdate

from core.candles import timeframe_ms
from core.spans import Span, SpanError
from core.timefmt import format_ms
from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from dashboard.figures.theme import DROPDOWN_TEXT, TABLE_STYLE
from dashboard.panels.annotations import jumps, short_end
from dashboard.panels.charts.live_charts import window_size
from dashboard.people import acting_name, denied
from predictions.disagreements import disagreements
from serving.pattern_inference import NoModel
from serving.uncertainty import apply_verdict, queue, reviewed_today

callbacks = CallbackSet()

# Long details wrap inside the side panel instead of widening it.
WRAPPED = {
    **TABLE_STYLE,
    "style_table": {"overflowX": "auto", "maxWidth": "100%"},
    "style_cell": {**TABLE_STYLE["style_cell"], "whiteSpace": "normal", "height": "auto"},
}
TYPES = {"cnn_vs_transformer": "CNN vs transformer", "dqn_vs_both": "DQN vs both",
         "pattern_vs_human": "pattern vs human"}  # fmt: skip


def _button(label, id_, color="secondary"):
    return dbc.Button(label, id=id_, color=color, size="sm", className="me-1 mb-1")


def layout(labels: tuple[str, ...]) -> dbc.Tab:
    body = html.Div(
        [
            html.Div(["Disagreements ", _button("Refresh", ids.REVIEW_REFRESH)],
                     className="fw-bold"),
            dash_table.DataTable(
                id=ids.REVIEW_DISAGREE,
                columns=[{"name": n, "id": i} for n, i in (("time (UTC)", "when"),
                         ("tf", "timeframe"), ("what", "what"), ("detail", "detail"))],
                data=[], page_size=8, **WRAPPED,
            ),
            html.Div("Uncertainty queue: least sure first", className="fw-bold mt-3"),
            _button("Load queue", ids.REVIEW_QUEUE_LOAD),
            html.Span(id=ids.REVIEW_TODAY, className="small ms-2"),
            dash_table.DataTable(
                id=ids.REVIEW_QUEUE,
                columns=[{"name": "start (UTC)" if n == "start" else n, "id": n}
                         for n in ("start", "end", "label", "margin", "confidence")],
                data=[], page_size=8, row_selectable="single", **WRAPPED,
                # Dates and times stay on one line.
                style_cell_conditional=[{"if": {"column_id": c}, "whiteSpace": "nowrap"}
                                        for c in ("start", "end")],
            ),
            dbc.Select(id=ids.REVIEW_LABEL, options=[{"label": x, "value": x} for x in labels],
                       placeholder="right label (to correct)", size="sm", className="my-1"),
            html.Div([_button("Confirm", ids.REVIEW_CONFIRM, "success"),
                      _button("Correct", ids.REVIEW_CORRECT, "warning"),
                      _button("Dismiss", ids.REVIEW_DISMISS, "danger"),
                      _button("Next", ids.REVIEW_NEXT)]),
            html.Div("Keys: A confirm · R dismiss · N next (outside text boxes); picking a row "
                     "moves the 1 m chart to its span.", className="small text-muted"),
            # Changes once per answered press: the review keys wait for it (assets/keymap.js).
            html.Span(id=ids.REVIEW_ACK, hidden=True),
            dbc.Alert(id=ids.REVIEW_MESSAGE, is_open=False, className="py-1 px-2 small",
                      fade=False),
            dcc.Store(id=ids.REVIEW_QUEUE_DATA, data=[]),
            html.Div(["Agreement between annotators (Cohen's kappa) ",
                      _button("Refresh", ids.REVIEW_AGREE_REFRESH)], className="fw-bold mt-3"),
            dash_table.DataTable(
                id=ids.REVIEW_AGREE,
                columns=[{"name": n, "id": i} for n, i in (("person", "a"), ("person", "b"),
                         ("kappa", "kappa"), ("candles", "candles"), ("agree", "agree"))],
                data=[], page_size=5, **WRAPPED,
            ),
            html.Div("Click a pair for the spans where they disagree; click a span to see it on "
                     "the chart.", className="small text-muted"),
            dash_table.DataTable(
                id=ids.REVIEW_AGREE_SPANS,
                columns=[{"name": n, "id": i} for n, i in (("start (UTC)", "start"),
                         ("end", "end"), ("tf", "timeframe"), ("person", "author"),
                         ("label", "label"))],
                data=[], page_size=8, **WRAPPED,
            ),
            html.Div(["Audit: who did what, when ", _button("Refresh", ids.REVIEW_AUDIT_REFRESH),
                      _button("Download CSV", ids.REVIEW_AUDIT_DOWNLOAD)],
                     className="fw-bold mt-3"),
            dcc.Dropdown(id=ids.REVIEW_AUDIT_PERSON, placeholder="person (everyone)",
                         style={"color": DROPDOWN_TEXT}, className="mb-1"),
            dash_table.DataTable(
                id=ids.REVIEW_AUDIT,
                columns=[{"name": n, "id": i} for n, i in (("when (UTC)", "when"),
                         ("person", "person"), ("action", "action"), ("detail", "detail"))],
                data=[], page_size=8, **WRAPPED,
            ),
        ],
        className="p-2",
    )  # fmt: skip
    return dbc.Tab(body, label="Review", tab_id="review")


AUDIT_ROWS = 200


def agreement_rows(pairs: list[dict]) -> list[dict]:
    return [{"id": f"{p['a']}|{p['b']}", "a": p["a"], "b": p["b"],
             "kappa": None if p["kappa"] is None else round(p["kappa"], 3),
             "candles": p["candles"], "agree": p["agree"]} for p in pairs]  # fmt: skip


def disagreement_span_rows(pair: dict | None) -> list[dict]:
    if not pair:
        return []
    return [{"id": s.id, "start": format_ms(s.start), "end": short_end(s.start, s.end),
             "timeframe": s.timeframe, "author": s.author, "label": s.label}
            for s in pair["disagree_spans"]]  # fmt: skip


def symbol_pairs(orch, symbol: str) -> list[dict]:
    from labels.agreement import agreement

    return agreement(orch.annotations.list(symbol=symbol))


@callbacks.callback(
    Output(ids.REVIEW_AGREE, "data"),
    Output(ids.REVIEW_AGREE_SPANS, "data"),
    Input(ids.REVIEW_AGREE_REFRESH, "n_clicks"),
    Input(ids.REVIEW_AGREE, "active_cell"),
    Input(ids.TABS, "active_tab"),
    Input(ids.SYMBOL, "value"),
    prevent_initial_call=True,  # the page opens on another tab: nothing to fetch yet
)
def refresh_agreement(_n, cell, tab, symbol):
    """Kappa per pair of people on this symbol; a clicked pair lists its disagreeing spans."""
    if tab != "review":
        raise PreventUpdate
    pairs = symbol_pairs(orchestrator(), symbol)
    picked = cell.get("row_id") if cell else None
    pair = next((p for p in pairs if f"{p['a']}|{p['b']}" == picked), None)
    if ctx.triggered_id == ids.REVIEW_AGREE:
        return no_update, disagreement_span_rows(pair)
    return agreement_rows(pairs), disagreement_span_rows(pair)


@callbacks.callback(
    Output(ids.ANN_SELECTED, "data", allow_duplicate=True),
    Output(ids.chart(ALL, ALL), "figure", allow_duplicate=True),
    Input(ids.REVIEW_AGREE_SPANS, "active_cell"),
    State(ids.chart(ALL, ALL), "id"),
    prevent_initial_call=True,
)
def show_disagreeing_span(cell, chart_ids):
    """A disagreeing span, one click away: selected (its band shown) and the chart moved to it."""
    if not cell or not cell.get("row_id"):
        raise PreventUpdate
    orch = orchestrator()
    try:
        span = orch.annotations.get(cell["row_id"])
    except SpanError:
        raise PreventUpdate from None
    return span.id, jumps(orch, span, chart_ids)


def audit_rows(entries: list[dict]) -> list[dict]:
    return [{"when": format_ms(e["at"]), "person": e["person"], "action": e["action"],
             "detail": e["detail"]} for e in entries]  # fmt: skip


@callbacks.callback(
    Output(ids.REVIEW_AUDIT, "data"),
    Output(ids.REVIEW_AUDIT_PERSON, "options"),
    Input(ids.REVIEW_AUDIT_REFRESH, "n_clicks"),
    Input(ids.TABS, "active_tab"),
    Input(ids.REVIEW_TODAY, "children"),
    Input(ids.REVIEW_AUDIT_PERSON, "value"),
    prevent_initial_call=True,  # the page opens on another tab: nothing to fetch yet
)
def refresh_audit(_n, tab, _today, person=None):
    """The newest actions, everyone's or one person's (a verdict given here refreshes it too)."""
    if tab != "review":
        raise PreventUpdate
    log = orchestrator().audit
    return audit_rows(log.list(person or None, limit=AUDIT_ROWS)), log.people()


@callbacks.callback(
    Output(ids.REVIEW_AUDIT_FILE, "data"),
    Input(ids.REVIEW_AUDIT_DOWNLOAD, "n_clicks"),
    State(ids.REVIEW_AUDIT_PERSON, "value"),
    prevent_initial_call=True,
)
def download_audit(_n, person=None):
    """Every action (or the picked person's), as CSV (at in epoch ms, person, action, detail)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in person or "")
    name = f"audit-{safe}.csv" if safe else "audit.csv"
    return {"content": orchestrator().audit.csv_text(person or None), "filename": name,
            "type": "text/csv"}  # fmt: skip


def stores() -> list:
    """Page-level parts (outside the tabs): the queue span the charts highlight, and the audit's
    download (drawn whatever tab is open: it saves its file only while drawn)."""
    return [dcc.Store(id=ids.REVIEW_FOCUS), dcc.Download(id=ids.REVIEW_AUDIT_FILE)]


def disagreement_rows(orch, symbol: str) -> list[dict]:
    """Disagreements among the held predictions and the charts' pattern spans, newest first."""
    predictions = orch.predictions.snapshot(symbol)
    rows = []
    for timeframe in orch.timeframes(symbol):
        shown = orch.store.tail(symbol, timeframe, window_size(orch.config, timeframe))
        start = shown[0].time if shown else None
        spans = orch.live_patterns.spans(symbol, timeframe, start)
        human = orch.annotations.list(symbol=symbol, timeframe=timeframe, start=start)
        for item in disagreements(predictions, spans, human, timeframe):
            if item["timeframe"] == timeframe and (start is None or item["time"] >= start):
                rows.append({"id": f"{timeframe}:{item['time']}:{item['type']}",
                             "symbol": symbol, "time": item["time"],
                             "when": format_ms(item["time"]),
                             "timeframe": timeframe, "what": TYPES[item["type"]],
                             "detail": item["detail"]})  # fmt: skip
    return sorted(rows, key=lambda r: -r["time"])


@callbacks.callback(
    Output(ids.REVIEW_DISAGREE, "data"),
    Input(ids.REVIEW_REFRESH, "n_clicks"),
    Input(ids.TABS, "active_tab"),
    Input(ids.SYMBOL, "value"),
    prevent_initial_call=True,  # the page opens on another tab: nothing to fetch yet
)
def refresh_disagreements(_n, tab, symbol):
    if tab != "review":
        raise PreventUpdate
    return disagreement_rows(orchestrator(), symbol)


def jump(time: int, timeframe: str):
    """Centre the chart on a candle, 30 candles either side (both linked x axes)."""
    from dash import Patch

    frame = timeframe_ms(timeframe)
    patch = Patch()
    for axis in ("xaxis", "xaxis2"):
        patch["layout"][axis]["range"] = [time - 30 * frame, time + 31 * frame]
        patch["layout"][axis]["autorange"] = False
    patch["layout"]["yaxis"]["autorange"] = True
    return patch


@callbacks.callback(
    Output(ids.chart(ALL, ALL), "figure", allow_duplicate=True),
    Input(ids.REVIEW_DISAGREE, "active_cell"),
    State(ids.REVIEW_DISAGREE, "data"),
    State(ids.chart(ALL, ALL), "id"),
    prevent_initial_call=True,
)
def jump_to_disagreement(cell, rows, chart_ids):
    row = next((r for r in rows or [] if cell and r["id"] == cell.get("row_id")), None)
    if row is None:
        raise PreventUpdate
    # Its own symbol's chart only: a list not yet redrawn after a switch moves no other.
    at = (row["timeframe"], row.get("symbol"))
    return [jump(row["time"], row["timeframe"]) if (c["tf"], c["symbol"]) == at else no_update
            for c in chart_ids]  # fmt: skip


def queue_rows(spans: list[dict]) -> list[dict]:
    """The end as the time of day when it falls on the start's date (one line per date)."""
    return [{"id": i, "start": format_ms(s["start"]), "end": short_end(s["start"], s["end"]),
             "label": s["label"], "margin": round(s["margin"], 3),
             "confidence": round(s["confidence"], 3)}
            for i, s in enumerate(spans)]  # fmt: skip


def focus_of(spans: list[dict] | None, selected: list[int] | None) -> dict | None:
    """The queue span a selection points at, as the charts' focus store holds it."""
    if not spans or not selected or not 0 <= selected[0] < len(spans):
        return None
    span = spans[selected[0]]
    return {"symbol": span.get("symbol"), "timeframe": QUEUE_TIMEFRAME,
            "start": int(span["start"]), "end": int(span["end"]),
            "label": span["label"]}  # fmt: skip


QUEUE_TIMEFRAME = "1m"


@callbacks.callback(
    Output(ids.REVIEW_QUEUE, "selected_rows", allow_duplicate=True),
    Input(ids.REVIEW_QUEUE, "active_cell"),
    prevent_initial_call=True,
)
def pick_by_cell(cell):
    """Clicking any cell of a row selects the row, as its radio button does."""
    if not cell or cell.get("row_id") is None:
        raise PreventUpdate
    return [int(cell["row_id"])]


@callbacks.callback(
    Output(ids.REVIEW_FOCUS, "data"),
    Output(ids.chart(ALL, ALL), "figure", allow_duplicate=True),
    Input(ids.REVIEW_QUEUE, "selected_rows"),
    Input(ids.REVIEW_QUEUE_DATA, "data"),
    State(ids.SYMBOL, "value"),
    State(ids.chart(ALL, ALL), "id"),
    prevent_initial_call=True,
)
def focus_queue_span(selected, spans, symbol, chart_ids):
    """A picked queue row moves the 1 m chart to its span and highlights it there."""
    focus = focus_of(spans, selected)
    if focus is None:
        return None, [no_update] * len(chart_ids)
    # The queue's own symbol (it stays loaded when the dropdown moves on): its chart only.
    span = Span(None, focus["symbol"] or symbol, QUEUE_TIMEFRAME, focus["start"], focus["end"],
                focus["label"], "model", "pending")  # fmt: skip
    return focus, jumps(orchestrator(), span, chart_ids)


@callbacks.callback(
    Output(ids.REVIEW_QUEUE_DATA, "data"),
    Output(ids.REVIEW_QUEUE, "data"),
    Output(ids.REVIEW_QUEUE, "selected_rows"),
    Output(ids.REVIEW_MESSAGE, "children"),
    Output(ids.REVIEW_MESSAGE, "color"),
    Output(ids.REVIEW_MESSAGE, "is_open"),
    Output(ids.REVIEW_TODAY, "children"),
    Output(ids.REVIEW_ACK, "children"),
    inputs={
        "_load": Input(ids.REVIEW_QUEUE_LOAD, "n_clicks"),
        "_confirm": Input(ids.REVIEW_CONFIRM, "n_clicks"),
        "_correct": Input(ids.REVIEW_CORRECT, "n_clicks"),
        "_dismiss": Input(ids.REVIEW_DISMISS, "n_clicks"),
        "_next": Input(ids.REVIEW_NEXT, "n_clicks"),
    },
    state={
        "selected": State(ids.REVIEW_QUEUE, "selected_rows"),
        "spans": State(ids.REVIEW_QUEUE_DATA, "data"),
        "label": State(ids.REVIEW_LABEL, "value"),
        "symbol": State(ids.SYMBOL, "value"),
        "user": State(ids.USER_NAME, "value"),
    },
    prevent_initial_call=True,
)
def on_queue(*, _load, _confirm, _correct, _dismiss, _next, selected, spans, label, symbol,
             user=None):  # fmt: skip
    """Load the queue, give a verdict on the picked span (the selection then stays at its place,
    on the span that moved up), or move to the next row."""
    orch = orchestrator()
    ack = uuid.uuid4().hex  # a new value per answer: the review keys wait for it
    if ctx.triggered_id == ids.REVIEW_NEXT:
        index = (selected[0] + 1) if selected else 0
        if not spans or index >= len(spans):
            text = "No more spans in the queue." if spans else "Load the queue first."
            return (no_update, no_update, no_update, text, "info", True, no_update, ack)
        return no_update, no_update, [index], "", "info", False, no_update, ack
    message, color = "", "info"
    keep = selected[0] if selected and ctx.triggered_id != ids.REVIEW_QUEUE_LOAD else None
    verdict = {ids.REVIEW_CONFIRM: "confirm", ids.REVIEW_CORRECT: "correct",
               ids.REVIEW_DISMISS: "dismiss"}.get(ctx.triggered_id)  # fmt: skip
    # A verdict is on the queue's symbol, which the dropdown may have left since it was loaded.
    queued = spans[0].get("symbol", symbol) if verdict is not None and spans else symbol
    refused = denied("review spans") if verdict is not None else None
    if refused:  # the queue stays as shown; the reason says who may give verdicts
        return no_update, no_update, no_update, refused, "danger", True, no_update, ack
    if verdict is not None:
        if not selected or not spans or selected[0] >= len(spans):
            message, color = "Pick a span of the queue first.", "warning"
        else:
            span = spans[selected[0]]
            try:
                who = acting_name(user)
                made = apply_verdict(orch.annotations, queued, "1m", span, verdict, label, who)
                orch.audit.record(
                    who,
                    f"uncertainty {verdict}",
                    f"{made.label} {queued} 1m {format_ms(made.start)}",
                )
                message = f"{verdict}: {made.label} {format_ms(made.start)} saved ({made.status})"
            except (ValueError, SpanError) as exc:
                message, color = str(exc), "danger"
    try:
        spans = [{**span, "symbol": queued} for span in queue(
            orch.patterns, orch.store, orch.annotations, queued,
            window=orch.config.dashboard.window_1m_candles,
        )]  # fmt: skip
    except NoModel:
        spans = []
        no_model = "No pattern model is registered yet: train one in the Train panel."
        # the verdict's own outcome stays in front: a saved one must not read as lost
        message = f"{message.rstrip('.')}. {no_model}" if message else no_model
        color = "danger" if color == "danger" else "warning"
    today = f"reviewed today: {reviewed_today(orch.annotations)}"
    picked = [keep] if keep is not None and keep < len(spans) else []
    return spans, queue_rows(spans), picked, message, color, bool(message), today, ack
