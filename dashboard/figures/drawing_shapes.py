"""Chart drawings as Plotly shapes, and back: a shape the user drew with the modebar's line or
rectangle tool (named ``NEW_SHAPE_NAME`` by the figure's ``newshape``, a name assets/chart_view.js
looks for) read in data terms, and
stored drawings drawn on any timeframe's chart at their times and prices. Pure."""

from __future__ import annotations

from datetime import UTC, datetime

DRAWING = "#ffd54f"  # amber: apart from the candles, calls and span labels
NEW_SHAPE_NAME = "new-drawing"
PREFIX = "drawing:"
# The figure's template for what the modebar's tools draw: the name marks it as new.
NEW_SHAPE = {"name": NEW_SHAPE_NAME, "line": {"color": DRAWING, "width": 2},
             "fillcolor": DRAWING, "opacity": 0.25}  # fmt: skip
DRAW_BUTTONS = ["drawline", "drawrect"]


class ShapeError(ValueError):
    """A drawn shape that can't be stored; the message says why."""


def to_ms(value) -> int:
    """A date axis value as epoch ms: a number is ms already; a string is Plotly's date text
    ("2026-12-05 19:30:12.345"), read as UTC like the axis that shows the candles' ms."""
    if isinstance(value, bool):
        raise ShapeError(f"not a time: {value!r}")
    if isinstance(value, (int, float)):
        return int(value)
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace(" ", "T"))
    except ValueError:
        raise ShapeError(f"not a time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(round(parsed.timestamp() * 1000))


def just_drawn(reported: dict | None) -> dict | None:
    """The shape a chart reported as just drawn (``{"shape": ..., "at": ms}``, from
    assets/chart_view.js), or None when the report holds none of the tools' shapes."""
    shape = reported.get("shape") if isinstance(reported, dict) else None
    if not isinstance(shape, dict) or shape.get("name") != NEW_SHAPE_NAME:
        return None
    return shape


def read_shape(shape: dict, flat: bool) -> dict:
    """``{kind, x0, x1, y0, y1}`` of a drawn shape; ``flat``: a line becomes a horizontal line
    at the price it was started from. Only the price panel takes drawings."""
    if shape.get("yref", "y") != "y" or shape.get("xref", "x") != "x":
        raise ShapeError("draw on the price panel (the volume panel keeps no drawings)")
    kind = {"line": "line", "rect": "rect"}.get(shape.get("type"))
    if kind is None:
        raise ShapeError(f"only lines and rectangles are kept, not {shape.get('type')!r}")
    try:
        y0, y1 = float(shape["y0"]), float(shape["y1"])
        x0, x1 = to_ms(shape["x0"]), to_ms(shape["x1"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ShapeError(f"the shape has no usable corners: {exc}") from None
    if kind == "line" and flat:
        return {"kind": "hline", "x0": x0, "x1": None, "y0": y0, "y1": y0}
    return {"kind": kind, "x0": x0, "x1": x1, "y0": y0, "y1": y1}


def drawing_shapes(drawings) -> list[dict]:
    """Stored drawings as shapes of the price panel (not editable: delete and draw again)."""
    shapes = []
    for d in drawings:
        shape = {"name": f"{PREFIX}{d.id}", "editable": False, "xref": "x", "yref": "y",
                 "line": {"color": DRAWING, "width": 2}, "layer": "above"}  # fmt: skip
        if d.kind == "hline":
            shape.update(type="line", xref="x domain", x0=0, x1=1, y0=d.y0, y1=d.y0,
                         label={"text": f"{d.y0:,.8g}", "textposition": "end",
                                "font": {"size": 10, "color": DRAWING}})  # fmt: skip
        elif d.kind == "rect":
            shape.update(type="rect", x0=d.x0, x1=d.x1, y0=d.y0, y1=d.y1,
                         fillcolor=DRAWING, opacity=0.2)  # fmt: skip
        else:
            shape.update(type="line", x0=d.x0, x1=d.x1, y0=d.y0, y1=d.y1)
        shapes.append(shape)
    return shapes
