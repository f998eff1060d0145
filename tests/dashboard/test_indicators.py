"""Indicators: the values a chart draws (whole figure, then after ticks patched into it) equal
TA-Lib's (and VWAP a direct formula's) over the same candles with the history before them as
warm-up; on the minute chart (warm-up from the buffer) and its 5 m view (warm-up from the
rollups); bad settings are refused with the field named; ``GET /api/indicators``."""

import math

import numpy as np
import pytest
import talib
from dash import no_update

from core.candles import resample
from dashboard import ids
from dashboard.figures.indicator_traces import INDICATOR_TRACE, chart_specs, series
from dashboard.panels.charts import indicator_menu
from dashboard.panels.charts.live_charts import chart_block, chart_view, make_view, tick
from market import indicators
from runtime.orchestrator import Orchestrator
from tests.helpers.candles import make_candles
from tests.helpers.figures import apply_patch, browser_json

DAY = 86_400_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % DAY + 5 * 3_600_000  # 05:00 UTC
SYMBOL = "BTC/USDT"
HISTORY = make_candles(3 * 1440, start=T0, frame_ms=60_000, seed=21)
PARAMS = {"SMA.period": 30, "EMA.period": 21, "BBANDS.period": 20, "BBANDS.std": 2.5,
          "RSI.period": 14, "MACD.fast": 8, "MACD.slow": 21, "MACD.signal": 5,
          "ATR.period": 10}  # fmt: skip
OVERLAYS = ["SMA", "EMA", "BBANDS", "VWAP"]


def settings(panel):
    return {"overlays": OVERLAYS, "panel": panel, "params": PARAMS}


def expected(candles, spec, output):
    """TA-Lib (VWAP: the formula written out) over every candle, oldest first."""
    c = np.array([x.close for x in candles])
    h, lo = np.array([x.high for x in candles]), np.array([x.low for x in candles])
    p = dict(spec.params)
    if spec.name == "VWAP":
        out, day, pv, vol = [], None, 0.0, 0.0
        for x in candles:
            if x.time // DAY != day:
                day, pv, vol = x.time // DAY, 0.0, 0.0
            pv += (x.high + x.low + x.close) / 3 * x.volume
            vol += x.volume
            out.append(pv / vol)
        return np.array(out)
    found = {
        "SMA": lambda: {"SMA": talib.SMA(c, p["period"])},
        "EMA": lambda: {"EMA": talib.EMA(c, p["period"])},
        "BBANDS": lambda: dict(zip(("BB_upper", "BB_middle", "BB_lower"),
                                   talib.BBANDS(c, p["period"], p["std"], p["std"], 0),
                                   strict=True)),
        "RSI": lambda: {"RSI": talib.RSI(c, p["period"])},
        "MACD": lambda: dict(zip(("MACD", "MACD_signal", "MACD_hist"),
                                 talib.MACD(c, p["fast"], p["slow"], p["signal"]), strict=True)),
        "ATR": lambda: {"ATR": talib.ATR(h, lo, c, p["period"])},
    }[spec.name]()  # fmt: skip
    return found[output]


def check_drawn(figure: dict, specs, every_candle):
    """Each indicator trace: its x are the drawn candles' times, its y TA-Lib's values there."""
    candles = figure["data"][0]
    drawn = len(candles["x"])
    assert candles["x"] == [c.time for c in every_candle[-drawn:]]
    names = []
    for index, (spec, output) in enumerate(series(specs)):
        trace = figure["data"][INDICATOR_TRACE + index]
        names.append(trace["name"])
        assert trace["x"] == candles["x"], output
        got = np.array([math.nan if v is None else v for v in trace["y"]])
        want = expected(every_candle, spec, output)[-drawn:]
        assert not np.isnan(got).any(), f"{output}: gaps where the warm-up should fill"
        scale = max(1.0, float(np.nanmax(np.abs(want))))
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9 * scale, err_msg=output)
    return names


