"""A tick sends only the new predictions (and drops those that left), never all overlays."""

import json
from dataclasses import replace

import plotly

from core.candles import Candle
from dashboard.figures.charts import TRACE
from dashboard.panels.charts.live_charts import chart_view, make_view, tick
from runtime.orchestrator import Orchestrator
from tests.helpers.candles import make_candles
from tests.helpers.figures import apply_patch, browser_json

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000
ALL = ["dqn", "cnn", "transformer"]


def cnn(ts, conf=0.6):
    # Made on 1 s candles: the tests draw the 1 s chart, and target lines show on their own
    # timeframe's chart only.
    return {"timestamp": ts, "confidence": conf, "direction": "UP", "current_price": 100.0,
            "target_price": 101.0, "horizon_minutes": 1, "timeframe": "1s"}  # fmt: skip


def ops(result):
    return result.to_plotly_json()["operations"]


def setup(make_config, maxlen=50, n=60):
    orch = Orchestrator(make_config(orchestrator={"prediction_maxlen": maxlen}))
    orch.store.ingest("BTC/USDT", make_candles(n, start=T0, closed_last=False))
    return orch


def test_a_new_prediction_resends_the_prediction_overlays_not_the_bands(make_config):
    orch = setup(make_config)
    for i in range(20):
        orch.store_cnn_prediction("BTC/USDT", cnn(T0 + i * 1000))
    view = make_view(ALL)
    _, state = chart_view(orch, "BTC/USDT", "1s", view)
    assert state.drawn["cnn"][2] == 1  # twenty pending targets of one horizon: the newest
    orch.store_cnn_prediction("BTC/USDT", cnn(T0 + 30_000, conf=0.9))
    patch, new_state = tick(orch, "BTC/USDT", "1s", view, state.to_dict())
    operations = ops(patch)
    marker_ops = [op for op in operations if op["location"][:2] == ["data", TRACE["cnn"]]]
    assert {op["operation"] for op in marker_ops} == {"Assign"}
    x = next(op for op in marker_ops if op["location"] == ["data", TRACE["cnn"], "x"])
    assert x["params"]["value"] == [T0 + 90_000]  # the new target alone
    # Shape 0 is the last-price line, moved with the forming candle every tick; the old line
    # after the bands goes, the new one is appended.
    shape_ops = [op for op in operations if op["location"][:2] == ["layout", "shapes"]
                 and op["location"][2:3] != [0]]  # fmt: skip
    assert [op["operation"] for op in shape_ops] == ["Delete", "Extend"]
    assert shape_ops[0]["location"] == ["layout", "shapes", state.bands]
    assigned = {tuple(op["location"]) for op in operations if op["operation"] == "Assign"}
    assert ("layout", "shapes") not in assigned  # the bands stay in the browser
    assert new_state["drawn"]["cnn"][2] == 1
    size = len(json.dumps(patch.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder))
    assert size < 4_000, f"a one-prediction tick sent {size} bytes"


def test_clearing_or_toggling_redraws_the_overlays_whole(make_config):
    orch = setup(make_config)
    orch.store_cnn_prediction("BTC/USDT", cnn(T0))
    view = make_view(ALL)
    _, state = chart_view(orch, "BTC/USDT", "1s", view)
    orch.clear_predictions("BTC/USDT")
    patch, state2 = tick(orch, "BTC/USDT", "1s", view, state.to_dict())
    assigned = {tuple(op["location"]) for op in ops(patch) if op["operation"] == "Assign"}
    assert ("data", TRACE["cnn"], "x") in assigned and ("layout", "shapes") in assigned
    patch, _ = tick(orch, "BTC/USDT", "1s", make_view(["dqn"]), state2)
    assert ("layout", "shapes") in {tuple(op["location"]) for op in ops(patch)}


def test_a_prediction_leaving_the_window_is_dropped(make_config):
    orch = setup(make_config, n=600)
    orch.store_dqn_prediction("BTC/USDT", {"timestamp": T0 + 1000, "confidence": 0.5,
                                           "action": "BUY", "price": 100.0})  # fmt: skip
    orch.store_dqn_prediction("BTC/USDT", {"timestamp": T0 + 100_000, "confidence": 0.5,
                                           "action": "BUY", "price": 100.0})  # fmt: skip
    view = make_view(ALL)
    _, state = chart_view(orch, "BTC/USDT", "1s", view)
    assert state.drawn["dqn_buy"][2] == 2
    # Ten more seconds: the 1 s chart (600 candles) slides past the first prediction.
    last = orch.store.latest("BTC/USDT", "1s")
    for i in range(1, 11):
        t = last.time + i * 1000
        orch.store.ingest("BTC/USDT", [Candle(t, 100, 100.1, 99.9, 100, 1.0, closed=False)])
    patch, new_state = tick(orch, "BTC/USDT", "1s", view, state.to_dict())
    assigned = {tuple(op["location"]): op["params"]["value"] for op in ops(patch)
                if op["operation"] == "Assign"}  # fmt: skip
    assert assigned[("data", TRACE["dqn_buy"], "x")] == [T0 + 100_000]
    assert new_state["drawn"]["dqn_buy"][2] == 1


