"""Drawings on the charts (issue 17): a drawn shape read back in times and prices, stored
drawings drawn on every timeframe, and the tick after an add or a delete redrawing the shapes
(only then)."""

import pytest

from alerts.drawings import DrawingError, make_drawing
from dashboard.figures.drawing_shapes import ShapeError, just_drawn, read_shape, to_ms
from dashboard.panels.charts.live_charts import chart_view, make_view, tick
from runtime.orchestrator import Orchestrator
from tests.helpers.candles import make_candles

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000


def drawn_line(**corners):
    return {"name": "new-drawing", "type": "line", "xref": "x", "yref": "y", **corners}


def test_a_drawn_shape_is_read_in_times_and_prices():
    line = drawn_line(x0="2023-11-14 22:13:20.5", x1=T0 + 60_000, y0=10, y1=12)
    shape = just_drawn({"shape": line, "at": 1})
    assert shape == line
    assert read_shape(shape, flat=False) == {"kind": "line", "x0": 1_700_000_000_500,
                                             "x1": T0 + 60_000, "y0": 10.0, "y1": 12.0}  # fmt: skip
    assert read_shape(shape, flat=True) == {"kind": "hline", "x0": 1_700_000_000_500, "x1": None,
                                            "y0": 10.0, "y1": 10.0}  # fmt: skip
    assert just_drawn({"shape": {"name": "span:a", "type": "rect"}, "at": 1}) is None
    assert just_drawn(None) is None and just_drawn({"shape": "x"}) is None
    assert to_ms("2023-11-14 22:13") == 1_699_999_980_000


def test_a_shape_on_the_volume_panel_or_without_corners_is_refused():
    with pytest.raises(ShapeError, match="price panel"):
        read_shape(drawn_line(yref="y2", x0=1, x1=2, y0=1, y1=2), flat=False)
    with pytest.raises(ShapeError, match="no usable corners"):
        read_shape(drawn_line(x0="yesterday", x1=2, y0=1, y1=2), flat=False)
    with pytest.raises(DrawingError, match="y1 must be a finite price"):
        make_drawing("BTC/USDT", "line", T0, T0, 1.0, float("nan"))


def shapes_of(result) -> list[str] | None:
    """The drawing names a tick's Patch (or whole figure) sets, None when it sets no shapes."""
    data = result.to_plotly_json()
    if "operations" not in data:
        shapes = data["layout"].get("shapes", [])
    else:
        sets = [op for op in data["operations"] if op["location"] == ["layout", "shapes"]]
        if not sets:
            return None
        shapes = sets[-1]["params"]["value"]
    return sorted(s["name"] for s in shapes if s.get("name", "").startswith("drawing:"))


def test_the_tick_after_an_add_or_delete_redraws_the_shapes_on_both_timeframes(make_config):
    orch = Orchestrator(make_config())
    orch.store.ingest("BTC/USDT", make_candles(120, start=T0, closed_last=False))
    view = make_view([])
    states = {tf: chart_view(orch, "BTC/USDT", tf, view)[1].to_dict() for tf in ("1s", "1m")}
    line = orch.drawings.add(make_drawing("BTC/USDT", "hline", T0, None, 100.5, None))
    rect = orch.drawings.add(make_drawing("BTC/USDT", "rect", T0 + 60_000, T0, 101, 99))
    assert (rect.x0, rect.x1, rect.y0, rect.y1) == (T0, T0 + 60_000, 99.0, 101.0)
    names = sorted([f"drawing:{line.id}", f"drawing:{rect.id}"])
    for tf in ("1s", "1m"):
        patch, states[tf] = tick(orch, "BTC/USDT", tf, view, states[tf])
        assert shapes_of(patch) == names
        again, _ = tick(orch, "BTC/USDT", tf, view, states[tf])
        assert again.__class__.__name__ == "NoUpdate" or shapes_of(again) is None
    orch.drawings.delete(rect.id)
    patch, _ = tick(orch, "BTC/USDT", "1m", view, states["1m"])
    assert shapes_of(patch) == [f"drawing:{line.id}"]
    figure, _ = chart_view(orch, "ETH/USDT", "1m", view)  # another symbol: none of these
    assert shapes_of(figure) == []
