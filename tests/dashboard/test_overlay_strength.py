"""Hours of live predictions stay readable: the newest per kind strong and older ones faded,
future targets collapsed to the newest per horizon, dense markers thinned per candle."""

import pytest

from core.config import ConfigError
from dashboard.figures.charts import TRACE
from dashboard.figures.outcome_overlays import OUTCOME_TRACE
from dashboard.figures.overlay_strength import (
    FADED,
    collapse_targets,
    full_strength,
    readable,
    thin,
)
from dashboard.panels.charts.live_charts import chart_view, make_view
from runtime.config import config_from_dict
from runtime.orchestrator import Orchestrator
from tests.helpers.candles import make_candles
from tests.helpers.figures import browser_json

MIN = 60_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000  # on a whole hour
SYMBOL = "BTC/USDT"


def cnn(i, horizon=5, timeframe="1m", **extra):
    return {"id": f"c{i}", "kind": "cnn", "seq": i, "timestamp": T0 + i * MIN, "confidence": 0.8,
            "direction": "UP", "current_price": 100.0, "target_price": 101.0,
            "horizon_minutes": horizon, "timeframe": timeframe, **extra}  # fmt: skip


def dqn(i, action="BUY", minute=None):
    ts = T0 + (i if minute is None else minute) * MIN + (i % 60) * 1000
    return {"id": f"d{i}", "kind": "dqn", "seq": i, "timestamp": ts, "confidence": 0.6,
            "action": action, "price": 100.0}  # fmt: skip


def test_the_newest_n_of_each_kind_are_strong_and_holds_do_not_count():
    predictions = {
        "dqn": [dqn(i) for i in range(5)] + [dqn(i, "HOLD") for i in range(5, 9)],
        "cnn": [cnn(i) for i in range(4)],
    }
    assert full_strength(predictions, 2) == {"d3", "d4", "c2", "c3"}
    assert full_strength(predictions, 100) == {f"d{i}" for i in range(5)} | {
        f"c{i}" for i in range(4)
    }


def test_future_targets_collapse_to_the_newest_per_timeframe_and_horizon():
    pending = {
        "cnn": [
            cnn(0), cnn(1), cnn(2),  # 5 min horizon on 1 m: c2 stands for two
            cnn(3, horizon=15),  # another horizon: its own
            cnn(4, horizon=5, timeframe="1s"),  # another timeframe: its own
            {**cnn(5), "target_price": None, "action": "BUY"},  # no target: not a future one
        ],
        "dqn": [dqn(6)],
    }  # fmt: skip
    out = collapse_targets(pending)
    assert [p["id"] for p in out["cnn"]] == ["c2", "c3", "c4", "c5"]
    assert out["cnn"][0]["hidden"] == 2 and "hidden" not in out["cnn"][1]
    assert out["dqn"] == pending["dqn"]
    assert "hidden" not in pending["cnn"][2]  # the book's dicts are not changed


def test_resolved_targets_are_not_future_ones_and_stay():
    resolved = {**cnn(1), "resolved_at": T0 + 6 * MIN, "hit": True}
    out = collapse_targets({"cnn": [cnn(0), resolved, cnn(2)]})
    assert [p["id"] for p in out["cnn"]] == ["c1", "c2"]


def test_markers_on_one_candle_thin_to_the_newest_of_each_call():
    # Ten 1 m DQN calls: on 5 m candles, two candles of BUYs, and one SELL kept apart.
    items = [dqn(i, minute=i) for i in range(10)] + [dqn(10, "SELL", minute=9)]
    out = thin({"dqn": items}, 5 * MIN)
    assert [(p["id"], p.get("more", 0)) for p in out["dqn"]] == [("d4", 4), ("d9", 4), ("d10", 0)]
    assert thin({"dqn": items}, MIN)["dqn"] == items  # one per 1 m candle: nothing to thin


def test_targets_thin_by_where_their_marker_sits():
    # Two horizons ending in the same hour candle: one marker, the other counted.
    out = readable({"cnn": [cnn(0, horizon=5), cnn(1, horizon=10)]}, 3_600_000)
    assert [(p["id"], p.get("more", 0)) for p in out["cnn"]] == [("c1", 1)]


def test_overlay_full_strength_is_checked_with_its_key():
    with pytest.raises(ConfigError, match="dashboard.overlay_full_strength: must be 1..10000"):
        config_from_dict({"dashboard": {"overlay_full_strength": 0}})
    assert config_from_dict({}).dashboard.overlay_full_strength == 10


def test_an_hour_of_predictions_draws_one_target_per_kind_and_fades_the_old(make_config):
    orch = Orchestrator(make_config(dashboard={"overlay_full_strength": 10}))
    orch.store.ingest(SYMBOL, make_candles(120, start=T0, closed_last=False))
    for i in range(60, 119):  # one a minute for an hour, as the live worker makes them
        ts = T0 + i * MIN
        orch.store_cnn_prediction(SYMBOL, {"timestamp": ts, "confidence": 0.9, "direction": "UP",
                                           "current_price": 100.0, "target_price": 100.5,
                                           "horizon_minutes": 5})  # fmt: skip
        orch.store_dqn_prediction(SYMBOL, {"timestamp": ts, "confidence": 0.9,
                                           "action": "BUY" if i % 2 else "SELL",
                                           "price": 100.0})  # fmt: skip
    figure, _ = chart_view(orch, SYMBOL, "1m", make_view(["dqn", "cnn", "transformer"]))
    data = browser_json(figure)
    targets = data["data"][TRACE["cnn"]]
    assert targets["x"] == [T0 + 118 * MIN + 5 * MIN]
    assert "+49 older targets of this horizon hidden" in targets["hovertext"][0]
    lines = [s for s in data["layout"]["shapes"] if s.get("name", "").startswith("cnn:")]
    assert len(lines) == 1
    opacity = [*data["data"][TRACE["dqn_buy"]]["marker"]["opacity"],
               *data["data"][TRACE["dqn_sell"]]["marker"]["opacity"]]  # fmt: skip
    strong = round(0.3 + 0.7 * 0.9, 3)
    assert sorted(opacity).count(strong) == 10
    assert set(opacity) == {strong, round(strong * FADED, 3)}
    assert data["data"][OUTCOME_TRACE["outcome_links"]]["x"] == []  # none resolved yet


def test_outcome_segments_follow_the_toggles_and_only_strong_calls_keep_theirs():
    from dashboard.figures.outcome_overlays import RESOLVED_OPACITY, outcome_traces

    resolved = {"cnn": [{**cnn(i), "resolved_at": T0 + (i + 5) * MIN, "hit": i % 2 == 0,
                         "realised_price": 100.7} for i in range(4)]}  # fmt: skip
    candles = make_candles(20, start=T0)
    full = full_strength(resolved, 1)
    hit, miss, links = outcome_traces(resolved, candles, "1m", ["cnn"], None, full)
    assert len(links["x"]) == 3  # one segment (x, x, gap): the newest call's
    opacity = sorted([*hit["marker"]["opacity"], *miss["marker"]["opacity"]])
    assert opacity == [round(RESOLVED_OPACITY * FADED, 3)] * 3 + [RESOLVED_OPACITY]
    for enabled in ([], ["dqn", "transformer"]):
        hit, miss, links = outcome_traces(resolved, candles, "1m", enabled, None, full)
        assert links["x"] == [] and hit["x"] == [] and miss["x"] == []
