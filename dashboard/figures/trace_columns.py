"""Large data columns put into a built figure without plotly's per-element checks.

Plotly validates every element of a data array as it is set (each volume bar's colour is parsed
as a colour), and copies it again on every trace added: for a 2,000-candle chart that is most of
a view's server time (``bench/candle_views.py``). The chart builders make these columns
themselves, as plain lists of numbers, times and colour strings, so the checks find nothing; the
figure's structure (trace types, layout) is still built through plotly and checked.
"""

from __future__ import annotations

import plotly.graph_objects as go


def fill(fig: go.Figure, index: int, **columns: list) -> None:
    """Set ``columns`` (``x=[...]``, ``open=[...]``, ``marker_color=[...]``) on trace ``index``
    of ``fig`` as they are. Underscores address nested properties, as in plotly's own keywords.
    The lists must stay plain lists (never numpy: see STACK.md on ``Patch``)."""
    props = fig._data[index]  # noqa: SLF001 - the trace's own dict, what to_plotly_json sends
    for key, column in columns.items():
        if not isinstance(column, list):
            raise TypeError(f"{key}: a plain list is needed, got {type(column).__name__}")
        *parents, leaf = key.split("_")
        target = props
        for name in parents:
            target = target.setdefault(name, {})
        target[leaf] = column