@pytest.fixture
def orch(make_config):
    orch = Orchestrator(make_config(dashboard={"window_1m_candles": 300}))
    orch.store.merge_history(SYMBOL, "1m", HISTORY)
    return orch


@pytest.mark.parametrize("panel", ["RSI", "MACD", "ATR"])
def test_drawn_indicators_equal_talib_then_follow_the_ticks(orch, panel):
    view = make_view([], indicator_settings=settings(panel))
    specs = view["indicators"]
    assert [s.name for s in specs] == [*OVERLAYS, panel]
    figure, state = chart_view(orch, SYMBOL, "1m", view)
    browser = browser_json(figure)
    names = check_drawn(browser, specs, HISTORY)
    assert "SMA 30" in names and "Bollinger 20, 2.5 upper" in names
    assert browser["layout"]["yaxis4"]["title"]["text"] == specs[-1].label()
    # Live seconds after the history: two minutes close and a third is forming; the patch moves
    # the window by three candles, updating, appending and dropping indicator values with them.
    seconds = make_candles(150, start=HISTORY[-1].time + 60_000, seed=22,
                           price=HISTORY[-1].close, closed_last=False)  # fmt: skip
    raw = state.to_dict()
    for part in (seconds[:70], seconds[70:]):
        orch.store.ingest(SYMBOL, part)
        patch, raw = tick(orch, SYMBOL, "1m", view, raw)
        apply_patch(browser, browser_json(patch))
    minutes = HISTORY + orch.store.candles(SYMBOL, "1m", since=seconds[0].time)
    assert minutes[-1].closed is False and len(minutes) == len(HISTORY) + 3
    check_drawn(browser, specs, minutes)


def test_an_aggregated_view_reads_its_warm_up_from_the_rollups(orch):
    view = make_view([], timeframe="5m", indicator_settings=settings("RSI"))
    figure, _ = chart_view(orch, SYMBOL, "5m", view)
    check_drawn(browser_json(figure), view["indicators"], resample(HISTORY, 300_000))


@pytest.mark.parametrize(
    "bad, words",
    [
        ({"overlays": ["WMA"]}, "overlays must be a list of SMA, EMA, BBANDS, VWAP"),
        ({"panel": "STOCH"}, "panel must be none or one of RSI, MACD, ATR"),
        ({"panel": "RSI", "params": {"RSI.period": 1}}, "RSI period in the indicator settings"
         " must be a whole number in 2..500, got 1"),
        ({"panel": "MACD", "params": {"MACD.fast": 30}}, "MACD fast in the indicator settings"
         " must be below slow, got fast 30, slow 26"),
        ({"overlays": ["BBANDS"], "params": {"BBANDS.std": "wide"}}, "BBANDS std"),
        ({"params": {"ATR.period": "x"}}, "ATR period"),  # named even while not drawn
    ],
)  # fmt: skip
def test_bad_settings_name_the_field(bad, words):
    with pytest.raises(ValueError) as refused:
        chart_specs(bad)
    assert words in str(refused.value)


def test_vwap_restarts_each_utc_day_and_skips_days_without_volume():
    times = [DAY - 60_000, DAY, DAY + 60_000]
    got = indicators.vwap(times, [3, 6, 9], [1, 0, 3], [2, 3, 6], [1, 0, 2])
    assert got[0] == 2 and math.isnan(got[1]) and got[2] == 6


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from app import create_app
    from runtime.config import config_from_dict

    folder = tmp_path_factory.mktemp("indicators")
    config = config_from_dict(
        {"data_dir": str(folder / "data"), "neural": {"bootstrap": False}}, base_dir=folder
    )
    app = create_app(config=config)
    app.server.extensions["orchestrator"].store.merge_history(SYMBOL, "1m", HISTORY)
    return app.server.test_client()


