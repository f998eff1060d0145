"""The Backtest tab: pick a symbol, period, strategy and account, press Run backtest; watch the
progress, the trades arriving on the run's chart, then read the statistics, the equity curve with
its drawdown and the trade list (a click moves the charts to the trade). Earlier runs are listed;
tick two or more to compare them side by side."""

from __future__ import annotations

from types import SimpleNamespace

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, Patch, State, ctx, dash_table, dcc, html, no_update

from backtest.request import RequestError, parse_request
from backtest.strategies import STRATEGIES
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
    parse_params,
    placeholder,
    plotly_text,
    price_range,
    run_chart,
    run_label,
    run_rows,
    stats_rows,
    status_text,
    trade_table,
    trade_window,
)
from dashboard.figures.theme import ACCENT, ACTIVE_CELL_BACKGROUND, DROPDOWN_TEXT, TABLE_STYLE, TEXT
from dashboard.panels.annotations import before_chart, jump_patch
from dashboard.people import acting_name, denied

callbacks = CallbackSet()

TRADE_COLUMNS = [{"name": n, "id": i} for n, i in (
    ("#", "n"), ("side", "side"), ("size", "size"), ("entry (UTC)", "entry"),
    ("exit", "exit"), ("return", "return"), ("PnL", "pnl"))]  # fmt: skip
RUN_COLUMNS = [{"name": n, "id": i} for n, i in (
    ("started", "started"), ("run", "label"), ("series", "series"), ("return", "return"),
    ("trades", "trades"), ("status", "status"), ("by", "by"))]  # fmt: skip
FINISHED = ("done", "failed", "cancelled")
# a clicked cell stays readable on the dark theme (TABLE_STYLE already scrolls sideways)
SCROLL = {
    "style_data_conditional": [
        {
            "if": {"state": "active"},
            "backgroundColor": ACTIVE_CELL_BACKGROUND,
            "border": f"1px solid {ACCENT}",
        }
    ],
}
_CANDLES: dict[str, object] = {}  # the last run's candles, so a poll doesn't reread them


def _field(label: str, component, width=6) -> dbc.Col:
    return dbc.Col([html.Label(label, className="small mb-0"), component], width=width)


def _input(id_, value=None, placeholder="", type_="text", **kw) -> dbc.Input:
    return dbc.Input(id=id_, value=value, placeholder=placeholder, type=type_, size="sm", **kw)


def layout(config, symbols: list[str]) -> dbc.Tab:
    bt = config.backtest
    strategies = [{"label": name, "value": name} for name in STRATEGIES]
    form = [
        dbc.Row([
            _field("symbol", dcc.Dropdown(id=ids.BT_SYMBOL, value=symbols[0], clearable=False,
                                          options=[{"label": s, "value": s} for s in symbols],
                                          style={"color": DROPDOWN_TEXT})),
            _field("timeframe", dbc.Select(id=ids.BT_TIMEFRAME, options=[], size="sm")),
        ], className="g-1"),
        dbc.Row([
            _field("from (UTC)", _input(ids.BT_START, placeholder=f"last {bt.period_hours:g} h")),
            _field("to (UTC)", _input(ids.BT_END, placeholder="latest candle")),
        ], className="g-1"),
        dbc.Row([
            _field("strategy", dbc.Select(id=ids.BT_STRATEGY, options=strategies,
                                          value="sma_cross", size="sm"), 5),
            _field("params", _input(ids.BT_PARAMS, placeholder="name=value, ..."), 7),
        ], className="g-1"),
        dbc.Row([
            _field("cash", _input(ids.BT_CASH, bt.cash, type_="number", min=0), 4),
            _field("commission", _input(ids.BT_COMMISSION, bt.commission, type_="number",
                                        step=0.0001), 4),
            _field("size (of equity)", _input(ids.BT_SIZE, bt.size, type_="number", step=0.05,
                                              min=0, max=1), 4),
        ], className="g-1"),
        dcc.Checklist(id=ids.BT_OPTIONS, value=["short"], inline=True, inputClassName="me-1",
                      labelClassName="me-3 small", labelStyle={"color": TEXT},
                      options=[{"label": "allow short", "value": "short"},
                               {"label": "fill at signal close", "value": "close"}]),
    ]  # fmt: skip
    body = html.Div(
        [
            *form,
            html.Div(
                [
                    dbc.Button(
                        "Run backtest",
                        id=ids.BT_RUN,
                        color="primary",
                        size="sm",
                        className="me-1 mt-1",
                    ),
                    dbc.Button(
                        "Cancel", id=ids.BT_CANCEL, color="secondary", size="sm", className="mt-1"
                    ),
                ]
            ),  # fmt: skip
            dbc.Progress(id=ids.BT_PROGRESS, value=0, className="my-1", style={"height": "8px"}),
            html.Div(id=ids.BT_STATUS, className="small"),
            dbc.Alert(id=ids.BT_MESSAGE, is_open=False, className="py-1 px-2 small", fade=False),
            dbc.Alert(
                id=ids.BT_IN_SAMPLE,
                is_open=False,
                color="warning",
                fade=False,
                className="py-1 px-2 small",
            ),  # fmt: skip
            dcc.Graph(
                id=ids.BT_CHART,
                figure=placeholder("The run's candles, trades and predictions appear here", 120),
                config={"displaylogo": False},
            ),  # fmt: skip
            dash_table.DataTable(
                id=ids.BT_TRADES, columns=TRADE_COLUMNS, data=[], page_size=8, **TABLE_STYLE
            ),  # fmt: skip
            dcc.Graph(
                id=ids.BT_EQUITY,
                figure=placeholder("Its equity curve and drawdown appear here", 120),
                config={"displaylogo": False},
            ),  # fmt: skip
            html.Div("Statistics", className="fw-bold mt-2"),
            dash_table.DataTable(
                id=ids.BT_STATS,
                columns=[{"name": "statistic", "id": "stat"}, {"name": "value", "id": "value"}],
                data=[],
                page_size=40,
                **(TABLE_STYLE | SCROLL),
            ),  # fmt: skip
            html.Div("Runs (tick two or more to compare)", className="fw-bold mt-2"),
            dash_table.DataTable(
                id=ids.BT_RUNS,
                columns=RUN_COLUMNS,
                data=[],
                page_size=10,
                row_selectable="multi",
                selected_row_ids=[],
                **(TABLE_STYLE | SCROLL),
            ),
            dash_table.DataTable(
                id=ids.BT_COMPARE, columns=[], data=[], page_size=40, **(TABLE_STYLE | SCROLL)
            ),
            dcc.Graph(
                id=ids.BT_COMPARE_CHART, figure=compare_figure([]), config={"displaylogo": False}
            ),
        ],  # fmt: skip
        className="p-2",
    )
    return dbc.Tab(body, label="Backtest", tab_id="backtest")


