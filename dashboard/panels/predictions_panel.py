"""The Predictions panel: filters for the prediction overlays (kind, source, model version,
minimum confidence per kind, outcome), applied to the charts and to the download; a count of
what passes; and the details card a click on a marker opens."""

from __future__ import annotations

import io
import json

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from core.timefmt import format_ms
from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from dashboard.figures.theme import DROPDOWN_TEXT
from predictions.book import KINDS, SOURCES
from predictions.export import csv_text, export_frame, select
from predictions.queries import OUTCOMES, PredictionFilter, outcome_of, stored

callbacks = CallbackSet()

KIND_LABELS = {"dqn": "DQN", "cnn": "CNN", "transformer": "Transformer"}


def _checklist(id_, values, labels=None):
    return dcc.Checklist(
        id=id_,
        options=[{"label": f" {(labels or {}).get(v, v)}", "value": v} for v in values],
        value=list(values),
        inline=True,
        inputClassName="ms-2",
        className="small mb-1",
    )


def layout() -> dbc.Tab:
    floors = [
        dbc.Col(
            [
                html.Div(f"{KIND_LABELS[k]} ≥", className="small"),
                dbc.Input(
                    id=ids.pred_min_conf(k),
                    type="number",
                    min=0,
                    max=1,
                    step=0.05,
                    value=0,
                    size="sm",
                    className=f"pred-min-conf-{k}",
                ),  # fmt: skip
            ]
        )
        for k in KINDS
    ]
    body = html.Div(
        [
            html.Div("Kind", className="fw-bold small"),
            _checklist(ids.PRED_KINDS, KINDS, KIND_LABELS),
            html.Div("Source", className="fw-bold small"),
            _checklist(ids.PRED_SOURCES, SOURCES),
            html.Div("Outcome", className="fw-bold small"),
            _checklist(ids.PRED_OUTCOMES, OUTCOMES),
            html.Div("Model version (none picked: all)", className="fw-bold small"),
            dcc.Dropdown(
                id=ids.PRED_VERSIONS,
                options=[],
                value=[],
                multi=True,
                placeholder="all versions",
                style={"color": DROPDOWN_TEXT},
            ),  # fmt: skip
            html.Div("Minimum confidence", className="fw-bold small mt-1"),
            dbc.Row(floors, className="g-1"),
            html.Div(id=ids.PRED_SUMMARY, className="small my-2"),
            dbc.Button("Download CSV", id=ids.PRED_DOWNLOAD_CSV, size="sm", className="me-1"),
            dbc.Button("Download Parquet", id=ids.PRED_DOWNLOAD_PARQUET, size="sm"),
            html.Div(
                "Downloads hold the selected symbol's predictions that pass the filters.",
                className="small text-muted mt-1",
            ),  # fmt: skip
        ],
        className="p-2",
    )
    return dbc.Tab(body, label="Predictions", tab_id="predictions")


def stores() -> list:
    """Page-level parts: the filter store, the download target, the details card."""
    return [
        dcc.Store(id=ids.PRED_FILTER, data=filter_data(KINDS, SOURCES, OUTCOMES, [], {})),
        dcc.Download(id=ids.PRED_DOWNLOAD),
        dbc.Modal(
            [
                dbc.ModalHeader(dbc.ModalTitle("Prediction")),
                dbc.ModalBody(id=ids.PRED_DETAILS_BODY),
                dbc.ModalFooter(dbc.Button("Close", id=ids.PRED_DETAILS_CLOSE, size="sm")),
            ],
            id=ids.PRED_DETAILS,
            is_open=False,
            size="lg",
            scrollable=True,
        ),
    ]


@callbacks.callback(
    Output(ids.PRED_FILTER, "data"),
    Input(ids.PRED_KINDS, "value"),
    Input(ids.PRED_SOURCES, "value"),
    Input(ids.PRED_OUTCOMES, "value"),
    Input(ids.PRED_VERSIONS, "value"),
    Input(ids.pred_min_conf(ALL), "value"),
    State(ids.pred_min_conf(ALL), "id"),
    prevent_initial_call=True,
)
def build_filter(kinds, sources, outcomes, versions, floors, floor_ids):
    min_confidence = {i["kind"]: float(v) for i, v in zip(floor_ids, floors, strict=True)
                      if isinstance(v, (int, float)) and v > 0}  # fmt: skip
    return filter_data(kinds, sources, outcomes, versions, min_confidence)


def filter_data(kinds, sources, outcomes, versions, min_confidence: dict) -> dict:
    """The filter store's data (the page opens with it: every box ticked, no floor)."""
    return {"kinds": list(kinds or []), "sources": list(sources or []),
            "outcomes": list(outcomes or []), "versions": list(versions or []),
            "min_confidence": min_confidence}  # fmt: skip


