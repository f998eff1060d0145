"""The chart's fast path (frame built once, columns put in and read out unchecked) sends what
plotly's checked path sends."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.io.json import to_json_plotly

from dashboard.figures import chart_frame, unchecked
from dashboard.figures.charts import TRACE, build_figure
from tests.helpers.candles import make_candles

T0 = 1_700_000_000_000


def chart(n: int = 300):
    candles = make_candles(n, start=T0, frame_ms=60_000)
    prediction = {"id": "a", "kind": "cnn", "model": "cnn", "timestamp": candles[-5].time,
                  "confidence": 0.7, "direction": "UP", "current_price": candles[-5].close,
                  "target_price": candles[-5].close * 1.01, "horizon_minutes": 5}  # fmt: skip
    band = {"type": "rect", "xref": "x", "yref": "y domain", "x0": T0, "x1": T0 + 60_000,
            "y0": 0, "y1": 1}  # fmt: skip
    extra = {"type": "scatter", "x": [T0], "y": [1.0], "mode": "markers"}
    figure = build_figure(candles, {"cnn": [prediction]}, "1m", ["cnn"], "BTC/USDT", [band],
                          None, 150, [extra])  # fmt: skip
    return candles, figure


def test_the_callback_sends_what_the_checked_figure_would():
    _, figure = chart()
    checked = go.Figure(figure.to_plotly_json())  # every property through plotly's checks
    sent = json.loads(to_json_plotly({"figure": unchecked.as_dict(figure)}))["figure"]
    assert sent == json.loads(to_json_plotly({"figure": checked}))["figure"]


def test_candle_and_volume_columns_are_the_candles_as_plain_lists():
    candles, figure = chart(50)
    sent = json.loads(to_json_plotly(unchecked.as_dict(figure)))
    price, volume = sent["data"][TRACE["candles"]], sent["data"][TRACE["volume"]]
    assert price["x"] == [c.time for c in candles] == volume["x"]
    for name in ("open", "high", "low", "close"):
        assert price[name] == [getattr(c, name) for c in candles]
    assert volume["y"] == [c.volume for c in candles]
    assert len(volume["marker"]["color"]) == len(candles)
    assert price["yaxis"] == "y" and volume["yaxis"] == "y2"


def test_columns_must_be_plain_lists():
    _, figure = chart(5)
    with pytest.raises(TypeError, match="x: a plain list is needed, got ndarray"):
        unchecked.fill(figure, TRACE["candles"], x=np.arange(5))


def test_each_chart_gets_its_own_copy_of_the_frame():
    first, second = chart_frame.new_chart(), chart_frame.new_chart()
    first.update_layout(title_text="changed", yaxis={"range": [1, 2]})
    assert second.layout.title.text is None
    assert second.layout.yaxis.range is None
    assert chart_frame.new_chart().layout.template.layout.paper_bgcolor is not None


def test_patches_and_no_update_pass_through():
    from dash import Patch, no_update

    patch = Patch()
    assert unchecked.as_dict(patch) is patch
    assert unchecked.as_dict(no_update) is no_update