# ---- the browser's view, replayed ---------------------------------------------------------


def overlay_view(figure: dict) -> tuple:
    data = figure["data"]
    markers = tuple(
        tuple(data[TRACE[name]]["x"]) for name in ("dqn_buy", "dqn_sell", "cnn", "transformer")
    )
    shapes = tuple(s.get("name") for s in figure["layout"].get("shapes", []))
    return markers, shapes


def test_replayed_ticks_always_match_a_fresh_figure(make_config):
    """Random stores, evictions, clears and window slides: after every tick the browser's
    overlays (patches applied in order) equal those of a figure built from scratch."""
    import random

    rng = random.Random(7)
    orch = setup(make_config, maxlen=3, n=600)
    view = make_view(ALL)
    figure, state = chart_view(orch, "BTC/USDT", "1s", view)
    browser = json.loads(json.dumps(figure.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder))
    state = state.to_dict()
    last = orch.store.latest("BTC/USDT", "1s").time
    for step in range(80):
        roll = rng.random()
        ts = last - rng.randint(0, 650) * 1000
        if roll < 0.3:
            orch.store_cnn_prediction("BTC/USDT", cnn(ts, conf=rng.random()))
        elif roll < 0.55:
            orch.store_transformer_prediction("BTC/USDT", {
                "timestamp": ts, "confidence": rng.random(), "direction": "DOWN",
                "current_price": 100.0, "predicted_price": 99.0, "horizon_minutes": 2})  # fmt: skip
        elif roll < 0.75:
            orch.store_dqn_prediction("BTC/USDT", {"timestamp": ts, "confidence": 0.5,
                                                   "action": rng.choice(["BUY", "SELL"]),
                                                   "price": 100.0})  # fmt: skip
        elif roll < 0.78:
            orch.clear_predictions("BTC/USDT")
        else:
            last += 1000
            orch.store.ingest("BTC/USDT", [Candle(last, 100, 100.1, 99.9, 100, 1.0, closed=False)])
        result, new_state = tick(orch, "BTC/USDT", "1s", view, state)
        if hasattr(result, "to_plotly_json") and "operations" in result.to_plotly_json():
            apply_patch(
                browser,
                json.loads(json.dumps(result.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)),
            )
        elif hasattr(result, "to_plotly_json"):
            browser = json.loads(
                json.dumps(result.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)
            )
        if isinstance(new_state, dict):
            state = new_state
        fresh, _ = chart_view(orch, "BTC/USDT", "1s", view)
        fresh_json = json.loads(
            json.dumps(fresh.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)
        )
        assert overlay_view(browser) == overlay_view(fresh_json), f"differs after step {step}"


def test_a_tick_draws_the_price_line_at_the_close_it_patches(make_config, monkeypatch):
    """The feed writes the forming candle 4 times a second. A tick that read the store twice
    (the candles to patch, then the window for the line) drew the line and its label at
    another close than the candle, until the next tick: a tick reads it once."""
    orch = setup(make_config)
    view = make_view(ALL)
    figure, state = chart_view(orch, "BTC/USDT", "1s", view)
    store = orch.store

    def feed_writes_before(read):
        def reading(symbol, timeframe, *args, **kwargs):
            forming = store.latest(symbol, "1s")
            up = forming.close + 1.0
            store.ingest(symbol, [replace(forming, close=up, high=max(forming.high, up))])
            return read(symbol, timeframe, *args, **kwargs)

        return reading

    for name in ("tail", "candles", "view"):
        monkeypatch.setattr(store, name, feed_writes_before(getattr(store, name)))
    patch, _ = tick(orch, "BTC/USDT", "1s", view, state.to_dict())
    drawn = browser_json(figure)
    apply_patch(drawn, browser_json(patch))
    close = drawn["data"][TRACE["candles"]]["close"][-1]
    line = drawn["layout"]["shapes"][0]
    assert line["name"] == "last-price" and line["y0"] == line["y1"] == close
    assert drawn["layout"]["annotations"][0]["y"] == close
