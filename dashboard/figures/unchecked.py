"""A figure's large columns in and out without plotly's per-element work.

Plotly checks every element of a data array as it is set (each volume bar's colour is parsed as
a colour), copies the whole figure when it is turned into a dict, walks it for numpy arrays, and
Dash's encoder walks it once more before ``orjson`` sees it. For a 2,000-candle chart that was
most of a view's server time (``bench/candle_views.py``). The chart builders make these columns
themselves, as plain lists of numbers, times and colour strings, so the checks find nothing; the
figure's structure (trace types, layout) is still built through plotly.
"""

from __future__ import annotations

import plotly.graph_objects as go


def fill(fig: go.Figure, index: int, **columns: list) -> None:
    """Set ``columns`` (``x=[...]``, ``open=[...]``, ``marker_color=[...]``) on trace ``index``
    of ``fig`` as they are. Underscores address nested properties, as in plotly's own keywords.
    The lists must stay plain lists (never numpy: see STACK.md on ``Patch``)."""
    props = fig._data[index]  # the trace's own dict: what the figure sends
    for key, column in columns.items():
        if not isinstance(column, list):
            raise TypeError(f"{key}: a plain list is needed, got {type(column).__name__}")
        *parents, leaf = key.split("_")
        target = props
        for name in parents:
            target = target.setdefault(name, {})
        target[leaf] = column


def as_dict(fig):
    """What a callback returns for ``fig``: its own data and layout dicts, uncopied, which Dash's
    encoder hands to ``orjson`` in one pass. ``fig`` must not be changed afterwards. Anything
    else (a ``Patch``, ``no_update``) is returned as it is."""
    if not isinstance(fig, go.Figure):
        return fig
    return {"data": fig._data, "layout": fig._layout}
