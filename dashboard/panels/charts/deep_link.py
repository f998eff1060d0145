"""Deep links: ``?symbol=ETH/USDT&tf=5m[&from=MS&to=MS]`` opens that view (the symbol, the
minute chart's timeframe, its visible range).

The server reads the link once per page load (``dcc.Location``); the browser keeps the address
following the selection with ``history.replaceState`` (assets/deep_link.js), so panning writes
no history entries and the address is always a link to what is on screen. A link with a bad
value opens the default view and says which parameter is wrong.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, no_update

from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from dashboard.figures.chart_series import AUTO, MINUTE_CHART_CHOICES

callbacks = CallbackSet()

PARAMS = ("symbol", "tf", "from", "to")
MAX_MS = 2**53


def layout() -> list:
    return [
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.LINK_VIEW),
        # Floats over the header: a bad link must not move the page it opens.
        dbc.Alert(
            id=ids.LINK_MESSAGE,
            is_open=False,
            dismissable=True,
            color="warning",
            className="link-message py-1 px-2 small",
        ),  # fmt: skip
    ]


class LinkRefused(ValueError):
    """A link parameter that can't be shown; the message names it."""


def _ms(params: dict, name: str) -> int | None:
    if name not in params:
        return None
    text = params[name]
    try:
        value = int(text)
    except ValueError:
        raise LinkRefused(f"{name}={text[:30]!r} is not a time in epoch milliseconds") from None
    if not 0 <= value < MAX_MS:
        raise LinkRefused(f"{name}={value} is out of range")
    return value


def parse_link(search: str | None, symbols: list[str]) -> dict | None:
    """The view a query string asks for: ``{"symbol", "tf", "range"}`` (range ``[from, to]``
    or None), None for a link without view parameters. Raises ``LinkRefused`` naming the first
    bad parameter."""
    raw = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    params = {k: v[-1].strip() for k, v in raw.items() if k in PARAMS}
    if not params:
        return None
    symbol = params.get("symbol") or symbols[0]
    if symbol not in symbols:
        raise LinkRefused(f"symbol={symbol[:40]!r} is not served here ({', '.join(symbols[:5])})")
    tf = params.get("tf") or AUTO
    if tf not in MINUTE_CHART_CHOICES:
        raise LinkRefused(f"tf={tf[:20]!r} is not one of {', '.join(MINUTE_CHART_CHOICES)}")
    start, end = _ms(params, "from"), _ms(params, "to")
    if (start is None) != (end is None):
        raise LinkRefused("from and to go together: the link gives only one of them")
    if start is not None and start >= end:
        raise LinkRefused(f"from={start} is not before to={end}")
    return {"symbol": symbol, "tf": tf, "range": [start, end] if start is not None else None}


@callbacks.callback(
    Output(ids.SYMBOL, "value"),
    Output(ids.CHART_TIMEFRAME, "value"),
    Output(ids.LINK_VIEW, "data"),
    Output(ids.LINK_MESSAGE, "children"),
    Output(ids.LINK_MESSAGE, "is_open"),
    Input(ids.URL, "search"),
)
def open_link(search):
    """Runs as the page loads (the charts wait for it: the symbol is their input)."""
    symbols = orchestrator().symbols()
    try:
        view = parse_link(search, symbols)
    except LinkRefused as exc:
        return symbols[0], AUTO, None, f"Link not opened: {exc}. Showing the default view.", True
    if view is None:
        return no_update, no_update, no_update, no_update, no_update
    return view["symbol"], view["tf"], view, no_update, no_update
