"""The Train panel: build a dataset from accepted labels, train a pattern classifier in the
background with progress and Cancel, list recent runs and show the champion's per-class metrics."""

from __future__ import annotations

from html import escape

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, ctx, dash_table, dcc, html, no_update

from core.jobs import JobBusy
from core.timefmt import format_ms
from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from dashboard.figures.theme import (
    ACCENT,
    DARK_LAYOUT,
    TABLE_STYLE,
)
from dashboard.panels import champion_panel, neural_panel
from dashboard.people import acting_name, denied
from serving.pattern_inference import NoModel

callbacks = CallbackSet()

MODEL_TYPES = [{"label": "XGBoost", "value": "xgboost"},
               {"label": "Random forest", "value": "random_forest"}]  # fmt: skip
RUN_COLUMNS = [
    {"name": "started (UTC)", "id": "created_text"},
    {"name": "model", "id": "model_type"},
    {"name": "version", "id": "version"},
    {"name": "dataset", "id": "dataset"},
    {"name": "val F1", "id": "val"},
    {"name": "test F1", "id": "test"},
    {"name": "champion", "id": "champion_mark"},
    {"name": "status", "id": "status"},
    {"name": "by", "id": "started_by"},
]
# fmt: skip


# The F1 chart shows once there is a model (an empty chart reads as a broken one).
HIDDEN_CHART = {"height": "240px", "display": "none"}
SHOWN_CHART = {"height": "240px"}


def _button(label, id_, color="secondary"):
    return dbc.Button(label, id=id_, color=color, size="sm", className="me-1 mb-1")


def layout(default_model: str) -> dbc.Tab:
    body = html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Select(
                            id=ids.TRAIN_MODEL, options=MODEL_TYPES, value=default_model, size="sm"
                        )
                    ),
                    dbc.Col(
                        dbc.Select(
                            id=ids.TRAIN_DATASET,
                            options=[],
                            size="sm",
                            placeholder="newest dataset",
                        )
                    ),
                ],
                className="g-1 mb-1",
            ),
            _button("Build dataset from accepted labels", ids.TRAIN_BUILD),
            html.Div(
                [_button("Train", ids.TRAIN_RUN, "primary"), _button("Cancel", ids.TRAIN_CANCEL)],
            ),
            dbc.Progress(id=ids.TRAIN_PROGRESS, value=0, className="my-1", style={"height": "6px"}),
            html.Div(id=ids.TRAIN_STATUS, className="small"),
            dbc.Alert(id=ids.TRAIN_MESSAGE, is_open=False, className="py-1 px-2 small", fade=False),
            html.Div("Recent runs", className="fw-bold mt-2"),
            dash_table.DataTable(
                id=ids.TRAIN_RUNS, columns=RUN_COLUMNS, data=[], page_size=8, **TABLE_STYLE
            ),
            champion_panel.layout(),
            html.Div(id=ids.TRAIN_CHAMPION, className="fw-bold mt-2"),
            dash_table.DataTable(
                id=ids.TRAIN_CLASSES,
                columns=[
                    {"name": n, "id": n} for n in ("label", "precision", "recall", "f1", "support")
                ],
                data=[],
                page_size=12,
                **TABLE_STYLE,
            ),  # fmt: skip
            dcc.Graph(
                id=ids.TRAIN_CLASS_CHART,
                figure=go.Figure(),
                style=HIDDEN_CHART,
                config={"displayModeBar": False},
            ),
            neural_panel.section(),
        ],
        className="p-2",
    )
    return dbc.Tab(body, label="Train", tab_id="train")


def stores() -> list:
    return [dcc.Store(id=ids.TRAIN_JOB), dcc.Store(id=ids.TRAIN_VERSION, data="")]


# ---- pure helpers ----------------------------------------------------------------------
def run_rows(runs: list[dict]) -> list[dict]:
    def score(run, key):
        # A killed or failed run has no scores to show, even if it logged some before it stopped.
        value = run.get(key) if run.get("status") in (None, "FINISHED") else None
        return "" if value is None else f"{value:.3f}"

    return [
        {
            **run,
            "created_text": format_ms(run.get("created")),
            "val": score(run, "val_macro_f1"),
            "test": score(run, "test_macro_f1"),
            "champion_mark": "★ champion" if run.get("champion") else "",
        }
        for run in runs
    ]