def stores() -> list:
    return [dcc.Store(id=ids.BT_SHOWN, data={}), dcc.Store(id=ids.BT_VERSION, data=0)]


# ---- callbacks -------------------------------------------------------------------------
@callbacks.callback(Output(ids.BT_PARAMS, "value"), Input(ids.BT_STRATEGY, "value"))
def default_params(name):
    cls = STRATEGIES.get(name)
    return "" if cls is None else ", ".join(f"{k}={p.default}" for k, p in cls.params.items())


@callbacks.callback(
    Output(ids.BT_TIMEFRAME, "options"),
    Output(ids.BT_TIMEFRAME, "value"),
    Input(ids.BT_SYMBOL, "value"),
)
def timeframes(symbol):
    served = orchestrator().timeframes(symbol) if symbol else []
    return served, ("1m" if "1m" in served else (served[0] if served else None))


@callbacks.callback(
    Output(ids.BT_MESSAGE, "children"),
    Output(ids.BT_MESSAGE, "is_open"),
    Output(ids.BT_MESSAGE, "color"),
    Output(ids.BT_SHOWN, "data", allow_duplicate=True),
    Output(ids.BT_VERSION, "data", allow_duplicate=True),
    inputs={
        "_run": Input(ids.BT_RUN, "n_clicks"),
        "_cancel": Input(ids.BT_CANCEL, "n_clicks"),
    },
    state={
        "symbol": State(ids.BT_SYMBOL, "value"),
        "timeframe": State(ids.BT_TIMEFRAME, "value"),
        "start": State(ids.BT_START, "value"),
        "end": State(ids.BT_END, "value"),
        "strategy": State(ids.BT_STRATEGY, "value"),
        "params": State(ids.BT_PARAMS, "value"),
        "cash": State(ids.BT_CASH, "value"),
        "commission": State(ids.BT_COMMISSION, "value"),
        "size": State(ids.BT_SIZE, "value"),
        "options": State(ids.BT_OPTIONS, "value"),
        "shown": State(ids.BT_SHOWN, "data"),
        "version": State(ids.BT_VERSION, "data"),
        "user": State(ids.USER_NAME, "value"),
    },
    prevent_initial_call=True,
)
def on_action(*, _run, _cancel, symbol, timeframe, start, end, strategy, params, cash, commission,
              size, options, shown, version, user=None):  # fmt: skip
    refused = denied("run backtests")
    if refused:
        return refused, True, "danger", no_update, no_update
    orch = orchestrator()
    if ctx.triggered_id == ids.BT_CANCEL:
        run_id = (shown or {}).get("id")
        if run_id and orch.backtests.cancel(run_id):
            orch.audit.record(acting_name(user), "backtest cancelled", f"run {run_id}")
            return f"Cancelling run {run_id}…", True, "info", no_update, no_update
        return "No backtest of yours is queued or running.", True, "info", no_update, no_update
    body = {"symbol": symbol, "timeframe": timeframe, "strategy": strategy,
            "start": (start or "").strip() or None, "end": (end or "").strip() or None,
            "cash": cash, "commission": commission, "size": size,
            "allow_short": "short" in (options or []),
            "trade_on_close": "close" in (options or [])}  # fmt: skip
    try:
        body["params"] = parse_params(params)
        request = parse_request({k: v for k, v in body.items() if v is not None}, orch)
    except RequestError as exc:
        return str(exc), True, "danger", no_update, no_update
    who = acting_name(user)
    try:
        run_id = orch.backtests.submit(request, started_by=who)
    except QueueFull as exc:
        return f"Not started: {exc}.", True, "warning", no_update, no_update
    orch.audit.record(who, "backtest started", f"run {run_id}: {strategy} on {symbol} {timeframe}")
    text = f"Started run {run_id}: {strategy} on {symbol} {timeframe}"
    return text, True, "info", {"id": run_id, "key": ""}, (version or 0) + 1


