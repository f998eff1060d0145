"""The Backtest tab: pick a symbol (several: a portfolio), period, strategy, exits and account;
run a backtest, a parameter search or a walk-forward (the mode); watch the progress, then read
the results in the results view, which opens wide over the charts (``results_view``): the run's
chart with its trades, the equity curve with its drawdown, the trade list (a click moves the
charts to the trade) and the statistics. Earlier runs are listed there; tick two or more to
compare them. Searches and walk-forwards are drawn by ``research_panel``."""

from __future__ import annotations

from types import SimpleNamespace

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, Patch, State, ctx, dcc, html, no_update

from backtest.request import RequestError, parse_request
from backtest.search_request import parse_search
from core.candles import timeframe_ms
from core.jobs import QueueFull
from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from dashboard.figures.backtest_figures import (
    compare_figure,
    compare_rows,
    equity_figure,
    in_sample_text,
    plotly_text,
    portfolio_text,
    price_range,
    run_chart,
    run_label,
    run_rows,
    stats_rows,
    status_text,
    trade_table,
    trade_window,
)
from dashboard.panels.annotations import before_chart, jump_patch
from dashboard.panels.backtest_form import (
    INVALID_INPUTS,
    RUN_LABELS,
    form_body,
    invalid_flags,
    strategy_defaults,
)
from dashboard.panels.backtest_form import layout as form_layout
from dashboard.people import acting_name, denied

callbacks = CallbackSet()

FINISHED = ("done", "failed", "cancelled")
_CANDLES: dict[str, object] = {}  # the last run's candles, so a poll doesn't reread them
FORM = {"symbol": ids.BT_SYMBOL, "timeframe": ids.BT_TIMEFRAME, "start": ids.BT_START,
        "end": ids.BT_END, "strategy": ids.BT_STRATEGY, "params": ids.BT_PARAMS, "sl": ids.BT_SL,
        "tp": ids.BT_TP, "trailing": ids.BT_TRAILING, "cash": ids.BT_CASH,
        "commission": ids.BT_COMMISSION, "size": ids.BT_SIZE, "spread": ids.BT_SPREAD,
        "options": ids.BT_OPTIONS, "constraint": ids.BT_CONSTRAINT, "method": ids.BT_METHOD,
        "max_tries": ids.BT_MAX_TRIES, "maximize": ids.BT_MAXIMIZE,
        "min_trades": ids.BT_MIN_TRADES, "seed": ids.BT_SEED, "is_bars": ids.BT_IS_BARS,
        "oos_bars": ids.BT_OOS_BARS, "gap": ids.BT_GAP, "anchored": ids.BT_ANCHORED}  # fmt: skip
CHECKBOX = {"anchored"}


def layout(config, symbols: list[str]) -> dbc.Tab:
    buttons = html.Div([
        dbc.Button("Run backtest", id=ids.BT_RUN, color="primary", size="sm",
                   className="me-1 mt-1"),
        dbc.Button("Cancel", id=ids.BT_CANCEL, color="secondary", size="sm",
                   className="me-1 mt-1"),
        dbc.Button("Results", id=ids.BT_OPEN_RESULTS, color="secondary", size="sm",
                   className="mt-1"),
    ])  # fmt: skip
    body = html.Div(
        [
            *form_layout(config, symbols),
            buttons,
            dbc.Progress(id=ids.BT_PROGRESS, value=0, className="my-1", style={"height": "8px"}),
            html.Div(id=ids.BT_STATUS, className="small"),
            dbc.Alert(id=ids.BT_MESSAGE, is_open=False, className="py-1 px-2 small", fade=False),
            dbc.Alert(id=ids.BT_IN_SAMPLE, is_open=False, color="warning", fade=False,
                      className="py-1 px-2 small"),
        ],
        className="p-2",
    )  # fmt: skip
    return dbc.Tab(body, label="Backtest", tab_id="backtest")


def stores() -> list:
    return [dcc.Store(id=ids.BT_SHOWN, data={}), dcc.Store(id=ids.BT_VERSION, data=0),
            dcc.Store(id=ids.BT_RESEARCH_SHOWN, data={})]  # fmt: skip


# ---- the form ----------------------------------------------------------------------------
@callbacks.callback(
    Output(ids.BT_PARAMS, "value"), Input(ids.BT_STRATEGY, "value"), prevent_initial_call=True
)
def default_params(name):
    return strategy_defaults(name)