def class_rows(per_class: dict) -> list[dict]:
    return [
        {"label": label, **{k: round(float(v), 3) if k != "support" else int(v)
                            for k, v in scores.items()
                            if k in ("precision", "recall", "f1", "support")}}
        for label, scores in sorted(per_class.items())
    ]  # fmt: skip


def class_chart(rows: list[dict]) -> go.Figure:
    fig = go.Figure(
        # Labels are people's text: plotly renders markup in axis labels and hover.
        go.Bar(x=[escape(r["label"]) for r in rows], y=[r["f1"] for r in rows], marker_color=ACCENT,
               hovertemplate="%{x}: F1 %{y:.3f}<extra></extra>")
    )  # fmt: skip
    fig.update_layout(
        **DARK_LAYOUT,
        margin={"l": 30, "r": 10, "t": 24, "b": 60}, title={"text": "F1 per class", "x": 0.01},
        yaxis={"range": [0, 1]}, font={"size": 10},
    )  # fmt: skip
    return fig


def dataset_options(orch) -> list[dict]:
    from training.datasets import list_datasets

    return [
        {
            "label": f"{m['version']} · {m.get('rows', '?')} rows · "
            + ", ".join(
                f"{k} {v}" for k, v in (m.get("label_counts") or {}).items() if k != "none"
            ),
            "value": m["version"],
        }
        for m in list_datasets(orch.config.datasets_path)
    ]


# ---- callbacks -------------------------------------------------------------------------
@callbacks.callback(
    Output(ids.TRAIN_DATASET, "options"),
    Input(ids.TRAIN_VERSION, "data"),
    Input(ids.TABS, "active_tab"),
    prevent_initial_call=True,  # the page opens on another tab: nothing to fetch yet
)
def refresh_datasets(_version, tab):
    if tab != "train":
        return no_update
    return dataset_options(orchestrator())


@callbacks.callback(
    Output(ids.TRAIN_MESSAGE, "children"),
    Output(ids.TRAIN_MESSAGE, "is_open"),
    Output(ids.TRAIN_MESSAGE, "color"),
    Output(ids.TRAIN_JOB, "data"),
    Output(ids.TRAIN_VERSION, "data", allow_duplicate=True),
    Output(ids.TRAIN_STATUS, "children", allow_duplicate=True),
    Input(ids.TRAIN_BUILD, "n_clicks"),
    Input(ids.TRAIN_RUN, "n_clicks"),
    Input(ids.TRAIN_CANCEL, "n_clicks"),
    State(ids.TRAIN_MODEL, "value"),
    State(ids.TRAIN_DATASET, "value"),
    State(ids.TRAIN_JOB, "data"),
    State(ids.USER_NAME, "value"),
    prevent_initial_call=True,
)
def on_train_action(_build, _run, _cancel, model_type, dataset, job_id, user=None):
    """Errors show in the alert; a job that starts or is cancelled shows in the status line,
    which follows it to its end (an alert saying "Started" would outlive the job)."""
    from runtime.training_jobs import start_dataset_build, start_training
    from training.datasets import DatasetError

    def error(text):
        return text, True, "danger", no_update, no_update, no_update

    def status(text, job=no_update):
        return "", False, "info", job, no_update, text

    orch = orchestrator()
    action = ctx.triggered_id
    refused = denied("build datasets" if action == ids.TRAIN_BUILD else "train models")
    if refused:
        return error(refused)
    if action == ids.TRAIN_CANCEL:
        if job_id and orch.jobs.cancel(job_id):
            orch.audit.record(acting_name(user), "training cancelled", orch.jobs.get(job_id).title)
            return status("Cancelling…")
        job = orch.jobs.get(job_id) if job_id else None
        if job is not None and job.status == "running" and job.committed:
            text = "Too late to cancel: the model is being registered."
            return text, True, "warning", no_update, no_update, no_update
        return "No training is running.", True, "info", no_update, no_update, no_update
    who = acting_name(user)
    if action == ids.TRAIN_BUILD:
        try:
            job = start_dataset_build(orch, started_by=who)
        except (DatasetError, JobBusy) as exc:
            return error(str(exc))
        orch.audit.record(who, "dataset build started", job.title)
        return status(f"Started: {job.title} (by {who})", job.id)
    try:
        job = start_training(orch, model_type, dataset or None, started_by=who)
    except (JobBusy, ValueError, KeyError) as exc:
        return error(str(exc))
    orch.audit.record(who, "training started", job.title)
    return status(f"Started: {job.title} (by {who})", job.id)


