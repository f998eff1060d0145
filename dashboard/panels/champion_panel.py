"""Champion by hand (in the Train panel): pick a run in the list, give a reason, confirm; the
registry alias moves to that run's version (a promotion or a rollback) and the reason is logged."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from runtime.champion_moves import ChampionError, set_champion_by_hand

callbacks = CallbackSet()


def layout() -> html.Div:
    return html.Div(
        [
            html.Div("Champion by hand", className="fw-bold mt-2"),
            html.Div(id=ids.CHAMPION_PICKED, className="small text-muted"),
            dbc.InputGroup(
                [
                    dbc.Input(id=ids.CHAMPION_REASON, placeholder="reason (logged)"),
                    dcc.ConfirmDialogProvider(
                        dbc.Button(
                            "Make champion", id=ids.CHAMPION_SET, color="warning", size="sm"
                        ),
                        id=ids.CHAMPION_CONFIRM,
                        message="Pick a run in the list first.",
                    ),
                ],
                size="sm",
            ),  # fmt: skip
            dbc.Alert(
                id=ids.CHAMPION_MESSAGE, is_open=False, className="py-1 px-2 small mt-1", fade=False
            ),
        ]
    )


def picked_run(active_cell, rows) -> dict | None:
    if not active_cell or not rows or active_cell.get("row", -1) >= len(rows):
        return None
    return rows[active_cell["row"]]


@callbacks.callback(
    Output(ids.CHAMPION_PICKED, "children"),
    Output(ids.CHAMPION_CONFIRM, "message"),
    Input(ids.TRAIN_RUNS, "active_cell"),
    State(ids.TRAIN_RUNS, "derived_viewport_data"),
)
def on_run_picked(active_cell, rows):
    run = picked_run(active_cell, rows)
    if run is None:
        return "Click a run in the list to promote it or roll back to it.", "Pick a run first."
    if not run.get("version"):
        return f"That run ({run.get('status')}) registered no model.", "Pick another run."
    text = f"Picked version {run['version']} ({run.get('model_type')}, val F1 {run.get('val')})"
    question = (
        f"Make version {run['version']} ({run.get('model_type')}) the champion? The registry "
        "alias moves to it, it serves the charts and the API at once, and your reason is logged."
    )
    return text, question


@callbacks.callback(
    Output(ids.CHAMPION_MESSAGE, "children"),
    Output(ids.CHAMPION_MESSAGE, "is_open"),
    Output(ids.CHAMPION_MESSAGE, "color"),
    Output(ids.TRAIN_VERSION, "data", allow_duplicate=True),
    Input(ids.CHAMPION_CONFIRM, "submit_n_clicks"),
    State(ids.TRAIN_RUNS, "active_cell"),
    State(ids.TRAIN_RUNS, "derived_viewport_data"),
    State(ids.CHAMPION_REASON, "value"),
    prevent_initial_call=True,
)
def on_set_champion(_n, active_cell, rows, reason):
    run = picked_run(active_cell, rows) or {}
    try:
        moved = set_champion_by_hand(orchestrator(), run.get("version"), reason)
    except ChampionError as exc:
        return str(exc), True, "danger", no_update
    text = (
        f"Champion {moved['direction']} to version {moved['version']} (was "
        f"{moved['previous'] or 'none'}): {moved['reason']}"
    )
    return text, True, "success", f"champion:{moved['version']}:{_n}"
