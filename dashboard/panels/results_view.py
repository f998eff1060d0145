"""The results view: a backtest's, search's or walk-forward's results open wide, over the charts
(or over the whole page, *Full width*), not in the side panel; *Back to charts* closes it.

It holds the shown run's results (one section per kind of run) and the lists of runs, so its
tables have room for every column. The Backtest tab opens it (a run started, a run picked, or
*Results*); the panels that fill its sections live in ``backtest_panel`` and ``research_panel``.

Its body is drawn only while it is open, as a closed side tab's (``side_tabs``): a ``dcc.Tabs``
with a hidden bar renders only the selected one of an empty tab and the body. The body held a
third of the page's components and seven charts, and Dash re-checks every drawn component after
each callback answer. Its components stay in Dash's layout, so the callbacks that fill it work
while it is closed, and it opens on what they wrote. Its download sits at page level
(``stores``): a ``dcc.Download`` saves its file only while drawn.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dash_table, dcc, html, no_update

from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.figures.backtest_figures import compare_figure, placeholder
from dashboard.figures.theme import ACCENT, ACTIVE_CELL_BACKGROUND, TABLE_STYLE

callbacks = CallbackSet()

SECTIONS = {"backtest": ids.BT_BACKTEST_RESULTS, "search": ids.BT_SEARCH_RESULTS,
            "walkforward": ids.BT_WF_RESULTS}  # fmt: skip
TRADE_COLUMNS = [{"name": n, "id": i} for n, i in (
    ("#", "n"), ("symbol", "symbol"), ("side", "side"), ("size", "size"), ("entry (UTC)", "entry"),
    ("exit (UTC)", "exit"), ("return", "return"), ("PnL", "pnl"))]  # fmt: skip
RUN_COLUMNS = [{"name": n, "id": i} for n, i in (
    ("started (UTC)", "started"), ("symbol", "series"), ("period (UTC)", "period"),
    ("strategy and parameters", "label"), ("return", "return"), ("trades", "trades"),
    ("status", "status"), ("by", "by"))]  # fmt: skip
RESEARCH_COLUMNS = [{"name": n, "id": i} for n, i in (
    ("started (UTC)", "started"), ("kind", "kind"), ("symbol", "series"),
    ("period (UTC)", "period"),
    ("strategy and searched parameters", "strategy"), ("best", "best"), ("trials", "trials"),
    ("status", "status"), ("by", "by"))]  # fmt: skip
FOLD_HEADERS = {"in-sample": "in-sample (UTC)", "out-of-sample": "out-of-sample (UTC)"}
WIDE_TABLE = {
    **TABLE_STYLE,
    "style_table": {"overflowX": "auto"},
    "style_data_conditional": [
        {"if": {"state": "active"}, "backgroundColor": ACTIVE_CELL_BACKGROUND,
         "border": f"1px solid {ACCENT}"},
    ],
}  # fmt: skip
GRAPH = {"displaylogo": False}


def _heading(text: str) -> html.Div:
    return html.Div(text, className="fw-bold mt-3 mb-1")


def _backtest_section() -> html.Div:
    return html.Div(
        [
            dcc.Graph(id=ids.BT_CHART, config=GRAPH,
                      figure=placeholder("The run's candles, trades and predictions appear here",
                                         120)),
            dbc.Row([
                dbc.Col([
                    dcc.Graph(id=ids.BT_EQUITY, config=GRAPH,
                              figure=placeholder("Its equity curve and drawdown appear here", 120)),
                    html.Div(id=ids.BT_PORTFOLIO, className="small"),
                    _heading("Trades (click one to move the charts to it)"),
                    dash_table.DataTable(id=ids.BT_TRADES, columns=TRADE_COLUMNS, data=[],
                                         page_size=12, sort_action="native", **WIDE_TABLE),
                ], lg=8),
                dbc.Col([
                    _heading("Statistics"),
                    dash_table.DataTable(
                        id=ids.BT_STATS, data=[], page_size=40, **WIDE_TABLE,
                        columns=[{"name": "statistic", "id": "stat"},
                                 {"name": "value", "id": "value"}],
                        tooltip_duration=None,
                    ),
                ], lg=4),
            ], className="g-2"),
        ],
        id=ids.BT_BACKTEST_RESULTS, style={},
    )  # fmt: skip


def _search_section() -> html.Div:
    return html.Div(
        [
            html.Div([
                html.Span(id=ids.BT_BEST, className="me-2"),
                dbc.Button("Open as backtest", id=ids.BT_OPEN_BEST, size="sm", color="primary",
                           className="me-1"),
                dbc.Button("Download CSV", id=ids.BT_TRIALS_CSV, size="sm", color="secondary"),
            ], className="d-flex align-items-center flex-wrap"),
            _heading("Heatmaps: the best value for each pair of parameters"),
            dcc.Graph(id=ids.BT_HEATMAPS, config=GRAPH, figure=placeholder("", 80)),
            dcc.Graph(id=ids.BT_PARALLEL, config=GRAPH, figure=placeholder("", 60)),
            dbc.Row([
                dbc.Col([
                    _heading("Trials (click a header to sort)"),
                    dash_table.DataTable(id=ids.BT_TRIALS, columns=[], data=[], page_size=15,
                                         sort_action="native", filter_action="native",
                                         **WIDE_TABLE),
                ], lg=7),
                dbc.Col([
                    _heading("Best parameters, re-run"),
                    dcc.Graph(id=ids.BT_BEST_EQUITY, config=GRAPH, figure=placeholder("", 80)),
                    dash_table.DataTable(
                        id=ids.BT_BEST_STATS, data=[], page_size=40, **WIDE_TABLE,
                        columns=[{"name": "statistic", "id": "stat"},
                                 {"name": "value", "id": "value"}],
                    ),
                ], lg=5),
            ], className="g-2"),
        ],
        id=ids.BT_SEARCH_RESULTS, style={"display": "none"},
    )  # fmt: skip


def _walkforward_section() -> html.Div:
    columns = ["fold", "in-sample", "out-of-sample", "params", "is return", "oos return",
               "is Sharpe", "oos Sharpe", "oos trades", "efficiency"]  # fmt: skip
    return html.Div(
        [
            html.Div(id=ids.BT_WF_TEXT, className="small mb-1"),
            dcc.Graph(id=ids.BT_WF_CHART, config=GRAPH, figure=placeholder("", 80)),
            _heading("Folds"),
            dash_table.DataTable(id=ids.BT_WF_FOLDS, data=[], page_size=20,
                                 columns=[{"name": FOLD_HEADERS.get(c, c), "id": c}
                                          for c in columns], **WIDE_TABLE),
        ],
        id=ids.BT_WF_RESULTS, style={"display": "none"},
    )  # fmt: skip


def layout() -> html.Div:
    header = html.Div([
        html.Span(id=ids.RESULTS_TITLE, className="fw-bold me-auto"),
        dbc.Button("Resume", id=ids.BT_RESUME, size="sm", color="warning", className="me-1",
                   style={"display": "none"}),
        dbc.Button("⤢ Full width", id=f"{ids.RESULTS_VIEW}-wide", size="sm", color="secondary",
                   className="me-1"),
        dbc.Button("× Back to charts", id=ids.RESULTS_CLOSE, size="sm", color="secondary"),
    ], className="d-flex align-items-center mb-1")  # fmt: skip
    runs = [
        _heading("Backtest runs (tick two or more to compare; click one to show it)"),
        dash_table.DataTable(id=ids.BT_RUNS, columns=RUN_COLUMNS, data=[], page_size=10,
                             row_selectable="multi", selected_row_ids=[], **WIDE_TABLE),
        dash_table.DataTable(id=ids.BT_COMPARE, columns=[], data=[], page_size=40, **WIDE_TABLE),
        dcc.Graph(id=ids.BT_COMPARE_CHART, figure=compare_figure([]), config=GRAPH),
        _heading("Searches and walk-forwards (click one to show it)"),
        dash_table.DataTable(id=ids.BT_RESEARCH_RUNS, columns=RESEARCH_COLUMNS, data=[],
                             page_size=10, **WIDE_TABLE),
    ]  # fmt: skip
    body = [header, _backtest_section(), _search_section(), _walkforward_section(), *runs]
    mounted = dcc.Tabs([dcc.Tab([], value="closed"), dcc.Tab(body, value="open")],
                       id=ids.RESULTS_BODY, value="closed",
                       parent_className="drawn-when-open")  # fmt: skip
    return html.Div(mounted, id=ids.RESULTS_VIEW, className="results-view",
                    style={"display": "none"})  # fmt: skip


def stores() -> list:
    return [dcc.Store(id=ids.BT_VIEW, data={"open": False, "what": "backtest"}),
            dcc.Download(id=ids.BT_TRIALS_DOWNLOAD)]  # fmt: skip


@callbacks.callback(
    Output(ids.RESULTS_BODY, "value"),
    Output(ids.RESULTS_VIEW, "style"),
    Output(ids.BT_BACKTEST_RESULTS, "style"),
    Output(ids.BT_SEARCH_RESULTS, "style"),
    Output(ids.BT_WF_RESULTS, "style"),
    Input(ids.BT_VIEW, "data"),
    prevent_initial_call=True,
)
def show_view(view):
    view = view or {}
    what = view.get("what") or "backtest"
    sections = [{} if what == name else {"display": "none"} for name in SECTIONS]
    shown = bool(view.get("open"))
    return ("open" if shown else "closed"), ({} if shown else {"display": "none"}), *sections


@callbacks.callback(
    Output(ids.BT_VIEW, "data", allow_duplicate=True),
    Input(ids.RESULTS_CLOSE, "n_clicks"),
    Input(ids.BT_OPEN_RESULTS, "n_clicks"),
    State(ids.BT_VIEW, "data"),
    prevent_initial_call=True,
)
def open_or_close(_close, _open, view):
    return {**(view or {}), "open": ctx.triggered_id == ids.BT_OPEN_RESULTS}


@callbacks.callback(
    Output(ids.RESULTS_VIEW, "className"),
    Output(f"{ids.RESULTS_VIEW}-wide", "children"),
    Input(f"{ids.RESULTS_VIEW}-wide", "n_clicks"),
    prevent_initial_call=True,
)
def widen(clicks):
    wide = bool(clicks) and clicks % 2 == 1
    return ("results-view wide" if wide else "results-view"), (
        "⤡ Over the charts" if wide else "⤢ Full width"
    )


__all__ = ["layout", "stores", "callbacks", "no_update"]
