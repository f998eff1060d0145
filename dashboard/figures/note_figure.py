"""A figure that says why there is nothing to draw, instead of Plotly's empty -1..4 axes."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.figures.theme import DARK_LAYOUT, MUTED


def note_figure(text: str, uirevision: str | None = None) -> go.Figure:
    """No traces, no axes: ``text`` in the middle of the plot area."""
    figure = go.Figure()
    figure.update_layout(
        **DARK_LAYOUT,
        margin={"l": 10, "r": 10, "t": 28, "b": 20},
        xaxis={"visible": False},
        yaxis={"visible": False},
        uirevision=uirevision,
        annotations=[
            {
                "text": text,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"color": MUTED, "size": 14},
                "name": "note",
            }
        ],
    )
    return figure
