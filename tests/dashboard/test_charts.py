from dashboard.figures.chart_updates import ChartState, candle_patch, overlay_patch, split_update
from dashboard.figures.charts import (
    DIRECTION_COLORS,
    TRACE,
    build_figure,
    confidence_size,
    overlay_traces,
    prediction_shapes,
)
from tests.helpers.candles import make_candles

T0 = 1_700_000_000_000


def preds():
    return {
        "dqn": [
            {
                "id": "a",
                "kind": "dqn",
                "model": "dqn",
                "timestamp": T0 + 2000,
                "confidence": 0.9,
                "action": "BUY",
                "price": 100.0,
            },
            {
                "id": "b",
                "kind": "dqn",
                "model": "dqn",
                "timestamp": T0 + 3000,
                "confidence": 0.2,
                "action": "SELL",
                "price": 100.0,
            },
        ],
        "cnn": [
            {
                "id": "c",
                "kind": "cnn",
                "model": "cnn",
                "timestamp": T0 + 4000,
                "confidence": 0.5,
                "direction": "UP",
                "current_price": 100.0,
                "target_price": 102.0,
                "horizon_minutes": 1,
            },
        ],
        "transformer": [
            {
                "id": "d",
                "kind": "transformer",
                "model": "transformer",
                "timestamp": T0 + 4000,
                "confidence": 1.0,
                "direction": "DOWN",
                "current_price": 100.0,
                "predicted_price": 97.0,
                "price_change": -3.0,
                "horizon_minutes": 2,
            },
        ],
    }


def test_figure_arrays_are_plain_lists_so_patches_can_extend_them():
    fig = build_figure(
        make_candles(30, start=T0), preds(), "1s", {"dqn", "cnn", "transformer"}, "X"
    )
    data = fig.to_plotly_json()["data"]
    assert isinstance(data[TRACE["candles"]]["close"], list)
    assert isinstance(data[TRACE["volume"]]["y"], list)
    assert isinstance(data[TRACE["volume"]]["marker"]["color"], list)


def test_dqn_buy_is_green_triangle_below_the_low_and_sell_red_above_the_high():
    candles = make_candles(30, start=T0)
    fig = build_figure(candles, preds(), "1s", {"dqn"}, "X")
    buy, sell = fig.data[TRACE["dqn_buy"]], fig.data[TRACE["dqn_sell"]]
    # The SELL is the up triangle turned over, so plotly's standoff pushes it up, off its candle.
    assert (buy.marker.symbol, buy.marker.angle % 360) == ("triangle-up", 0)
    assert (sell.marker.symbol, sell.marker.angle % 360) == ("triangle-up", 180)
    assert list(buy.marker.color) == ["#00e676"] and list(sell.marker.color) == ["#ff1744"]
    # Each points at the extreme of its candle and the two candles either side (which the
    # largest arrow reaches over at the opening zoom), and is drawn more
    # than half the largest arrow off it (in pixels, so at any zoom).
    assert buy.y[0] == min(c.low for c in candles[0:5]) and buy.y[0] <= candles[2].low
    assert sell.y[0] == max(c.high for c in candles[1:6]) and sell.y[0] >= candles[3].high
    assert buy.marker.standoff == sell.marker.standoff > confidence_size(1.0) / 2


def test_marker_size_and_opacity_grow_with_confidence():
    traces = overlay_traces(preds(), make_candles(30, start=T0), "1s", {"dqn"}, None)
    high = traces["dqn_buy"]  # confidence 0.9
    low = traces["dqn_sell"]  # confidence 0.2
    assert high["marker.size"][0] > low["marker.size"][0]
    assert high["marker.opacity"][0] > low["marker.opacity"][0]


