"""The candle chart's frame: two panels (price over volume) on one time axis, the dark theme,
grids and crosshair spikes. Everything in it is the same for every chart, so it is built and
checked by plotly once, and each chart starts from a copy of it.

Building it per chart (``make_subplots`` and the dark template) cost about 30 ms of CPU per
figure, more than reading and drawing 2,000 candles (``bench/candle_views.py``).
"""

from __future__ import annotations

import copy
from functools import cache

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.figures.chart_layout import PRICE_TICKS, SPIKES
from dashboard.figures.theme import DARK_LAYOUT, GRID

# Axes of the panels, named as traces and layouts name them.
PRICE = {"xaxis": "x", "yaxis": "y"}
VOLUME = {"xaxis": "x2", "yaxis": "y2"}
# An invisible 0..1 axis over the price panel: span labels on hover.
SPAN_AXIS = {"xaxis": "x", "yaxis": "y3"}


@cache
def _frame() -> dict:
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.78, 0.22], vertical_spacing=0.02
    )
    fig.update_layout(
        **DARK_LAYOUT,
        margin={"l": 10, "r": 72, "t": 28, "b": 20},
        autosize=True,
        hovermode="x",
        dragmode="zoom",
        title={"x": 0.01, "font": {"size": 13}},
        font={"size": 11},
    )
    fig.update_xaxes(type="date", rangeslider_visible=False, showgrid=True, gridcolor=GRID,
                     **SPIKES)  # fmt: skip
    fig.update_yaxes(showgrid=True, gridcolor=GRID, side="right", **SPIKES)
    fig.update_yaxes(row=1, col=1, **PRICE_TICKS)  # price labels inside: the margin holds tags
    fig.update_yaxes(title_text="", row=2, col=1, showticklabels=False, showspikes=False)
    fig.update_layout(yaxis3={"overlaying": "y", "range": [0, 1], "fixedrange": True,
                              "visible": False, "anchor": "x"})  # fmt: skip
    return fig.to_plotly_json()["layout"]


def new_chart() -> go.Figure:
    """An empty chart on a copy of the frame. Its later updates are not checked one by one by
    plotly (the frame was): the builders give plain lists and dicts of known properties, and
    Plotly.js reports anything it can't draw in the browser console, which the browser tests
    watch."""
    return go.Figure(layout=copy.deepcopy(_frame()), _validate=False)
