"""The Models tab: for each model kind, version and symbol, how often its predictions came true
over time (last 50 and last 200) beside the majority and 50 % baselines, its error against the
naive forecast, and its calibration. The same figures as ``GET /api/predictions/accuracy``."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from dashboard.figures.accuracy_charts import accuracy_figure, has_edge, headline
from predictions.accuracy import accuracy
from predictions.book import KINDS
from runtime.accuracy_report import DEFAULT_SOURCES, pattern_scores, scored_predictions

callbacks = CallbackSet()

SHORT, LONG = 50, 200


def layout() -> dbc.Tab:
    body = html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Select(
                            id=ids.MODELS_KIND,
                            options=[{"label": "all kinds", "value": "all"}]
                            + [{"label": k, "value": k} for k in KINDS],
                            value="all",
                            size="sm",
                        )
                    ),
                    dbc.Col(dbc.Button("Refresh", id=ids.MODELS_REFRESH, size="sm"), width="auto"),
                    dbc.Col(
                        dbc.Checklist(
                            id=ids.MODELS_IN_SAMPLE,
                            options=[{"label": " include in-sample", "value": "in"}],
                            value=[],
                            switch=True,
                            className="small",
                        ),
                        width="auto",
                    ),
                ],
                className="g-1 mb-2",
            ),
            html.Div([], id=ids.MODELS_BODY),
        ],
        className="p-2",
    )
    return dbc.Tab(body, label="Models", tab_id="models")


def group_key(group: dict) -> tuple:
    return group["kind"], group["model_version"], group["symbol"], group["source"]


def group_cards(shorts: list[dict], long_groups: list[dict]) -> list:
    """One card per (kind, version, symbol, source) with its headline and accuracy figure (the
    groups of ``predictions.accuracy.accuracy`` over the short and the long window): live and
    backtest predictions apart, never mixed."""
    longs = {group_key(g): g for g in long_groups}
    cards = []
    for short in shorts:
        key = group_key(short)
        long = longs[key]
        edge = has_edge(long)
        title = f"{key[0]} v{key[1] or '-'} · {key[2]} · {long['n']} resolved · {key[3]}"
        if long.get("in_sample"):
            title += f" ({long['in_sample']} in-sample)"
        cards.append(
            dbc.Card(
                [
                    dbc.CardHeader(
                        [
                            title,
                            " ",
                            dbc.Badge(
                                "beats its baselines" if edge else "no edge over baseline",
                                color="success" if edge else "warning",
                                className="ms-1",
                            ),
                        ]
                    ),  # fmt: skip
                    dbc.CardBody(
                        [
                            html.Div(headline(short, long), className="small models-headline"),
                            dcc.Graph(
                                figure=accuracy_figure(short, long), config={"displaylogo": False}
                            ),
                        ],
                        className="p-1",
                    ),  # fmt: skip
                ],
                className="mb-2 models-card",
            )
        )
    return cards


def pattern_lines(scores: dict[str, dict]) -> list:
    """The pattern classifier against accepted human spans, where there are any."""
    return [
        html.Div(
            f"pattern classifier {timeframe}: {s['hits']} of {s['scored']} spans overlapping an"
            f" accepted human span agree with it ({s['hit_rate']:.0%})",
            className="small models-pattern",
        )
        for timeframe, s in scores.items()
        if s["scored"]
    ]


@callbacks.callback(
    Output(ids.MODELS_BODY, "children"),
    Input(ids.MODELS_REFRESH, "n_clicks"),
    Input(ids.MODELS_KIND, "value"),
    Input(ids.SYMBOL, "value"),
    Input(ids.TABS, "active_tab"),
    Input(ids.MODELS_IN_SAMPLE, "value"),
    prevent_initial_call=True,
)
def refresh_models(_n, kind, symbol, tab, in_sample=None):
    if tab != "models":
        return []  # built when shown
    orch = orchestrator()
    kind = None if kind in (None, "", "all") else kind
    include = bool(in_sample)
    shorts, longs, excluded, included = [], [], 0, 0
    for source in DEFAULT_SOURCES:  # one source at a time: its counts are its own
        # The newest limits.accuracy_predictions resolved ones per model version: a bounded read.
        scored = scored_predictions(orch, symbol, (kind,) if kind else None, (source,), include)
        shorts += accuracy(scored.rows, SHORT, scored.totals, by_source=True)
        longs += accuracy(scored.rows, LONG, scored.totals, by_source=True)
        excluded, included = excluded + scored.excluded, included + scored.included
    cards = group_cards(shorts, longs)
    if excluded:
        cards.insert(0, html.Div(
            f"{excluded:,} in-sample predictions left out (made inside their model's training"
            " period, on a symbol it was trained on): they are no evidence of skill.",
            className="small text-muted models-in-sample",
        ))  # fmt: skip
    elif included:
        cards.insert(0, html.Div(
            f"{included:,} in-sample predictions included, counted in each card's title.",
            className="small text-warning models-in-sample",
        ))  # fmt: skip
    if not kind:
        cards += pattern_lines(pattern_scores(orch, symbol))
    if not cards:
        return html.Div(
            f"No resolved live or backtest predictions for {symbol} yet: a prediction is scored"
            " once its horizon has passed on the candles (training-time ones are in-sample and"
            " left out).",
            className="small text-muted",
        )
    return cards
