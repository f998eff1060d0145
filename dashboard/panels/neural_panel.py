"""The neural models' part of the Train panel: train a DQN, CNN or transformer in the background
(progress: epoch, batch, loss; a live loss curve; Cancel; one job per kind), and each served
model's validation skill beside its baseline. A banner over the charts says what is training."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, dash_table, dcc, html, no_update

from core.jobs import RUNNING, JobBusy
from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from dashboard.figures.frozen import frozen
from dashboard.figures.theme import (
    ACCENT,
    DARK_LAYOUT,
    TABLE_STYLE,
)
from dashboard.people import acting_name, denied

callbacks = CallbackSet()

KINDS = [
    {"label": "CNN ◆", "value": "cnn"},
    {"label": "Transformer ★", "value": "transformer"},
    {"label": "DQN ▲▼", "value": "dqn"},
]
ALL_SYMBOLS = "__all__"
MODEL_COLUMNS = [{"name": n, "id": n} for n in ("model", "version", "status", "validation")]
# Model rows wrap instead of scrolling sideways.
MODEL_TABLE_STYLE = {
    **TABLE_STYLE,
    "style_cell": {**TABLE_STYLE["style_cell"], "whiteSpace": "normal"},
}


def section() -> html.Div:
    button = {"size": "sm", "className": "me-1 mb-1"}
    return html.Div(
        [
            html.Div("Neural models", className="fw-bold mt-3"),
            dbc.Row(
                [
                    dbc.Col(dbc.Select(id=ids.NEURAL_KIND, options=KINDS, value="cnn", size="sm")),
                    dbc.Col(
                        dbc.Select(
                            id=ids.NEURAL_SYMBOL,
                            size="sm",
                            value=ALL_SYMBOLS,
                            options=[{"label": "all symbols", "value": ALL_SYMBOLS}],
                        )
                    ),
                ],
                className="g-1 mb-1",
            ),
            dbc.Button("Train neural model", id=ids.NEURAL_TRAIN, color="primary", **button),
            dbc.Button("Cancel", id=ids.NEURAL_CANCEL, color="secondary", **button),
            dbc.Progress(
                id=ids.NEURAL_PROGRESS, value=0, className="my-1", style={"height": "6px"}
            ),
            html.Div(id=ids.NEURAL_STATUS, className="small"),
            dbc.Alert(
                id=ids.NEURAL_MESSAGE, is_open=False, className="py-1 px-2 small", fade=False
            ),
            dcc.Graph(
                id=ids.NEURAL_LOSS,
                figure=frozen(loss_figure, (), ""),
                style={"height": "200px"},
                config={"displayModeBar": False},
            ),
            html.Div("Served models (validation, against baselines)", className="fw-bold mt-2"),
            dash_table.DataTable(
                id=ids.NEURAL_MODELS, columns=MODEL_COLUMNS, data=[], **MODEL_TABLE_STYLE
            ),
        ]
    )


def banner() -> html.Div:
    return html.Div(id=ids.NEURAL_BANNER, className="small text-warning")


# ---- pure helpers ----------------------------------------------------------------------
def loss_figure(curve: list[float] | tuple, title: str) -> go.Figure:
    fig = go.Figure(
        go.Scatter(
            x=list(range(1, len(curve) + 1)),
            y=list(curve),
            mode="lines",
            line={"color": ACCENT},
            hovertemplate="batch %{x}: loss %{y:.4f}<extra></extra>",
        )
    )
    fig.update_layout(
        **DARK_LAYOUT,
        margin={"l": 40, "r": 10, "t": 24, "b": 30},
        title={"text": title, "x": 0.01},
        xaxis={"title": "batch"},
        yaxis={"title": "loss"},
        font={"size": 10},
    )
    return fig


def job_text(job) -> str:
    d = job.details
    by = f" (by {job.started_by})" if job.started_by else ""
    text = f"{job.title}{by}: {job.stage}"
    if job.status == RUNNING and "epoch" in d:
        loss = "n/a" if d.get("loss") is None else f"{d['loss']:.4f}"  # NaN arrives as None
        text += f" · epoch {d['epoch']}, batch {d['batch']}/{d['batches']}, loss {loss}"
    elif job.status == "done":
        result = job.result or {}
        decision = result.get("champion", {})
        text = (
            f"Done: {job.title} → version {result.get('model_version')}; champion "
            f"{'moved to it' if decision.get('promoted') else 'unchanged'}"
            f" ({decision.get('reason', '')})"
        )
    elif job.status != RUNNING:
        text = f"{job.title}: {job.status}. {job.message} The champion is unchanged."
    return text


def neural_jobs(orch, kind: str | None = None) -> list:
    kinds = {f"train:{k['value']}" for k in KINDS} if kind is None else {f"train:{kind}"}
    return [j for j in orch.jobs.list() if j.kind in kinds]


def model_rows(served: dict) -> list[dict]:
    from serving.model_catalog import skill_line

    return [
        {
            "model": kind,
            "version": entry.get("version") or "",
            "status": entry.get("status"),
            "validation": skill_line(kind, entry),
        }
        for kind, entry in served.items()
    ]


# ---- callbacks -------------------------------------------------------------------------
@callbacks.callback(
    Output(ids.NEURAL_SYMBOL, "options"),
    Input(ids.TABS, "active_tab"),
    prevent_initial_call=True,  # the page opens on another tab: nothing to fetch yet
)
def symbol_options(tab):
    if tab != "train":
        return no_update
    symbols = orchestrator().config.symbols
    return [{"label": "all symbols", "value": ALL_SYMBOLS}] + [
        {"label": s, "value": s} for s in symbols
    ]


@callbacks.callback(
    Output(ids.NEURAL_MESSAGE, "children"),
    Output(ids.NEURAL_MESSAGE, "is_open"),
    Output(ids.NEURAL_MESSAGE, "color"),
    Input(ids.NEURAL_TRAIN, "n_clicks"),
    Input(ids.NEURAL_CANCEL, "n_clicks"),
    State(ids.NEURAL_KIND, "value"),
    State(ids.NEURAL_SYMBOL, "value"),
    State(ids.USER_NAME, "value"),
    prevent_initial_call=True,
)
def on_neural_action(_train, _cancel, kind, symbol, user=None):
    from dash import ctx

    from runtime.neural_jobs import start_neural_training

    refused = denied("train models")
    if refused:
        return refused, True, "danger"
    orch = orchestrator()
    if ctx.triggered_id == ids.NEURAL_CANCEL:
        running = [j for j in neural_jobs(orch, kind) if j.status == RUNNING]
        if running and orch.jobs.cancel(running[0].id):
            orch.audit.record(acting_name(user), "training cancelled", running[0].title)
            return f"Cancelling {running[0].title}…", True, "info"
        if running and running[0].committed:
            return "Too late to cancel: the model is being registered.", True, "warning"
        return f"No {kind} training is running.", True, "info"
    symbols = None if symbol in (None, ALL_SYMBOLS) else [symbol]
    who = acting_name(user)
    try:
        job = start_neural_training(orch, kind, symbols, started_by=who)
    except (JobBusy, ValueError) as exc:
        return str(exc), True, "danger"
    orch.audit.record(who, "training started", job.title)
    return f"Started: {job.title} (by {who})", True, "info"


@callbacks.callback(
    Output(ids.NEURAL_PROGRESS, "value"),
    Output(ids.NEURAL_STATUS, "children"),
    Output(ids.NEURAL_LOSS, "figure"),
    Output(ids.NEURAL_BANNER, "children"),
    Output(ids.NEURAL_BANNER, "title"),  # the whole text, where the line cuts it short
    Input(ids.TICK, "n_intervals"),
    State(ids.TABS, "active_tab"),
    State(ids.NEURAL_KIND, "value"),
    State(ids.NEURAL_LOSS, "figure"),
)
def neural_progress(_n, tab, kind, shown):
    orch = orchestrator()
    running = [j for j in neural_jobs(orch) if j.status == RUNNING]
    banner = ("Training: " + "; ".join(job_text(j) for j in running)) if running else ""
    if tab != "train":
        return no_update, no_update, no_update, banner, banner
    jobs = neural_jobs(orch, kind)
    curve = list(jobs[0].details.get("curve", [])) if jobs else []
    shown = shown or {}
    shown_points = len((shown.get("data") or [{}])[0].get("y") or [])
    shown_title = ((shown.get("layout") or {}).get("title") or {}).get("text")
    title = f"{kind} training loss"
    # Sent when the curve grew or another kind was picked (its curve may be as long).
    fresh = len(curve) != shown_points or shown_title != title
    figure = loss_figure(curve, title) if fresh else no_update
    if not jobs:
        return 0, f"No {kind} training in this session.", figure, banner, banner
    return round(jobs[0].progress * 100), job_text(jobs[0]), figure, banner, banner


@callbacks.callback(
    Output(ids.NEURAL_MODELS, "data"),
    Input(ids.TABS, "active_tab"),
    Input(ids.NEURAL_STATUS, "children"),
    prevent_initial_call=True,  # the page opens on another tab: nothing to fetch yet
)
def served_table(tab, _status):
    if tab != "train":
        return no_update
    from serving.model_catalog import served_models

    orch = orchestrator()
    return model_rows(served_models(orch.patterns, orch.neural))