def _f1(value) -> str:
    """A macro-F1 as the status line prints it (a NaN stored as JSON reads back as None)."""
    return "n/a" if value is None else f"{value:.3f}"


@callbacks.callback(
    Output(ids.TRAIN_PROGRESS, "value"),
    Output(ids.TRAIN_PROGRESS, "label"),
    Output(ids.TRAIN_STATUS, "children"),
    Output(ids.TRAIN_VERSION, "data"),
    Input(ids.TRAIN_TICK, "data"),
    State(ids.TRAIN_JOB, "data"),
    State(ids.TRAIN_VERSION, "data"),
    prevent_initial_call=True,
)
def training_progress(_n, job_id, shown_version):
    job = orchestrator().jobs.get(job_id) if job_id else None
    if job is None:
        return no_update, no_update, no_update, no_update
    pct = round(job.progress * 100)
    if job.status == "running":
        return pct, f"{pct}%", f"{job.title}: {job.stage}", no_update
    if job.status == "done" and job.kind == "dataset":
        result = job.result or {}
        text = (
            f"Dataset {result.get('version')}: {result.get('rows')} rows ({result.get('labels')})"
        )
    elif job.status == "done":
        result = job.result or {}
        decision = result.get("champion", {})
        text = (
            f"Done: version {result.get('model_version')}, validation macro-F1 "
            f"{_f1(result.get('val_macro_f1'))}; champion "
            f"{'moved to it' if decision.get('promoted') else 'unchanged'}"
            f" ({decision.get('reason', '')})"
        )
        if result.get("warnings"):
            text = html.Div([text, *(html.Div(f"⚠ {w}", className="text-warning train-warning")
                                     for w in result["warnings"])])  # fmt: skip
    elif job.kind == "dataset":
        text = f"{job.title}: {job.status}. {job.message}"
    else:
        text = f"{job.title}: {job.status}. {job.message} The champion is unchanged."
    version = f"job:{job.id}:{job.status}"
    return pct, f"{pct}%", text, (no_update if version == shown_version else version)


@callbacks.callback(
    Output(ids.TRAIN_RUNS, "data"),
    Output(ids.TRAIN_CHAMPION, "children"),
    Output(ids.TRAIN_CLASSES, "data"),
    Output(ids.TRAIN_CLASS_CHART, "figure"),
    Output(ids.TRAIN_CLASS_CHART, "style"),
    Input(ids.TRAIN_VERSION, "data"),
    Input(ids.TABS, "active_tab"),
    prevent_initial_call=True,  # the page opens on another tab: nothing to fetch yet
)
def refresh_runs(_version, tab):
    """Reads MLflow only when the Train tab is open (importing mlflow takes seconds)."""
    if tab != "train":
        return no_update, no_update, no_update, no_update, no_update
    from training.tracking import Tracker

    orch = orchestrator()
    training = orch.config.training
    tracker = Tracker.from_config(training, orch.config.data_path)
    try:
        runs = run_rows(tracker.list_runs(20, training.registered_model))
    except Exception as exc:  # a remote tracking server down, a busy store: say so, keep going
        return [], f"Could not read the MLflow runs: {exc}", [], class_chart([]), HIDDEN_CHART
    try:
        loaded = orch.patterns.current()
    except NoModel:
        return runs, "No champion yet: train a model.", [], class_chart([]), HIDDEN_CHART
    metrics = loaded.info.get("metrics") or {}
    period = "test" if "test" in metrics else "val"
    rows = class_rows(metrics.get(period, {}).get("per_class", {}))
    title = (
        f"Champion: {loaded.info['type']} version {loaded.info['version']} · "
        f"{period} macro-F1 {metrics.get(period, {}).get('macro_f1', 0):.3f}"
    )
    return runs, title, rows, class_chart(rows), SHOWN_CHART
