"""The page: header (symbol, overlays, feed status), charts, and the side panels."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.figures.layer_notes import layer_options
from dashboard.figures.theme import DROPDOWN_TEXT
from dashboard.panels import (
    alerts_panel,
    annotations,
    backtest_panel,
    neural_panel,
    predictions_panel,
    replay,
    results_view,
    review_panel,
    side_tabs,
    status,
    training_panel,
)
from dashboard.panels.charts import deep_link, live_charts, tick_clock, time_zone
from dashboard.people import current_person
from runtime.config import Config

OVERLAY_OPTIONS = layer_options()
# The side tab a page opens on. The other tabs' lists load when their tab is opened: their
# callbacks skip the page's opening (``prevent_initial_call``), each one a request and a redraw
# of the page saved (tests/dashboard/test_opening_tab.py).
OPENING_TAB = "annotate"


def symbol_width(symbols: list[str]) -> str:
    """The symbol picker's width: room for the longest symbol, at most 20rem (a name wider than
    that or than the estimate ends in "…"), kept from the first paint. Dash loads the picker
    about a second after the charts; a picker as wide as its name would push the header's other
    controls right under the pointer then, and again each time a longer symbol is picked."""
    longest = max((len(s) for s in symbols), default=0)
    return f"clamp(11rem, calc({longest}ch + 3.5rem), 20rem)"


def header(config: Config, symbols: list[str]) -> html.Div:
    width = symbol_width(symbols)
    return html.Div(
        dbc.Row(
            [
                dbc.Col(html.H5(config.dashboard.title, className="mb-0"), width="auto"),
                dbc.Col(
                    html.Div(
                        dcc.Dropdown(
                            id=ids.SYMBOL,
                            options=[{"label": s, "value": s} for s in symbols],
                            value=symbols[0],
                            clearable=False,
                            style={"width": width, "color": DROPDOWN_TEXT},
                        ),
                        style={"width": width},  # the picker's room before it loads
                    ),
                    width="auto",
                ),
                dbc.Col(
                    dcc.Checklist(
                        id=ids.OVERLAYS,
                        options=OVERLAY_OPTIONS,
                        value=[o["value"] for o in OVERLAY_OPTIONS],
                        inline=True,
                        inputClassName="ms-2",
                    ),
                    width="auto",
                ),
                dbc.Col(
                    html.Div(
                        [
                            html.Span("pattern confidence ≥", className="small me-1"),
                            dcc.Slider(
                                id=ids.PATTERN_MIN_CONF,
                                min=0,
                                max=1,
                                step=0.05,
                                value=config.dashboard.pattern_min_confidence,
                                marks={0: "0", 0.5: "0.5", 1: "1"},
                                tooltip={"placement": "bottom"},
                                className="flex-grow-1",
                            ),
                        ],
                        className="d-flex align-items-center",
                        # the slider's own height, kept from the first paint: Dash loads the
                        # slider a moment after the charts, and the header would grow then
                        style={"minWidth": "14rem", "minHeight": "42px"},
                    ),
                    width="auto",
                ),
                dbc.Col(time_zone.layout(), width="auto"),
                dbc.Col([status.layout(), neural_panel.banner()], className="status-col"),
                *sign_out(config),
            ],
            align="center",
            className="g-2",
        ),
        className="app-header",
    )


def sign_out(config: Config) -> list:
    """With a token: who is signed in, and a link that signs this browser out (its session
    cookie stops working)."""
    if not config.server.auth_on:
        return []
    person = current_person()
    who = html.Span(f"{person.name} · {person.role}", id=ids.SIGNED_IN, className="small me-2")
    link = html.A("Sign out", href="/logout", id=ids.SIGN_OUT, className="small text-muted")
    return [dbc.Col([who, link], width="auto")]


def page(
    config: Config, symbols: list[str], side_panels: list, ann_version: str | int = 0
) -> html.Div:
    """Built per page load (Dash calls it), so the symbol list includes imported symbols.
    ``ann_version``: the annotations' version now (``annotations.stores``)."""
    # the results view opens over the charts (backtests, searches, walk-forwards)
    charts = dbc.Col([results_view.layout(), replay.layout(), live_charts.layout()],
                     lg=8 if side_panels else 12, className="charts-col")  # fmt: skip
    body = [charts]
    if side_panels:
        tabs = side_tabs.layout(side_panels, OPENING_TAB)
        body.append(dbc.Col(tabs, lg=4, className="side-panel"))
    return html.Div(
        [
            header(config, symbols),
            *deep_link.layout(),
            dbc.Container(dbc.Row(body, className="g-2 mt-1"), fluid=True),
            *tick_clock.layout(config.dashboard),
            *annotations.stores(ann_version),
            *review_panel.stores(),
            *training_panel.stores(),
            *predictions_panel.stores(),
            *backtest_panel.stores(),
            *results_view.stores(),
            *alerts_panel.page_parts(),
        ]
    )
