"""Each chart's indicator menu: overlays (SMA, EMA, Bollinger, VWAP), one sub-panel (RSI, MACD or
ATR) and their parameters. Chosen per chart and remembered in the browser (Dash persistence in
localStorage); the checked settings go to the chart's ``indicator_settings`` store, which the
chart's tick reads (``live_charts.refresh_chart``)."""

from __future__ import annotations

from dash import MATCH, Input, Output, State, dcc, html, no_update

from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.figures.indicator_traces import NO_PANEL, chart_specs
from market import indicators

callbacks = CallbackSet()

PARAMS = tuple((name, param) for name, kind in indicators.KINDS.items() for param in kind.params)
PARAM_KEYS = tuple(f"{name}.{param.name}" for name, param in PARAMS)


def _remembered(timeframe: str) -> dict:
    # One memory per chart (its timeframe), kept across reloads and symbols.
    return {"persistence": f"indicators-{timeframe}", "persistence_type": "local"}


def menu(timeframe: str) -> html.Details:
    """The collapsed menu at the chart's top left; open, it floats over the chart."""
    params = [
        html.Label(
            [
                f"{indicators.KINDS[name].label} {param.name}",
                dcc.Input(
                    id=ids.indicator_param(timeframe, f"{name}.{param.name}"),
                    # Text, read by ``indicators.parse``: what was typed reaches the check as
                    # typed, so a bad value is named rather than silently blanked.
                    type="text",
                    inputMode="decimal",
                    value=f"{param.default:g}",
                    debounce=True,
                    className="indicator-param",
                    **_remembered(timeframe),
                ),
            ],
            className="me-2",
        )
        for name, param in PARAMS
    ]
    return html.Details(
        [
            html.Summary("Indicators"),
            html.Div(
                [
                    dcc.Checklist(
                        id=ids.indicator_overlays(timeframe),
                        options=[
                            {"label": indicators.KINDS[n].label, "value": n}
                            for n in indicators.OVERLAYS
                        ],  # fmt: skip
                        value=[],
                        inline=True,
                        inputClassName="me-1",
                        labelClassName="me-2",
                        **_remembered(timeframe),
                    ),
                    dcc.RadioItems(
                        id=ids.indicator_panel(timeframe),
                        options=[{"label": "no panel", "value": NO_PANEL}]
                        + [{"label": n, "value": n} for n in indicators.PANELS],
                        value=NO_PANEL,
                        inline=True,
                        inputClassName="me-1",
                        labelClassName="me-2",
                        **_remembered(timeframe),
                    ),
                    html.Div(params, className="indicator-params"),
                    html.Div(id=ids.indicator_error(timeframe), className="text-danger small"),
                ],
                className="indicator-body",
            ),
        ],
        className="indicator-menu",
    )


def settings_from(overlays, panel, values) -> dict:
    return {"overlays": list(overlays or []), "panel": panel or NO_PANEL,
            "params": dict(zip(PARAM_KEYS, values, strict=True))}  # fmt: skip


# What a chart's store holds before the menu reports: the menu's own defaults (no indicator), as
# the chart is first drawn. A menu that reports the same settings then leaves the store alone.
DEFAULT_SETTINGS = settings_from([], NO_PANEL, [f"{param.default:g}" for _, param in PARAMS])


def settings_store(timeframe: str) -> dcc.Store:
    return dcc.Store(id=ids.indicator_settings(timeframe), data=DEFAULT_SETTINGS)


@callbacks.callback(
    Output(ids.indicator_settings(MATCH), "data"),
    Output(ids.indicator_error(MATCH), "children"),
    Input(ids.indicator_overlays(MATCH), "value"),
    Input(ids.indicator_panel(MATCH), "value"),
    *[Input(ids.indicator_param(MATCH, key), "value") for key in PARAM_KEYS],
    State(ids.indicator_settings(MATCH), "data"),
)
def check_settings(overlays, panel, *values_and_stored):
    """Settings the chart can draw reach it; others keep the last good ones and say why.
    Settings equal to the stored ones are not sent again: as the page opens, the menu's report
    would otherwise cost each chart one more refresh and redraw (a patched figure)."""
    *values, stored = values_and_stored
    settings = settings_from(overlays, panel, values)
    if settings == stored:
        return no_update, ""
    try:
        chart_specs(settings)
    except ValueError as exc:
        return no_update, str(exc)
    return settings, ""
