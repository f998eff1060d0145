"""An outcome arriving moves its prediction from the pending markers to the hit/miss traces in
the next tick's Patch; filters take predictions out of the overlays."""

from dashboard.figures.charts import TRACE
from dashboard.figures.outcome_overlays import OUTCOME_TRACE
from dashboard.panels.charts.live_charts import chart_view, make_view, tick
from runtime.orchestrator import Orchestrator
from tests.helpers.candles import make_candles

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000
ALL = ["dqn", "cnn", "transformer"]


def setup(make_config):
    orch = Orchestrator(make_config())
    orch.store.ingest("BTC/USDT", make_candles(90, start=T0, closed_last=False))
    made = orch.store_cnn_prediction("BTC/USDT", {
        "timestamp": T0 + 5_000, "confidence": 0.7, "direction": "UP", "current_price": 100.0,
        "target_price": 101.0, "horizon_minutes": 0.5, "timeframe": "1s"})  # fmt: skip
    return orch, made


def test_an_outcome_moves_the_marker_to_the_resolved_traces_in_the_next_tick(make_config):
    orch, made = setup(make_config)
    view = make_view(ALL)
    figure, state = chart_view(orch, "BTC/USDT", "1s", view)
    assert list(figure.data[TRACE["cnn"]].customdata) == [made["id"]]
    assert orch.outcomes.run_pass() == 1
    patch, _ = tick(orch, "BTC/USDT", "1s", view, state.to_dict())
    ops = {tuple(op["location"][:3]): op for op in patch.to_plotly_json()["operations"]}
    resolved = orch.recent_cnn_predictions["BTC/USDT"][0]
    name = "outcome_hit" if resolved["hit"] else "outcome_miss"
    trace = ops[("data", OUTCOME_TRACE[name])]["params"]["value"]
    assert trace["customdata"] == [made["id"]]
    assert trace["marker"]["symbol"] == ["diamond" if resolved["hit"] else "diamond-open"]
    assert ops[("data", TRACE["cnn"], "x")]["params"]["value"] == []
    links = ops[("data", OUTCOME_TRACE["outcome_links"])]["params"]["value"]
    assert links["y"][1] == resolved["realised_price"]


def test_a_filter_leaves_predictions_out_of_the_chart(make_config):
    orch, made = setup(make_config)
    shown, _ = chart_view(orch, "BTC/USDT", "1s", make_view(ALL, filters={"sources": ["live"]}))
    hidden, _ = chart_view(orch, "BTC/USDT", "1s", make_view(ALL, filters={"sources": []}))
    floor = make_view(ALL, filters={"min_confidence": {"cnn": 0.8}})
    below, _ = chart_view(orch, "BTC/USDT", "1s", floor)
    assert len(shown.data[TRACE["cnn"]].x) == 1
    assert len(hidden.data[TRACE["cnn"]].x) == 0 and len(below.data[TRACE["cnn"]].x) == 0


def test_a_resolved_dqn_arrow_is_drawn_off_its_candle_like_a_pending_one():
    """An arrow points at its candles' extreme from ARROW_STANDOFF pixels off it (a SELL turned
    over, so the standoff pushes it up); a target's marker sits on its price."""
    from dashboard.figures.charts import ARROW_STANDOFF
    from dashboard.figures.outcome_overlays import outcome_traces

    candles = make_candles(30, start=T0)
    common = {"confidence": 0.8, "hit": True, "realised_price": 100.0, "resolved_at": T0 + 9_000}
    resolved = {
        "dqn": [{**common, "id": "d", "kind": "dqn", "action": "SELL", "price": 100.0,
                 "timestamp": T0 + 3_000}],
        "cnn": [{**common, "id": "c", "kind": "cnn", "action": "BUY", "direction": "UP",
                 "current_price": 100.0, "target_price": 101.0, "horizon_minutes": 0.1,
                 "timestamp": T0 + 3_000}],
        # action only (the original training loop's form): where its pending star sat
        "transformer": [{**common, "id": "t", "kind": "transformer", "action": "SELL",
                         "direction": "DOWN", "current_price": 100.5, "horizon_minutes": 0.1,
                         "timestamp": T0 + 4_000}],
    }  # fmt: skip
    hits = outcome_traces(resolved, candles, "1s", {"dqn", "cnn", "transformer"}, None)[0]
    marker = hits["marker"]
    assert hits["customdata"] == ["d", "c", "t"]
    assert (hits["y"][2], marker["symbol"][2], marker["angle"][2], marker["standoff"][2]) == (
        100.5, "star", 0, 0)  # fmt: skip
    assert hits["y"][0] == max(c.high for c in candles[1:6])
    assert (marker["symbol"][0], marker["angle"][0] % 360) == ("triangle-up", 180)
    assert marker["standoff"][:2] == [ARROW_STANDOFF, 0] and marker["angle"][1] == 0
    assert hits["y"][1] == 101.0


def test_a_disagreement_cross_points_at_its_candles_high_and_is_pushed_up_off_its_arrow():
    """At the high itself (inside the price range the chart fits to its candles), drawn a few
    pixels above it, beyond a SELL arrow there: not a fixed fraction of the price, which put it
    far above a calm candle and out of view on the 1 s chart."""
    from dashboard.figures.chart_layout import MARK_ROOM_PX
    from dashboard.figures.charts import ARROW_REACH
    from dashboard.figures.outcome_overlays import (
        DISAGREEMENT_SIZE,
        DISAGREEMENT_STANDOFF,
        disagreement_trace,
    )

    candles = make_candles(30, start=T0)
    found = [{"time": candles[7].time + 20_000, "timeframe": "1m", "detail": "cnn UP, dqn SELL"}]
    assert disagreement_trace(found, candles, "1s")["x"] == []  # the minute chart's, not this
    found[0].update(timeframe="1s", time=candles[7].time)
    trace = disagreement_trace(found, candles, "1s")
    # The high a SELL arrow there points at: its candle's and its neighbours' highest.
    assert trace["y"] == [max(c.high for c in candles[5:10])] and trace["x"] == [candles[7].time]
    assert trace["marker"]["angle"] % 360 == 180  # turned over: the standoff pushes it up
    assert trace["marker"]["standoff"] == DISAGREEMENT_STANDOFF
    # Its arms clear the largest arrow and stay inside the room the price axis keeps.
    assert ARROW_REACH < DISAGREEMENT_STANDOFF - DISAGREEMENT_SIZE / 2
    assert DISAGREEMENT_STANDOFF + DISAGREEMENT_SIZE / 2 <= MARK_ROOM_PX