@callbacks.callback(
    Output(ids.BT_PROGRESS, "value"),
    Output(ids.BT_PROGRESS, "label"),
    Output(ids.BT_STATUS, "children"),
    Output(ids.BT_SHOWN, "data"),
    Output(ids.BT_VERSION, "data"),
    Output(ids.BT_STATS, "data"),
    Output(ids.BT_EQUITY, "figure"),
    Output(ids.BT_CHART, "figure"),
    Output(ids.BT_TRADES, "data"),
    Output(ids.BT_IN_SAMPLE, "children"),
    Output(ids.BT_IN_SAMPLE, "is_open"),
    Input(ids.TICK, "n_intervals"),
    Input(ids.BT_SHOWN, "data"),
    State(ids.BT_VERSION, "data"),
)
def poll(_n, shown, version):
    """Each tick: the shown run's progress; its results redrawn only when something changed."""
    unchanged = [no_update] * 11
    run_id = (shown or {}).get("id")
    if not run_id:
        return unchanged
    backtests = orchestrator().backtests
    state = backtests.status(run_id)
    if state is None:
        return unchanged
    pct = round(state["progress"] * 100)
    key = f"{state['status']}:{state['trades_so_far']}:{state['predictions_so_far']}"
    if key == shown.get("key"):
        return [pct, f"{pct}%", *unchanged[2:]]
    run = backtests.get(run_id)
    finished = run["status"] in FINISHED
    stats = stats_rows(run.get("stats")) if finished else []
    equity = equity_figure(run.get("equity") or [], f"Equity · {plotly_text(run_label(run))}")
    trades = run.get("trades") or []
    chart = run_chart(_candles(run), trades, run.get("predictions"))
    warning = in_sample_text(run)
    return (pct, f"{pct}%", status_text(run), {"id": run_id, "key": key},
            (version or 0) + 1 if finished else no_update, stats, equity, chart,
            trade_table(trades), warning, bool(warning))  # fmt: skip


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
)
def refresh_runs(_version, tab):
    if tab != "backtest":
        return no_update
    return run_rows(orchestrator().backtests.list())


@callbacks.callback(
    Output(ids.BT_SHOWN, "data", allow_duplicate=True),
    Input(ids.BT_RUNS, "active_cell"),
    prevent_initial_call=True,
)
def show_run(active_cell):
    if not active_cell or not active_cell.get("row_id"):
        return no_update
    return {"id": active_cell["row_id"], "key": ""}


@callbacks.callback(
    Output(ids.BT_COMPARE, "columns"),
    Output(ids.BT_COMPARE, "data"),
    Output(ids.BT_COMPARE_CHART, "figure"),
    Input(ids.BT_RUNS, "selected_row_ids"),
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
    Output(ids.chart(ALL), "figure", allow_duplicate=True),
    Input(ids.BT_TRADES, "active_cell"),
    State(ids.BT_SHOWN, "data"),
    State(ids.SYMBOL, "value"),
    State(ids.chart(ALL), "id"),
    prevent_initial_call=True,
)
def go_to_trade(active_cell, shown, symbol, chart_ids):
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
    frame = timeframe_ms(run["timeframe"])
    x0, x1 = trade_window(trade, frame)
    patch = Patch()
    patch["layout"]["xaxis"]["range"] = [x0, x1]
    patch["layout"]["xaxis"]["autorange"] = False
    y_range = price_range(_candles(run), x0, x1)
    if y_range:
        patch["layout"]["yaxis"]["range"] = y_range
        patch["layout"]["yaxis"]["autorange"] = False
    end = trade.get("ExitTime") or trade["EntryTime"]
    span = SimpleNamespace(
        symbol=run["symbol"], timeframe=run["timeframe"], start=trade["EntryTime"], end=end
    )
    live = symbol == run["symbol"] and not before_chart(orchestrator(), span)
    return patch, [
        jump_patch(orchestrator(), span) if live and c["tf"] == run["timeframe"] else no_update
        for c in chart_ids
    ]
