"""The page's time zone switch: times in the page read in UTC (the default) or the browser's
own zone. The browser remembers the choice (Dash persistence in localStorage) and
assets/time_zone.js applies it where the page prints times; exports and the API stay UTC."""

from __future__ import annotations

from dash import dcc, html

from dashboard import ids

ZONES = ({"label": "UTC", "value": "utc"}, {"label": "local", "value": "local"})


def layout() -> html.Div:
    switch = dcc.RadioItems(
        id=ids.TIME_ZONE,
        options=list(ZONES),
        value="utc",
        inline=True,
        persistence=True,
        persistence_type="local",
        className="time-zone small",
        inputClassName="ms-2 me-1",
    )
    return html.Div(switch, title="Times in the page: UTC or your browser's zone")
