"""The Alerts tab: add an alert (price crossing a level or a drawn horizontal line, a model's
signal, a stale feed, a job's end, a champion change), the alerts with Delete, the latest
firings with their webhook delivery, and the symbol's drawings with Delete. And on every page, a
toast for each firing, fed by the page's tick (one indexed read of firings newer than the last
shown)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from alerts.rules import CHAMPION_EVENTS, JOB_EVENTS, KINDS, MODEL_KINDS, AlertError
from core.timefmt import format_ms
from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from dashboard.figures.theme import DROPDOWN_TEXT
from dashboard.people import acting_name, denied
from runtime import alert_actions

callbacks = CallbackSet()

KIND_LABELS = {"price_cross": "Price crosses", "signal": "Model signal",
               "feed_stale": "Feed stale", "job": "Job ends", "champion": "Champion"}  # fmt: skip
# The form's fields each kind reads (the others are left out of the request).
KIND_FIELDS = {"price_cross": ("symbol", "level", "drawing"),
               "signal": ("symbol", "model", "call", "min_confidence"),
               "feed_stale": ("symbol", "stale_s"), "job": ("when",),
               "champion": ("model", "when")}  # fmt: skip
FIRED_SHOWN = 20
TOASTED = 5  # firings named in one toast at most


def _field(label: str, control) -> html.Div:
    return html.Div([html.Div(label, className="small"), control], className="mb-1")


def _dropdown(id_, options, value=None, placeholder=None):
    return dcc.Dropdown(id=id_, options=options, value=value, placeholder=placeholder,
                        clearable=value is None, style={"color": DROPDOWN_TEXT})  # fmt: skip


def layout(symbols: list[str]) -> dbc.Tab:
    form = html.Div(
        [
            _field("Kind", _dropdown(ids.ALERT_KIND, [{"label": KIND_LABELS[k], "value": k}
                                                      for k in KINDS], "price_cross")),
            _field("Symbol (signal, stale feed: empty = any)",
                   _dropdown(ids.ALERT_SYMBOL, symbols, symbols[0] if symbols else None)),
            dbc.Row([
                dbc.Col(_field("Price level", dbc.Input(id=ids.ALERT_LEVEL, type="number",
                                                        size="sm"))),
                dbc.Col(_field("or a drawn H-line", _dropdown(ids.ALERT_LINE, [], None, "none"))),
            ], className="g-1"),
            dbc.Row([
                dbc.Col(_field("Model", _dropdown(ids.ALERT_MODEL, list(MODEL_KINDS), None,
                                                  "signal: required"))),
                dbc.Col(_field("Call", dbc.Input(id=ids.ALERT_CALL, size="sm",
                                                 placeholder="UP, BUY, bull_flag"))),
                dbc.Col(_field("Min confidence", dbc.Input(id=ids.ALERT_MIN_CONF, type="number",
                                                           min=0, max=1, step=0.05, size="sm"))),
            ], className="g-1"),
            dbc.Row([
                dbc.Col(_field("Stale after (s)", dbc.Input(id=ids.ALERT_STALE, type="number",
                                                            min=1, size="sm"))),
                dbc.Col(_field("When", _dropdown(ids.ALERT_WHEN,
                                                 list(JOB_EVENTS + CHAMPION_EVENTS), None,
                                                 "job: ended; champion: changed"))),
            ], className="g-1"),
            _field("Webhook (optional; a host in alerts.webhook_hosts)",
                   dbc.Input(id=ids.ALERT_WEBHOOK, size="sm", placeholder="https://…")),
            _field("Note", dbc.Input(id=ids.ALERT_NOTE, size="sm")),
            dbc.Button("Add alert", id=ids.ALERT_ADD, size="sm", color="primary"),
            html.Div(id=ids.ALERT_MESSAGE, className="small my-1"),
        ]
    )  # fmt: skip
    body = html.Div(
        [
            form,
            html.Div("Alerts", className="fw-bold small mt-2"),
            html.Div(id=ids.ALERT_LIST, className="small"),
            html.Div("Fired", className="fw-bold small mt-2"),
            html.Div(id=ids.ALERT_FIRED, className="small"),
            html.Div("Drawings on this symbol", className="fw-bold small mt-2"),
            html.Div(id=ids.DRAWING_LIST, className="small"),
            dcc.Store(id=ids.ALERTS_SHOWN),
        ],
        className="p-2",
    )
    return dbc.Tab(body, label="Alerts", tab_id="alerts")


def page_parts() -> list:
    """On every page, whichever tab is open: the toast and the newest firing it has shown."""
    toast = dbc.Toast(id=ids.ALERT_TOAST, header="Alert", icon="warning", is_open=False,
                      dismissable=True, duration=15_000, className="alert-toast",
                      style={"position": "fixed", "top": "4.5rem", "right": "1rem",
                             "zIndex": 2000, "minWidth": "22rem"})  # fmt: skip
    return [toast, dcc.Store(id=ids.ALERT_SEEN)]


def toast_lines(fresh: list[dict]) -> list:
    lines = [html.Div(f"{format_ms(f['fired_at'])} UTC · {f['message']}",
                      className="alert-fired-line") for f in fresh[:TOASTED]]  # fmt: skip
    if len(fresh) > TOASTED:
        lines.append(html.Div("… more in the Alerts tab", className="text-muted"))
    return lines


def alert_rows(alerts: list[dict]) -> list:
    if not alerts:
        return [html.Div("none yet", className="text-muted")]
    rows = []
    for a in alerts:
        state = "armed" if a["armed"] else "fired, waits to clear"
        rows.append(html.Div([
            html.Span(a["description"], className="me-2"),
            html.Span(f"({state}{', webhook' if a.get('webhook') else ''})",
                      className="text-muted me-2"),
            html.Button("Delete", id=ids.alert_delete(a["id"]), n_clicks=0,
                        className="btn btn-sm btn-outline-danger py-0"),
        ], className="alert-row d-flex align-items-center mb-1",
           **{"data-id": a["id"]}))  # fmt: skip
    return rows


def fired_rows(fired: list[dict]) -> list:
    if not fired:
        return [html.Div("nothing fired yet", className="text-muted")]
    return [html.Div([format_ms(f["fired_at"]), " UTC · ", f["message"],
                      html.Span(f" · webhook {f['delivery']}" if f.get("delivery") else "",
                                className="text-muted")],
                     className="fired-row") for f in fired]  # fmt: skip


def drawing_rows(drawings) -> list:
    if not drawings:
        return [html.Div("none: draw with the chart's line or rectangle tool",
                         className="text-muted")]  # fmt: skip
    names = {"hline": "H-line", "line": "line", "rect": "rectangle"}
    rows = []
    for d in drawings:
        where = (f"at {d.y0:,.8g}" if d.kind == "hline"
                 else f"{format_ms(d.x0)} {d.y0:,.8g} → {format_ms(d.x1)} {d.y1:,.8g}"
                      " (UTC)")  # fmt: skip
        rows.append(html.Div([
            html.Span(f"{names[d.kind]} {where}", className="me-2"),
            html.Button("Delete", id=ids.drawing_delete(d.id), n_clicks=0,
                        className="btn btn-sm btn-outline-danger py-0"),
        ], className="drawing-row d-flex align-items-center mb-1",
           **{"data-id": d.id}))  # fmt: skip
    return rows


@callbacks.callback(
    Output(ids.ALERT_TOAST, "children"),
    Output(ids.ALERT_TOAST, "is_open"),
    Output(ids.ALERT_SEEN, "data"),
    Output(ids.ALERT_LIST, "children"),
    Output(ids.ALERT_FIRED, "children"),
    Output(ids.DRAWING_LIST, "children"),
    Output(ids.ALERT_LINE, "options"),
    Output(ids.ALERTS_SHOWN, "data"),
    Input(ids.TICK, "n_intervals"),
    Input(ids.SYMBOL, "value"),
    State(ids.ALERT_SEEN, "data"),
    State(ids.ALERTS_SHOWN, "data"),
)
def on_tick(_n, symbol, seen, shown):
    """One request a tick for the toast and the tab's lists: the toast shows firings newer than
    the page has seen (on first load: only those from now on); the lists are redrawn only when
    an alert, a drawing or a firing changed, or the symbol."""
    orch = orchestrator()
    store = orch.alerts
    toast = (no_update, no_update, no_update)
    fresh = []
    if seen is None:
        toast = (no_update, no_update, store.last_fired_id())
    else:
        fresh = store.fired_after(int(seen), TOASTED + 1)
        if fresh:
            newest = fresh[-1]["id"] if len(fresh) <= TOASTED else store.last_fired_id()
            toast = (toast_lines(fresh), True, newest)
    key = f"{store.version}|{orch.drawings.version}|{symbol}"
    if key == shown and not fresh:
        return (*toast, *(no_update,) * 5)
    drawings = orch.drawings.list(symbol)
    lines = [{"label": f"H-line at {d.y0:,.8g}", "value": d.id} for d in drawings
             if d.kind == "hline"]  # fmt: skip
    return (*toast, alert_rows(store.list()), fired_rows(store.recent_fired(FIRED_SHOWN)),
            drawing_rows(drawings), lines, key)  # fmt: skip


def _number(value):
    return None if value in (None, "") else value


@callbacks.callback(
    Output(ids.ALERT_MESSAGE, "children"),
    Output(ids.ALERT_MESSAGE, "className"),
    inputs={
        "_clicks": Input(ids.ALERT_ADD, "n_clicks"),
    },
    state={
        "kind": State(ids.ALERT_KIND, "value"),
        "symbol": State(ids.ALERT_SYMBOL, "value"),
        "level": State(ids.ALERT_LEVEL, "value"),
        "drawing": State(ids.ALERT_LINE, "value"),
        "model": State(ids.ALERT_MODEL, "value"),
        "call": State(ids.ALERT_CALL, "value"),
        "min_confidence": State(ids.ALERT_MIN_CONF, "value"),
        "stale_s": State(ids.ALERT_STALE, "value"),
        "when": State(ids.ALERT_WHEN, "value"),
        "webhook": State(ids.ALERT_WEBHOOK, "value"),
        "note": State(ids.ALERT_NOTE, "value"),
        "user": State(ids.USER_NAME, "value"),
    },
    prevent_initial_call=True,
)
def add_alert(_clicks, kind, user=None, **fields):
    reason = denied("manage alerts")
    if reason:
        return reason, "small my-1 text-danger"
    body = {"kind": kind}
    for name in KIND_FIELDS.get(kind, ()):
        value = _number(fields.get(name))
        if value is not None:
            body[name] = value
    for name in ("webhook", "note"):
        if fields.get(name):
            body[name] = fields[name]
    try:
        stored = alert_actions.add_alert(orchestrator(), body, acting_name(user))
    except AlertError as exc:
        return f"Not added: {exc}", "small my-1 text-danger"
    return f"Added: {stored['description']}", "small my-1 text-success"


@callbacks.callback(
    Output(ids.ALERT_MESSAGE, "children", allow_duplicate=True),
    Output(ids.ALERT_MESSAGE, "className", allow_duplicate=True),
    Input(ids.alert_delete(ALL), "n_clicks"),
    Input(ids.drawing_delete(ALL), "n_clicks"),
    State(ids.USER_NAME, "value"),
    prevent_initial_call=True,
)
def delete_item(_alerts, _drawings, user):
    """Delete an alert or a drawing (a list redrawn with zero clicks triggers nothing)."""
    if not ctx.triggered_id or not ctx.triggered or not ctx.triggered[0].get("value"):
        return no_update, no_update
    orch, target = orchestrator(), ctx.triggered_id
    is_alert = target["type"] == "alert-delete"
    reason = denied("manage alerts" if is_alert else "draw on charts")
    if reason:
        return reason, "small my-1 text-danger"
    store = orch.alerts if is_alert else orch.drawings
    what = "alert" if is_alert else "drawing"
    if not store.delete(target["id"]):
        return f"The {what} was already deleted", "small my-1 text-muted"
    orch.audit.record(acting_name(user), f"{what} deleted", target["id"])
    return f"Deleted the {what}", "small my-1 text-success"