def test_cnn_ends_in_diamond_at_horizon_with_dotted_line_and_transformer_in_star_dashdot():
    fig = build_figure(make_candles(30, start=T0), preds(), "1s", {"cnn", "transformer"}, "X")
    cnn, tr = fig.data[TRACE["cnn"]], fig.data[TRACE["transformer"]]
    assert cnn.marker.symbol == "diamond" and tr.marker.symbol == "star"
    assert list(cnn.x) == [T0 + 4000 + 60_000] and list(cnn.y) == [102.0]
    assert list(cnn.marker.color) == [DIRECTION_COLORS["UP"]]
    assert list(tr.marker.color) == [DIRECTION_COLORS["DOWN"]]
    dashes = {s.line.dash for s in fig.layout.shapes}
    assert dashes == {"dot", "dashdot"}


def test_disabled_overlays_draw_nothing():
    traces = overlay_traces(preds(), make_candles(30, start=T0), "1s", set(), None)
    assert all(t["x"] == [] for t in traces.values())
    assert prediction_shapes(preds(), set(), None) == []


def test_predictions_before_the_window_are_left_out():
    traces = overlay_traces(preds(), [], "1s", {"dqn", "cnn"}, window_start=T0 + 3500)
    assert traces["dqn_buy"]["x"] == [] and traces["dqn_sell"]["x"] == []
    assert len(traces["cnn"]["x"]) == 1


def test_split_update_separates_the_forming_candle_from_new_ones():
    candles = make_candles(4, start=T0)
    update, new = split_update(T0 + 1000, candles[1:])
    assert update == candles[1] and new == candles[2:]


def ops(patch):
    return patch.to_plotly_json()["operations"]


def test_tick_patch_updates_last_appends_new_and_trims_to_the_window():
    candles = make_candles(12, start=T0)
    state = ChartState("X", "1s", candles[9].time, 10, "k")
    patch, new_state = candle_patch(state, candles[9:], max_candles=10)
    operations = ops(patch)
    kinds = [op["operation"] for op in operations]
    assert kinds.count("Assign") == 6  # 4 prices, volume, volume colour of the last candle
    extend = [op for op in operations if op["operation"] == "Extend"]
    assert extend[0]["params"]["value"] == [candles[10].time, candles[11].time]
    assert kinds.count("Delete") == 2 * 8  # two oldest candles out of 8 arrays
    assert new_state.count == 10 and new_state.last_time == candles[11].time


def test_tick_with_too_much_change_asks_for_a_whole_figure():
    candles = make_candles(300, start=T0)
    state = ChartState("X", "1s", T0, 1, "k")
    patch, _ = candle_patch(state, candles, max_candles=600)
    assert patch is None


def test_overlay_patch_replaces_prediction_traces_and_shapes():
    candles = make_candles(30, start=T0)
    traces = overlay_traces(preds(), candles, "1s", {"cnn"}, None)
    from dash import Patch

    patch = overlay_patch(Patch(), traces, prediction_shapes(preds(), {"cnn"}, None))
    paths = [op["location"] for op in ops(patch)]
    assert ["layout", "shapes"] in paths
    assert ["data", TRACE["cnn"], "x"] in paths


def test_a_tick_with_only_the_forming_candle_changed_still_sends_it(make_config):
    from dashboard.panels.charts.live_charts import chart_view, make_view, tick
    from runtime.orchestrator import Orchestrator

    orch = Orchestrator(make_config())
    candles = make_candles(30, start=T0, closed_last=False)
    orch.store.ingest("BTC/USDT", candles)
    _, state = chart_view(orch, "BTC/USDT", "1s", make_view([]))
    moved = candles[-1].__class__(
        candles[-1].time,
        candles[-1].open,
        candles[-1].high * 1.01,
        candles[-1].low,
        candles[-1].high * 1.01,
        9.0,
        closed=False,
    )
    orch.store.ingest("BTC/USDT", [moved])
    patch, new_state = tick(orch, "BTC/USDT", "1s", make_view([]), state.to_dict())
    assigned = {
        tuple(op["location"]): op["params"]["value"]
        for op in ops(patch)
        if op["operation"] == "Assign"
    }
    assert assigned[("data", 0, "close", -1)] == moved.close
    assert new_state["count"] == 30