def _symbols(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


@callbacks.callback(
    Output(ids.BT_TIMEFRAME, "options"),
    Output(ids.BT_TIMEFRAME, "value"),
    Input(ids.BT_SYMBOL, "value"),
    State(ids.BT_TIMEFRAME, "value"),
)
def timeframes(symbols, current):
    """The timeframes every picked symbol has."""
    orch = orchestrator()
    served = None
    for symbol in _symbols(symbols):
        own = orch.timeframes(symbol)
        served = own if served is None else [tf for tf in served if tf in own]
    served = served or []
    if current in served:
        return served, current
    return served, ("1m" if "1m" in served else (served[0] if served else None))


@callbacks.callback(
    Output(ids.BT_SEARCH_FORM, "style"),
    Output(ids.BT_WF_FORM, "style"),
    Output(ids.BT_RUN, "children"),
    Input(ids.BT_MODE, "value"),
    prevent_initial_call=True,
)
def mode_fields(mode):
    mode = mode or "backtest"
    hidden = {"display": "none"}
    return ({} if mode != "backtest" else hidden, {} if mode == "walkforward" else hidden,
            RUN_LABELS[mode])  # fmt: skip


# ---- run and cancel ----------------------------------------------------------------------
# What each mode's Run (and the Cancel of its run) needs, of core.people.ACTIONS.
ACTIONS = {"backtest": "run backtests", "search": "run searches",
           "walkforward": "run walk-forwards"}  # fmt: skip


@callbacks.callback(
    output=[
        Output(ids.BT_MESSAGE, "children"),
        Output(ids.BT_MESSAGE, "is_open"),
        Output(ids.BT_MESSAGE, "color"),
        Output(ids.BT_SHOWN, "data", allow_duplicate=True),
        Output(ids.BT_VERSION, "data", allow_duplicate=True),
        Output(ids.BT_RESEARCH_SHOWN, "data", allow_duplicate=True),
        Output(ids.BT_VIEW, "data", allow_duplicate=True),
        [Output(i, "invalid") for i in INVALID_INPUTS],
    ],
    inputs={
        "_run": Input(ids.BT_RUN, "n_clicks"),
        "_cancel": Input(ids.BT_CANCEL, "n_clicks"),
    },
    state={
        "form": {name: State(i, "value") for name, i in FORM.items()},
        "mode": State(ids.BT_MODE, "value"),
        "shown": State(ids.BT_SHOWN, "data"),
        "research": State(ids.BT_RESEARCH_SHOWN, "data"),
        "view": State(ids.BT_VIEW, "data"),
        "version": State(ids.BT_VERSION, "data"),
        "user": State(ids.USER_NAME, "value"),
    },
    prevent_initial_call=True,
)
def on_action(*, _run, _cancel, form, mode, shown, research, view, version, user=None):
    """Run (a backtest, search or walk-forward, by the mode) or Cancel the run shown. A refusal
    names the field (as the API says it) and marks it; nothing runs."""
    unchanged = [no_update] * 4
    clear = [False] * len(INVALID_INPUTS)
    if ctx.triggered_id == ids.BT_CANCEL:  # the run the view follows
        what = (view or {}).get("what")
        kind = what if what in ("search", "walkforward") and (research or {}).get("id") else ""
    else:
        kind = mode or "backtest"
    refused = denied(ACTIONS.get(kind, "run backtests"))
    if refused:
        return refused, True, "danger", *unchanged, clear
    orch = orchestrator()
    who = acting_name(user)
    if ctx.triggered_id == ids.BT_CANCEL:
        text = _cancel_shown(orch, who, shown, research, view)
        return text, True, "info", *unchanged, clear
    mode = mode or "backtest"
    try:
        body = form_body(mode, form)
        if mode == "backtest":
            request = parse_request(body, orch)
        else:
            request = parse_search(body, orch, cli=True, walkforward=mode == "walkforward")
    except RequestError as exc:
        return str(exc), True, "danger", *unchanged, invalid_flags(exc.field)
    try:
        if mode == "backtest":
            run_id = orch.backtests.submit(request, started_by=who)
        else:
            run_id = orch.research.submit(mode, request, started_by=who)
    except QueueFull as exc:
        return f"Not started: {exc}.", True, "warning", *unchanged, clear
    where = ", ".join(getattr(request, "symbols", ()) or (request.symbol,))
    what = {"backtest": "backtest", "search": "search", "walkforward": "walk-forward"}[mode]
    noun = "run" if mode == "backtest" else mode
    detail = f"{noun} {run_id}: {request.strategy} on {where} {request.timeframe}"
    orch.audit.record(who, f"{what} started", detail)
    text = f"Started {'run' if mode == 'backtest' else what} {run_id}: {request.strategy} on"
    text += f" {where} {request.timeframe}"
    opened = {"open": True, "what": mode}
    if mode == "backtest":
        return (text, True, "info", {"id": run_id, "key": ""}, (version or 0) + 1, no_update,
                opened, clear)  # fmt: skip
    return (text, True, "info", no_update, (version or 0) + 1,
            {"id": run_id, "kind": mode, "key": ""}, opened, clear)  # fmt: skip


def _cancel_shown(orch, who: str, shown, research, view) -> str:
    """Cancel the run the view follows: the search or walk-forward shown, else the backtest."""
    what = (view or {}).get("what")
    research_id = (research or {}).get("id")
    if what in ("search", "walkforward") and research_id:
        if orch.research.cancel(research_id):
            noun = "search" if what == "search" else "walk-forward"
            orch.audit.record(who, f"{noun} cancelled", f"{what} {research_id}")
            return f"Cancelling {noun} {research_id}…"
        return "No search or walk-forward of yours is queued or running."
    run_id = (shown or {}).get("id")
    if run_id and orch.backtests.cancel(run_id):
        orch.audit.record(who, "backtest cancelled", f"run {run_id}")
        return f"Cancelling run {run_id}…"
    return "No backtest of yours is queued or running."


# ---- the backtest shown ------------------------------------------------------------------
@callbacks.callback(
    Output(ids.BT_PROGRESS, "value"),
    Output(ids.BT_PROGRESS, "label"),
    Output(ids.BT_STATUS, "children"),
    Output(ids.BT_SHOWN, "data"),
    Output(ids.BT_VERSION, "data"),
    Input(ids.BT_TICK, "data"),
    State(ids.BT_SHOWN, "data"),
    State(ids.BT_VERSION, "data"),
    State(ids.BT_VIEW, "data"),
    prevent_initial_call=True,
)
def poll(_n, shown, version, view):
    """Each tick, cheaply: the shown run's progress and status. Its results are redrawn
    (``render``) when something changed: a redraw driven by the tick itself would never land
    once it takes longer than the tick (the browser drops each stale answer)."""
    unchanged = [no_update] * 5
    run_id = (shown or {}).get("id")
    if not run_id or (view or {}).get("what", "backtest") != "backtest":
        return unchanged
    state = orchestrator().backtests.status(run_id)
    if state is None:
        return unchanged
    pct = round(state["progress"] * 100)
    finished = state["status"] in FINISHED
    # a finished run's status is written with its results (``render``), so "done" never shows
    # before the statistics do
    text = no_update if finished else state_text(state)
    key = f"{state['status']}:{state['trades_so_far']}:{state['predictions_so_far']}"
    if key == shown.get("key"):
        return pct, f"{pct}%", text, no_update, no_update
    return (pct, f"{pct}%", text, {"id": run_id, "key": key},
            (version or 0) + 1 if finished else no_update)  # fmt: skip


def state_text(state: dict) -> str:
    if state["status"] == "failed":
        return f"Run {state['id']} failed: {state.get('error')}"
    if state["status"] in ("queued", "running"):
        return f"Run {state['id']}: {state['status']}, {state['trades_so_far']} trades so far"
    return f"Run {state['id']}: {state['status']}"


@callbacks.callback(
    Output(ids.BT_STATS, "data"),
    Output(ids.BT_STATS, "tooltip_data"),
    Output(ids.BT_EQUITY, "figure"),
    Output(ids.BT_CHART, "figure"),
    Output(ids.BT_TRADES, "data"),
    Output(ids.BT_IN_SAMPLE, "children"),
    Output(ids.BT_IN_SAMPLE, "is_open"),
    Output(ids.BT_PORTFOLIO, "children"),
    Output(ids.RESULTS_TITLE, "children"),
    Output(ids.BT_STATUS, "children", allow_duplicate=True),
    Input(ids.BT_SHOWN, "data"),
    prevent_initial_call=True,
)
def render(shown):
    """The shown run's results: statistics, equity, chart with its trades, trade list (and,
    once it ended, its status line with them)."""
    run_id = (shown or {}).get("id")
    run = orchestrator().backtests.get(run_id) if run_id else None
    if run is None:
        return [no_update] * 10
    finished = run["status"] in FINISHED
    rows, tips = stats_rows(run.get("stats"), run.get("stats_notes")) if finished else ([], [])
    equity = equity_figure(run.get("equity") or [], f"Equity · {plotly_text(run_label(run))}")
    trades = run.get("trades") or []
    chart = run_chart(_candles(run), trades, run.get("predictions"))
    warning = in_sample_text(run)
    return (rows, tips, equity, chart, trade_table(trades), warning, bool(warning),
            portfolio_text(run), f"Backtest {status_text(run)}",
            status_text(run) if finished else no_update)  # fmt: skip


def _candles(run: dict):
    request = run["params"]
    key = f"{run['id']}"
    if key not in _CANDLES:
        _CANDLES.clear()
        _CANDLES[key] = orchestrator().store.history(
            request["symbol"], request["timeframe"], request["start"], request["end"] + 1
        )
    return _CANDLES[key]


@callbacks.callback(
    Output(ids.BT_RUNS, "data"),
    Input(ids.BT_VERSION, "data"),
    Input(ids.TABS, "active_tab"),
    prevent_initial_call=True,  # the page opens on another tab: nothing to fetch yet
)
def refresh_runs(_version, tab):
    if tab != "backtest":
        return no_update
    return run_rows(orchestrator().backtests.list())


@callbacks.callback(
    Output(ids.BT_SHOWN, "data", allow_duplicate=True),
    Output(ids.BT_VIEW, "data", allow_duplicate=True),
    Input(ids.BT_RUNS, "active_cell"),
    prevent_initial_call=True,
)
def show_run(active_cell):
    if not active_cell or not active_cell.get("row_id"):
        return no_update, no_update
    return {"id": active_cell["row_id"], "key": ""}, {"open": True, "what": "backtest"}


@callbacks.callback(
    Output(ids.BT_COMPARE, "columns"),
    Output(ids.BT_COMPARE, "data"),
    Output(ids.BT_COMPARE_CHART, "figure"),
    Input(ids.BT_RUNS, "selected_row_ids"),
    prevent_initial_call=True,
)
def compare(selected):
    backtests = orchestrator().backtests
    runs = [r for r in (backtests.get(i) for i in selected or []) if r and r.get("stats")]
    if len(runs) < 2:
        return [], [], compare_figure([])
    columns, rows = compare_rows(runs)
    return columns, rows, compare_figure(runs)


@callbacks.callback(
    Output(ids.BT_CHART, "figure", allow_duplicate=True),
    Output(ids.chart(ALL, ALL), "figure", allow_duplicate=True),
    Input(ids.BT_TRADES, "active_cell"),
    State(ids.BT_SHOWN, "data"),
    State(ids.chart(ALL, ALL), "id"),
    prevent_initial_call=True,
)
def go_to_trade(active_cell, shown, chart_ids):
    """A trade row clicked: the run's chart, and the live chart of that series when it still
    holds the trade's candles, move to the trade."""
    unchanged = [no_update] * len(chart_ids)
    run = orchestrator().backtests.get((shown or {}).get("id") or "")
    if run is None or not active_cell or active_cell.get("row_id") is None:
        return no_update, unchanged
    trades = run.get("trades") or []
    index = int(active_cell["row_id"])
    if index >= len(trades):
        return no_update, unchanged
    trade = trades[index]
    trade_symbol = trade.get("Symbol") or run["symbol"]
    frame = timeframe_ms(run["timeframe"])
    x0, x1 = trade_window(trade, frame)
    patch = Patch()
    patch["layout"]["xaxis"]["range"] = [x0, x1]
    patch["layout"]["xaxis"]["autorange"] = False
    y_range = price_range(_candles(run), x0, x1) if trade_symbol == run["symbol"] else None
    if y_range:
        patch["layout"]["yaxis"]["range"] = y_range
        patch["layout"]["yaxis"]["autorange"] = False
    end = trade.get("ExitTime") or trade["EntryTime"]
    span = SimpleNamespace(
        symbol=trade_symbol, timeframe=run["timeframe"], start=trade["EntryTime"], end=end
    )
    live = not before_chart(orchestrator(), span)
    return patch, [
        jump_patch(orchestrator(), span)
        if live and (c["tf"], c["symbol"]) == (run["timeframe"], trade_symbol)
        else no_update
        for c in chart_ids
    ]
