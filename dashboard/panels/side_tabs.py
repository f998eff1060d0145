"""The side panel's tabs: Bootstrap's tab bar, and a body for each tab that is mounted only while
its tab is open.

Bootstrap's ``dbc.Tabs`` keeps every tab's body mounted, hidden, so each answer to a callback
re-ran the Dash renderer's checks of the page's 480 components, 257 of them in the six closed
tabs. Here the bar is a ``dbc.Tabs`` whose tabs are empty (its ``active_tab``, ids, keyboard use
and tab roles are as before), and the bodies sit in a ``dcc.Tabs`` with its own bar hidden
(``assets/app.css``), which renders only the selected body. Every component stays in Dash's
layout, so every callback still reads and writes the closed tabs' fields (their callbacks still
run); their values are Dash's props and come back when the tab is opened again. What lives only
in the drawn page is not kept: a chart's zoom, a list's scroll position. A ``dcc.Download``
saves its file only while drawn, so the page's downloads sit outside the tabs.

Measured (``bench/page_cost.py``, before and after in one sitting): an opening costs chromium
about a seventh less CPU, an idle page at the 1 s refresh about an eighth.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, dcc

from dashboard import ids
from dashboard.callbacks import CallbackSet

callbacks = CallbackSet()


def layout(tabs: list[dbc.Tab], opening: str) -> list:
    """``tabs``: each panel's ``dbc.Tab`` (its body, ``label`` and ``tab_id``)."""
    bar = dbc.Tabs(
        [dbc.Tab(label=tab.label, tab_id=tab.tab_id) for tab in tabs],
        id=ids.TABS,
        active_tab=opening,
    )
    bodies = dcc.Tabs(
        [dcc.Tab(tab.children, value=tab.tab_id) for tab in tabs],
        id=ids.TAB_BODIES,
        value=opening,
        parent_className="side-tab-bodies",
    )
    return [bar, bodies]


callbacks.clientside(
    ClientsideFunction("sideTabs", "show"),
    Output(ids.TAB_BODIES, "value"),
    Input(ids.TABS, "active_tab"),
)
