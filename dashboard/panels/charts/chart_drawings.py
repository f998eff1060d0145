"""Drawing on the live charts: the modebar's line and rectangle tools (and H-line, which makes
the line tool draw flat), each new shape stored at once in times and prices for the symbol. The
charts draw the stored ones on every timeframe (``drawing_bands``); the Alerts tab lists them
with Delete."""

from __future__ import annotations

import logging

from dash import ALL, Input, Output, State, ctx, html, no_update

from alerts.drawings import DrawingError, make_drawing
from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from dashboard.figures.drawing_shapes import (
    NEW_SHAPE,
    ShapeError,
    drawing_shapes,
    just_drawn,
    read_shape,
)
from dashboard.people import acting_name, denied

callbacks = CallbackSet()
log = logging.getLogger(__name__)


def toolbar() -> list:
    """The chart toolbar's part: the H-line switch and what became of the last drawing."""
    return [
        html.Button(
            "H-line",
            id=ids.DRAW_FLAT,
            n_clicks=0,
            title="the line tool draws horizontal lines (at the price where the drag starts)",
            className=flat_class(False),
        ),  # fmt: skip
        html.Span(id=ids.DRAW_MESSAGE, className="ms-2 text-muted"),
    ]


def with_tools(figure):
    """A whole figure with the template the draw tools use (their shapes are found by it)."""
    figure.update_layout(newshape=NEW_SHAPE)
    return figure


def drawing_bands(orch, symbol: str) -> list[dict]:
    return drawing_shapes(orch.drawings.list(symbol))


@callbacks.callback(
    Output(ids.DRAW_FLAT, "className"),
    Input(ids.DRAW_FLAT, "n_clicks"),
    prevent_initial_call=True,
)
def flat_button(clicks):
    return flat_class(bool(clicks) and clicks % 2 == 1)


def flat_class(on: bool) -> str:
    return f"btn btn-sm ms-3 py-0 {'btn-warning' if on else 'btn-outline-warning'}"


@callbacks.callback(
    Output(ids.DRAW_MESSAGE, "children"),
    Input(ids.chart_drawn(ALL, ALL), "data"),
    State(ids.DRAW_FLAT, "n_clicks"),
    State(ids.USER_NAME, "value"),
    prevent_initial_call=True,
)
def store_drawing(reports, flat_clicks, user):
    """Keep what was just drawn; the next tick redraws the chart with it (from the store)."""
    # Every chart whose report changed since the last call (a busy page merges calls).
    changed = list(ctx.triggered_prop_ids.values())
    drawn = [shape for item, report in zip(ctx.inputs_list[0], reports, strict=True)
             if item["id"] in changed and (shape := just_drawn(report))]  # fmt: skip
    if not drawn:
        return no_update
    reason = denied("draw on charts")
    if reason:
        return f"Not kept: {reason}"
    # The charts drawn on are one symbol's (the page shows one); theirs, not the dropdown's,
    # which may have moved on since the shape was drawn.
    symbol = next(item["id"]["symbol"] for item in ctx.inputs_list[0] if item["id"] in changed)
    orch = orchestrator()
    if symbol not in orch.symbols():  # no such chart on any page: a forged id
        return f"Not kept: the symbol {str(symbol)[:40]!r} is not served here"
    flat = bool(flat_clicks) and flat_clicks % 2 == 1
    kept = []
    # The same report sent twice (a reconnect, a replayed store) must not store the shape twice.
    have = {(d.kind, d.x0, d.x1, d.y0, d.y1) for d in orch.drawings.list(symbol)}
    for shape in drawn:
        try:
            found = read_shape(shape, flat)
            drawing = make_drawing(symbol, found["kind"], found["x0"], found["x1"], found["y0"],
                                   found["y1"], acting_name(user))  # fmt: skip
            corners = (drawing.kind, drawing.x0, drawing.x1, drawing.y0, drawing.y1)
            if corners in have:
                continue
            have.add(corners)
            orch.drawings.add(drawing)
        except (ShapeError, DrawingError) as exc:
            return f"Not kept: {exc}"
        orch.audit.record(drawing.created_by, "drawing added",
                          f"{drawing.id}: {drawing.kind} on {symbol}")  # fmt: skip
        kept.append(drawing)
    names = {"hline": "horizontal line", "line": "line", "rect": "rectangle"}
    if not kept:
        return no_update
    return f"Kept {', '.join(names[d.kind] for d in kept)} on {symbol}"
