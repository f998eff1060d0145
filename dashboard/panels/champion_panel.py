"""Champion by hand (in the Train panel): pick the kind of model (the pattern classifier, or a
neural kind: CNN, transformer, DQN), then the version (a run in the list for the pattern
classifier, the version list for a neural kind), give a reason and confirm; the registry alias
moves to that version (a promotion or a rollback), the reason is logged, and the new champion
serves at once. Until a version is picked and a reason written, *Make champion* is disabled and the
panel says what is missing: nothing is asked, nothing moves."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from dashboard.people import acting_name, denied
from runtime.champion_moves import (
    KINDS,
    PATTERN,
    ChampionError,
    check_move,
    registered_versions,
    set_champion_by_hand,
)

callbacks = CallbackSet()


def layout() -> html.Div:
    return html.Div(
        [
            html.Div("Champion by hand", className="fw-bold mt-2"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Select(
                            id=ids.CHAMPION_KIND,
                            options=[{"label": k if k != PATTERN else "pattern classifier",
                                      "value": k} for k in KINDS],
                            value=PATTERN,
                            size="sm",
                        ),
                        width=5,
                    ),
                    dbc.Col(
                        dbc.Select(
                            id=ids.CHAMPION_VERSION,
                            options=[],
                            placeholder="version",
                            size="sm",
                            style={"display": "none"},
                        )
                    ),
                ],
                className="g-1 mb-1",
            ),
            html.Div(picked_text(PATTERN, None, None, None)[0], id=ids.CHAMPION_PICKED,
                     className="small text-muted"),
            dbc.InputGroup(
                [
                    dbc.Input(id=ids.CHAMPION_REASON, placeholder="reason (logged)"),
                    dcc.ConfirmDialogProvider(
                        dbc.Button("Make champion", id=ids.CHAMPION_SET, color="warning",
                                   size="sm", disabled=True),
                        id=ids.CHAMPION_CONFIRM,
                        message="Pick a version first.",
                    ),
                ],
                size="sm",
            ),
            dbc.Alert(
                id=ids.CHAMPION_MESSAGE, is_open=False, className="py-1 px-2 small mt-1", fade=False
            ),
        ]
    )  # fmt: skip


def picked_run(active_cell, rows) -> dict | None:
    if not active_cell or not rows or active_cell.get("row", -1) >= len(rows):
        return None
    return rows[active_cell["row"]]


def picked(kind, active_cell, rows, neural_version) -> tuple[str | None, str]:
    """(version, how to name it) the panel would move the champion of ``kind`` to."""
    if kind in (None, PATTERN):
        run = picked_run(active_cell, rows) or {}
        return run.get("version"), f"version {run.get('version')} ({run.get('model_type')})"
    return neural_version, f"version {neural_version} ({kind})"


@callbacks.callback(
    Output(ids.CHAMPION_VERSION, "options"),
    Output(ids.CHAMPION_VERSION, "value"),
    Output(ids.CHAMPION_VERSION, "style"),
    Input(ids.CHAMPION_KIND, "value"),
    Input(ids.TRAIN_VERSION, "data"),
    prevent_initial_call=True,
)
def on_kind(kind, _version):
    """A neural kind lists its registered versions (the champion marked)."""
    if kind in (None, PATTERN):
        return [], None, {"display": "none"}
    versions = registered_versions(orchestrator(), kind)
    options = [{"label": f"v{v['version']}" + (" ★ champion" if v["champion"] else ""),
                "value": v["version"]} for v in versions]  # fmt: skip
    return options, no_update, {}


def picked_text(kind, active_cell, rows, neural_version) -> tuple[str, bool]:
    """(what is picked, in words; whether it is a version that can be made champion)."""
    if kind not in (None, PATTERN):
        if not neural_version:
            return f"Pick a {kind} version to promote it or roll back to it.", False
        return f"Picked version {neural_version} ({kind})", True
    run = picked_run(active_cell, rows)
    if run is None:
        return "Click a run in the list to promote it or roll back to it.", False
    if not run.get("version"):
        return f"That run ({run.get('status')}) registered no model.", False
    return (
        f"Picked version {run['version']} ({run.get('model_type')}, val F1 {run.get('val')})",
        True,
    )


@callbacks.callback(
    Output(ids.CHAMPION_PICKED, "children"),
    Output(ids.CHAMPION_CONFIRM, "message"),
    Output(ids.CHAMPION_SET, "disabled"),
    Input(ids.TRAIN_RUNS, "active_cell"),
    Input(ids.CHAMPION_KIND, "value"),
    Input(ids.CHAMPION_VERSION, "value"),
    Input(ids.CHAMPION_REASON, "value"),
    State(ids.TRAIN_RUNS, "derived_viewport_data"),
    prevent_initial_call=True,
)
def on_run_picked(active_cell, kind, neural_version, reason, rows):
    """*Make champion* is enabled only once a version is picked and a reason written: a
    missing one is refused here, in words, before any confirmation is asked."""
    text, ok = picked_text(kind, active_cell, rows, neural_version)
    if not ok:
        return text, "Pick a version first.", True
    version, name = picked(kind, active_cell, rows, neural_version)
    try:
        check_move(version, reason)
    except ChampionError as exc:
        return f"{text} · {exc}", "Write a reason first.", True
    question = (
        f"Make {name} the champion? The registry alias moves to it, it serves the charts and "
        "the API at once, and your reason is logged."
    )
    return text, question, False


@callbacks.callback(
    Output(ids.CHAMPION_MESSAGE, "children"),
    Output(ids.CHAMPION_MESSAGE, "is_open"),
    Output(ids.CHAMPION_MESSAGE, "color"),
    Output(ids.TRAIN_VERSION, "data", allow_duplicate=True),
    inputs={"_n": Input(ids.CHAMPION_CONFIRM, "submit_n_clicks")},
    state={
        "kind": State(ids.CHAMPION_KIND, "value"),
        "active_cell": State(ids.TRAIN_RUNS, "active_cell"),
        "rows": State(ids.TRAIN_RUNS, "derived_viewport_data"),
        "neural_version": State(ids.CHAMPION_VERSION, "value"),
        "reason": State(ids.CHAMPION_REASON, "value"),
        "user": State(ids.USER_NAME, "value"),
    },
    prevent_initial_call=True,
)
def on_set_champion(*, _n, kind, active_cell, rows, neural_version, reason, user=None):
    refused = denied("move champions")
    if refused:
        return refused, True, "danger", no_update
    orch = orchestrator()
    version, _ = picked(kind, active_cell, rows, neural_version)
    try:
        moved = set_champion_by_hand(orch, version, reason, kind or PATTERN,
                                     by=acting_name(user))  # fmt: skip
    except ChampionError as exc:
        return str(exc), True, "danger", no_update
    what = "" if moved["kind"] == PATTERN else f"{moved['kind']} "
    text = (
        f"{what}Champion {moved['direction']} to version {moved['version']} (was "
        f"{moved['previous'] or 'none'}) by {moved['by']}: {moved['reason']}"
    )
    return text, True, "success", f"champion:{moved['kind']}:{moved['version']}:{_n}"
