"""Searches and walk-forwards in the Backtest tab: the shown one's progress, then its results in
the results view (heatmaps, parallel coordinates, the sortable trials table with *Download CSV*,
the best parameters re-run with *Open as backtest*; a walk-forward's stitched out-of-sample
curve beside its in-sample runs, its folds, efficiency and parameter stability), and the list of
them (a click shows one)."""

from __future__ import annotations

import time

from dash import Input, Output, State, dcc, no_update

from backtest.request import RequestError, parse_request
from backtest.research import trials_csv
from backtest.search_request import SearchRequest
from core.jobs import QueueFull
from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from dashboard.figures.backtest_figures import equity_figure, placeholder, stats_rows
from dashboard.figures.research_figures import (
    best_text,
    fold_rows,
    heatmap_figure,
    parallel_figure,
    research_rows,
    trial_table,
    walkforward_figure,
    walkforward_text,
)
from dashboard.people import acting_name, denied

callbacks = CallbackSet()

FINISHED = ("done", "failed", "cancelled")
REDRAW_S = 5  # while a search runs, its results are redrawn this often
MAX_TABLE_ROWS = 2000
NOUN = {"search": "Search", "walkforward": "Walk-forward"}


@callbacks.callback(
    Output(ids.BT_PROGRESS, "value", allow_duplicate=True),
    Output(ids.BT_PROGRESS, "label", allow_duplicate=True),
    Output(ids.BT_STATUS, "children", allow_duplicate=True),
    Output(ids.BT_RESEARCH_SHOWN, "data", allow_duplicate=True),
    Output(ids.BT_VERSION, "data", allow_duplicate=True),
    Input(ids.RESEARCH_TICK, "data"),
    State(ids.BT_RESEARCH_SHOWN, "data"),
    State(ids.BT_VERSION, "data"),
    State(ids.BT_VIEW, "data"),
    prevent_initial_call=True,
)
def poll(_n, shown, version, view):
    """Each tick, cheaply: the shown search's progress and status. Its results are redrawn
    (``render``) when its key changes: when it ends, and every few seconds while it runs (a
    redraw slower than the tick would never land if the tick drove it)."""
    unchanged = [no_update] * 5
    run_id = (shown or {}).get("id")
    if not run_id or (view or {}).get("what") not in ("search", "walkforward"):
        return unchanged
    state = orchestrator().research.status(run_id)
    if state is None:
        return unchanged
    pct = round(state["progress"] * 100)
    finished = state["status"] in FINISHED
    # a finished run's status is written with its results (``render``)
    text = no_update if finished else _status(state)
    stamp = "end" if finished else int(time.monotonic() // REDRAW_S)
    key = f"{state['status']}:{state['trials_so_far']}:{stamp}"
    if key == shown.get("key") or (not finished and shown.get("key", "").endswith(f":{stamp}")):
        return pct, f"{pct}%", text, no_update, no_update
    bump = (version or 0) + 1 if finished else no_update
    return pct, f"{pct}%", text, {**shown, "key": key}, bump


@callbacks.callback(
    Output(ids.RESULTS_TITLE, "children", allow_duplicate=True),
    Output(ids.BT_BEST, "children"),
    Output(ids.BT_HEATMAPS, "figure"),
    Output(ids.BT_PARALLEL, "figure"),
    Output(ids.BT_TRIALS, "columns"),
    Output(ids.BT_TRIALS, "data"),
    Output(ids.BT_BEST_EQUITY, "figure"),
    Output(ids.BT_BEST_STATS, "data"),
    Output(ids.BT_WF_CHART, "figure"),
    Output(ids.BT_WF_FOLDS, "data"),
    Output(ids.BT_WF_TEXT, "children"),
    Output(ids.BT_STATUS, "children", allow_duplicate=True),
    Input(ids.BT_RESEARCH_SHOWN, "data"),
    prevent_initial_call=True,
)
def render(shown):
    """The shown search's or walk-forward's results (and, once it ended, its status line)."""
    research = orchestrator().research
    run_id = (shown or {}).get("id")
    run = research.get(run_id) if run_id else None
    if run is None:
        return [no_update] * 12
    request = SearchRequest.from_dict(run["request"])
    title = (f"{NOUN[run['kind']]} {run_id}: {request.strategy} on {request.symbol}"
             f" {request.timeframe}, maximising {request.maximize} · {run['status']}")  # fmt: skip
    trials = run.get("trials") or []
    names = request.varying
    result = run.get("result") or {}
    columns, rows = trial_table(_table_trials(trials), names, request.maximize)
    best = result.get("best") or {}
    best_equity = (
        equity_figure(best["equity"], "Best parameters: equity")
        if best.get("equity")
        else placeholder("The best parameters' run appears when the search ends", 80)
    )
    best_rows, _ = stats_rows(best.get("stats"), _notes(best.get("stats")))
    out = [title, best_text(result, request.maximize) if run["kind"] == "search" else "",
           heatmap_figure(trials, names, request.maximize),
           parallel_figure(trials, names, request.maximize), columns, rows, best_equity,
           best_rows]  # fmt: skip
    if run["kind"] == "walkforward":
        out += [walkforward_figure(result), fold_rows(result), walkforward_text(result)]
    else:
        out += [placeholder("", 40), [], ""]
    # the status line of what was drawn (a run that ended since is drawn again on the next key)
    state = {**run, "trials_so_far": research.store.count_trials(run_id)}
    out.append(_status(state) if run["status"] in FINISHED else no_update)
    return out


def _table_trials(trials: list[dict]) -> list[dict]:
    """The trials the table holds: all of them, or the best ``MAX_TABLE_ROWS`` (the CSV and the
    API have every one)."""
    if len(trials) <= MAX_TABLE_ROWS:
        return trials
    ranked = sorted(trials, key=lambda t: (t.get("value") is None, -(t.get("value") or 0)))
    return ranked[:MAX_TABLE_ROWS]


def _notes(stats: dict | None) -> dict:
    from backtest.stats import stats_notes

    return stats_notes(stats or {})


def _status(state: dict) -> str:
    noun = NOUN[state["kind"]].lower()
    if state["status"] == "failed":
        return f"{noun.capitalize()} {state['id']} failed: {state.get('error')}"
    return f"{noun.capitalize()} {state['id']}: {state['status']}, {state['trials_so_far']} trials"


@callbacks.callback(
    Output(ids.BT_TRIALS_DOWNLOAD, "data"),
    Input(ids.BT_TRIALS_CSV, "n_clicks"),
    State(ids.BT_RESEARCH_SHOWN, "data"),
    prevent_initial_call=True,
)
def download_trials(_clicks, shown):
    """The shown search's trials as CSV (text cells a spreadsheet would run are escaped)."""
    run_id = (shown or {}).get("id")
    run = orchestrator().research.get(run_id, trials=False) if run_id else None
    if run is None:
        return no_update
    text = trials_csv(orchestrator().research.store.trials(run_id),
                      SearchRequest.from_dict(run["request"]))  # fmt: skip
    return dcc.send_string(text, f"{run['kind']}-{run_id}-trials.csv")


@callbacks.callback(
    Output(ids.BT_MESSAGE, "children", allow_duplicate=True),
    Output(ids.BT_MESSAGE, "is_open", allow_duplicate=True),
    Output(ids.BT_MESSAGE, "color", allow_duplicate=True),
    Output(ids.BT_SHOWN, "data", allow_duplicate=True),
    Output(ids.BT_VIEW, "data", allow_duplicate=True),
    Output(ids.BT_VERSION, "data", allow_duplicate=True),
    Input(ids.BT_OPEN_BEST, "n_clicks"),
    State(ids.BT_RESEARCH_SHOWN, "data"),
    State(ids.BT_VERSION, "data"),
    State(ids.USER_NAME, "value"),
    prevent_initial_call=True,
)
def open_best(_clicks, shown, version, user=None):
    """*Open as backtest*: the best parameters run again as a normal backtest, kept as a run."""
    unchanged = [no_update] * 3
    refused = denied("run backtests")
    if refused:
        return refused, True, "danger", *unchanged
    orch = orchestrator()
    run = orch.research.get((shown or {}).get("id") or "", trials=False)
    best = ((run or {}).get("result") or {}).get("best")
    if not best:
        return "No best parameters to open yet.", True, "info", *unchanged
    request = run["request"]
    body = {k: request[k] for k in ("symbol", "timeframe", "start", "end", "strategy", "cash",
                                    "commission", "size", "allow_short", "trade_on_close",
                                    "fractional_unit", "spread")}  # fmt: skip
    body["params"] = best["params"]
    who = acting_name(user)
    try:
        backtest = parse_request(body, orch)
        run_id = orch.backtests.submit(backtest, started_by=who)
    except (RequestError, QueueFull) as exc:
        return f"Not started: {exc}", True, "warning", *unchanged
    orch.audit.record(who, "backtest started", f"run {run_id}: best of {run['kind']} {run['id']}")
    return (f"Started run {run_id}: {backtest.strategy} {best['params']} on {backtest.symbol}",
            True, "info", {"id": run_id, "key": ""}, {"open": True, "what": "backtest"},
            (version or 0) + 1)  # fmt: skip


@callbacks.callback(
    Output(ids.BT_RESUME, "style"),
    Input(ids.BT_RESEARCH_SHOWN, "data"),
    Input(ids.BT_VIEW, "data"),
    prevent_initial_call=True,
)
def resume_button(shown, view):
    """*Resume* shows for a search or walk-forward that was cancelled, failed or interrupted."""
    run_id = (shown or {}).get("id")
    if not run_id or (view or {}).get("what") not in ("search", "walkforward"):
        return {"display": "none"}
    state = orchestrator().research.status(run_id)
    resumable = state is not None and state["status"] in ("failed", "cancelled")
    return {} if resumable else {"display": "none"}


@callbacks.callback(
    Output(ids.BT_MESSAGE, "children", allow_duplicate=True),
    Output(ids.BT_MESSAGE, "is_open", allow_duplicate=True),
    Output(ids.BT_MESSAGE, "color", allow_duplicate=True),
    Output(ids.BT_RESEARCH_SHOWN, "data", allow_duplicate=True),
    Input(ids.BT_RESUME, "n_clicks"),
    State(ids.BT_RESEARCH_SHOWN, "data"),
    State(ids.USER_NAME, "value"),
    prevent_initial_call=True,
)
def resume(_clicks, shown, user=None):
    """Resume the shown search or walk-forward from its stored trials (and folds)."""
    refused = denied("run backtests")
    if refused:
        return refused, True, "danger", no_update
    orch = orchestrator()
    run_id = (shown or {}).get("id")
    if not run_id or not orch.research.resume(run_id):
        text = "Only a cancelled, failed or interrupted run can be resumed."
        return text, True, "info", no_update
    kind = shown.get("kind", "search")
    orch.audit.record(acting_name(user), f"{NOUN[kind].lower()} resumed", f"{kind} {run_id}")
    return f"Resumed {NOUN[kind].lower()} {run_id}", True, "info", {**shown, "key": ""}


@callbacks.callback(
    Output(ids.BT_RESEARCH_RUNS, "data"),
    Input(ids.BT_VERSION, "data"),
    Input(ids.TABS, "active_tab"),
    prevent_initial_call=True,  # the page opens on another tab: nothing to fetch yet
)
def refresh_runs(_version, tab):
    if tab != "backtest":
        return no_update
    research = orchestrator().research
    runs = research.list("search", 50) + research.list("walkforward", 50)
    return research_rows(sorted(runs, key=lambda r: r["created_at"], reverse=True))


@callbacks.callback(
    Output(ids.BT_RESEARCH_SHOWN, "data", allow_duplicate=True),
    Output(ids.BT_VIEW, "data", allow_duplicate=True),
    Input(ids.BT_RESEARCH_RUNS, "active_cell"),
    prevent_initial_call=True,
)
def show_run(active_cell):
    run_id = (active_cell or {}).get("row_id")
    run = orchestrator().research.get(run_id, trials=False) if run_id else None
    if run is None:
        return no_update, no_update
    return {"id": run_id, "kind": run["kind"], "key": ""}, {"open": True, "what": run["kind"]}