def summary(predictions: dict[str, list[dict]], flt: PredictionFilter) -> str:
    shown = [p for items in flt.apply(predictions).values() for p in items]
    counts = {o: sum(1 for p in shown if outcome_of(p) == o) for o in OUTCOMES}
    return (f"{len(shown)} held predictions pass: {counts['hit']} hits, {counts['miss']} misses,"
            f" {counts['pending']} pending")  # fmt: skip


@callbacks.callback(
    Output(ids.PRED_SUMMARY, "children"),
    Output(ids.PRED_VERSIONS, "options"),
    Input(ids.PRED_FILTER, "data"),
    Input(ids.TICK, "n_intervals"),
    Input(ids.SYMBOL, "value"),
)
def refresh_summary(filters, _n, symbol):
    orch = orchestrator()
    predictions = orch.predictions.snapshot(symbol)
    versions = sorted({str(p.get("model_version")) for items in predictions.values()
                       for p in items})  # fmt: skip
    options = [{"label": v, "value": v} for v in versions]
    return summary(predictions, PredictionFilter.from_dict(filters)), options


@callbacks.callback(
    Output(ids.PRED_DOWNLOAD, "data"),
    Input(ids.PRED_DOWNLOAD_CSV, "n_clicks"),
    Input(ids.PRED_DOWNLOAD_PARQUET, "n_clicks"),
    State(ids.PRED_FILTER, "data"),
    State(ids.SYMBOL, "value"),
    prevent_initial_call=True,
)
def download(_csv, _parquet, filters, symbol):
    orch = orchestrator()
    frame = export_frame(select(orch.db, symbol, flt=PredictionFilter.from_dict(filters)))
    name = f"predictions_{symbol.replace('/', '-')}"
    if ctx.triggered_id == ids.PRED_DOWNLOAD_PARQUET:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return dcc.send_bytes(buffer.getvalue(), f"{name}.parquet")
    return dcc.send_string(csv_text(frame), f"{name}.csv")


# ---- details card --------------------------------------------------------------------------
HEAD_FIELDS = ("model", "model_version", "run_id", "source", "backtest_id")


def _value(name: str, value) -> str:
    if name in ("timestamp", "resolved_at", "stored_at", "entry_time") and isinstance(value, int):
        return f"{format_ms(value)} UTC ({value})"
    if isinstance(value, float):
        return f"{value:.6g}"
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def details(prediction: dict) -> list:
    """The card: who made it (model, version, run, source, backtest), its outcome, every field."""
    outcome = outcome_of(prediction)
    head = [html.Div([html.Span(f"{name}: ", className="text-muted"),
                      html.Span(_value(name, prediction.get(name)), className=f"pred-{name}")])
            for name in HEAD_FIELDS
            if name != "backtest_id" or prediction.get(name) is not None]  # fmt: skip
    badge = {"hit": "success", "miss": "danger", "pending": "secondary"}[outcome]
    rows = [html.Tr([html.Td(name), html.Td(_value(name, value))])
            for name, value in sorted(prediction.items())]  # fmt: skip
    return [
        html.H6(
            [
                f"{prediction['kind']} · {prediction['symbol']} ",
                dbc.Badge(outcome, color=badge, className="pred-outcome"),
            ]
        ),  # fmt: skip
        *head,
        dbc.Table(html.Tbody(rows), size="sm", className="mt-2 pred-fields", color="dark"),
    ]


def find_prediction(orch, prediction_id: str) -> dict | None:
    rows = orch.db.query("SELECT seq FROM predictions WHERE id = ?", (prediction_id,))
    if not rows:
        return None
    found = stored(orch.db, after_seq=rows[0]["seq"] - 1, limit=1)
    return found[0] if found else None


@callbacks.callback(
    Output(ids.PRED_DETAILS, "is_open"),
    Output(ids.PRED_DETAILS_BODY, "children"),
    Input(ids.chart(ALL, ALL), "clickData"),
    Input(ids.PRED_DETAILS_CLOSE, "n_clicks"),
    prevent_initial_call=True,
)
def show_details(_clicks, _close):
    if ctx.triggered_id == ids.PRED_DETAILS_CLOSE:
        return False, no_update
    clicked = ctx.triggered[0]["value"] if ctx.triggered else None
    points = (clicked or {}).get("points") or []
    # The chart hovers by x (crosshair): a click reports the candle and every marker at that
    # time, so take the first point that carries a prediction id.
    ids_at = [p.get("customdata") for p in points if isinstance(p.get("customdata"), str)]
    prediction_id = ids_at[0] if ids_at else None
    if prediction_id is None:
        return no_update, no_update  # a candle or a band, not a prediction
    prediction = find_prediction(orchestrator(), prediction_id)
    if prediction is None:
        return True, html.Div(f"Prediction {prediction_id} is no longer stored.")
    return True, details(prediction)