def test_api_computes_over_the_whole_series_and_cuts_to_the_range(api):
    start, end = HISTORY[2000].time, HISTORY[2100].time
    response = api.get(f"/api/indicators?symbol=BTC%2FUSDT&timeframe=1m&name=RSI&period=14"
                       f"&start={start}&end={end}")  # fmt: skip
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["time"] == [c.time for c in HISTORY[2000:2100]]
    want = talib.RSI(np.array([c.close for c in HISTORY]), 14)[2000:2100]
    np.testing.assert_allclose(body["values"]["RSI"], want, rtol=1e-9)
    macd = api.get("/api/indicators?symbol=BTC%2FUSDT&timeframe=15m&name=macd").get_json()
    assert set(macd["values"]) == {"MACD", "MACD_signal", "MACD_hist"}
    assert len(macd["time"]) == len(resample(HISTORY, 900_000))
    assert macd["values"]["MACD"][0] is None  # undefined before its warm-up: null, not NaN
    doc = api.get("/api/openapi.json").get_json()
    assert "/api/indicators" in doc["paths"]


@pytest.mark.parametrize(
    "query, status, words",
    [
        ("timeframe=1m&name=RSI&period=1", 400, "RSI period must be a whole number in 2..500"),
        ("timeframe=1m&name=WMA", 400, "unknown indicator 'WMA'"),
        ("timeframe=1m&name=SMA&fast=3", 400, "SMA has no parameter 'fast'"),
        ("timeframe=1s&name=RSI", 400, "timeframe 1s is not available"),
        ("timeframe=1m", 400, "name is required"),
    ],
)
def test_api_bad_queries_say_what_to_change(api, query, status, words):
    response = api.get(f"/api/indicators?symbol=BTC%2FUSDT&{query}")
    assert response.status_code == status
    assert words in response.get_json()["error"], response.get_json()


def menu_values(timeframe: str) -> tuple:
    """What a chart's indicator menu holds as drawn (before a person touches it)."""
    found = {}

    def walk(node):
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
        elif hasattr(node, "to_plotly_json"):
            node_id = getattr(node, "id", None)
            if isinstance(node_id, dict) and hasattr(node, "value"):
                found[node_id.get("param", node_id["type"])] = node.value
            walk(getattr(node, "children", None))

    walk(indicator_menu.menu(timeframe))
    params = [found[key] for key in indicator_menu.PARAM_KEYS]
    return found["indicator-overlays"], found["indicator-panel"], params


def test_an_untouched_menu_leaves_the_charts_first_draw_alone():
    """As the page opens each chart's menu reports its settings: the defaults equal what the
    chart's store was drawn with, so nothing is sent and the chart is not redrawn whole."""
    overlays, panel, params = menu_values("1s")
    drawn_with = indicator_menu.DEFAULT_SETTINGS
    assert indicator_menu.settings_from(overlays, panel, params) == drawn_with
    assert chart_specs(drawn_with) == []
    assert indicator_menu.check_settings(overlays, panel, *params, drawn_with) == (no_update, "")
    # Remembered settings (another chart's, a reload's) differ from the store: they are sent.
    sent, error = indicator_menu.check_settings(["SMA"], panel, *params, drawn_with)
    assert error == "" and sent["overlays"] == ["SMA"]
    # A bad value typed over a good one keeps the good one and says why; the good one typed
    # again clears the message.
    kept, error = indicator_menu.check_settings(["SMA"], panel, "x", *params[1:], sent)
    assert kept is no_update and "SMA" in error
    assert indicator_menu.check_settings(["SMA"], panel, *params, sent) == (no_update, "")


def test_a_chart_is_drawn_with_its_store_holding_the_menus_defaults(orch):
    block = chart_block(orch, SYMBOL, "1m", make_view(["candles"]))
    store_id = ids.indicator_settings("1m")
    stores = [c for c in block._traverse() if getattr(c, "id", None) == store_id]
    assert [s.data for s in stores] == [indicator_menu.DEFAULT_SETTINGS]
