"""The minute chart in auto over a loaded range draws the stored predictions of that range, not
only the few the deques hold: older ones come back from the store, cleared ones don't, dense
ones are thinned per candle, and a redraw for a new live prediction keeps them."""

import pytest

from dashboard.figures.charts import TRACE
from dashboard.figures.outcome_overlays import OUTCOME_TRACE
from dashboard.panels.charts.live_charts import auto_tick, make_view
from runtime.orchestrator import Orchestrator
from tests.helpers.candles import make_candles
from tests.helpers.figures import apply_patch, browser_json

MIN = 60_000
HOUR = 3_600_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % HOUR
DAYS = 3
END = T0 + DAYS * 24 * HOUR
SYMBOL = "BTC/USDT"
ALL = ["dqn", "cnn", "transformer"]


def buy(ts: int, price: float = 100.0) -> dict:
    return {"timestamp": ts, "confidence": 0.8, "action": "BUY", "price": price}


@pytest.fixture
def orch(make_config):
    orch = Orchestrator(make_config(orchestrator={"prediction_maxlen": 5}))
    orch.store.merge_history(SYMBOL, "1m", make_candles(DAYS * 1440, start=T0, frame_ms=MIN))
    return orch


def xs(figure: dict, trace: str) -> list:
    return figure["data"][TRACE[trace]]["x"]


def test_stored_predictions_older_than_the_deques_are_drawn_in_their_range(orch):
    cleared = orch.store_dqn_prediction(SYMBOL, buy(T0 + 20 * HOUR))["timestamp"]
    orch.clear_predictions(SYMBOL)
    kept = orch.store_dqn_prediction(SYMBOL, buy(T0 + 21 * HOUR))
    resolved = orch.store_dqn_prediction(SYMBOL, buy(T0 + 22 * HOUR))
    orch.predictions.record_outcomes([{
        "id": resolved["id"], "symbol": SYMBOL, "resolved_at": T0 + 22 * HOUR + 5 * MIN,
        "realised_price": 101.0, "hit": True, "error_pct": None, "naive_error_pct": None,
    }])  # fmt: skip
    # Five hours of a BUY a minute on day two: 300 markers for 60 candles of 5 minutes.
    dense = [orch.store_dqn_prediction(SYMBOL, buy(T0 + 30 * HOUR + i * MIN))
             for i in range(300)]  # fmt: skip
    for i in range(10):  # the deques (five per kind) now hold only the newest of these
        orch.store_dqn_prediction(SYMBOL, buy(END - HOUR + i * MIN))
    held = {p["id"] for p in orch.predictions.snapshot(SYMBOL)["dqn"]}
    assert kept["id"] not in held and dense[0]["id"] not in held

    view = make_view(ALL, visible=[T0, END])  # all three days: 5 m candles
    figure, state = auto_tick(orch, SYMBOL, "1m", view, None)
    data = browser_json(figure)
    assert data["layout"]["title"]["text"] == "BTC/USDT · 5m candles · auto"
    drawn = xs(data, "dqn_buy")
    assert kept["timestamp"] in drawn
    assert cleared not in drawn
    assert resolved["timestamp"] in data["data"][OUTCOME_TRACE["outcome_hit"]]["x"]
    in_dense = [x for x in drawn if T0 + 30 * HOUR <= x < T0 + 35 * HOUR]
    # One per 5 m candle: the newest (its fifth minute) standing for the others.
    assert sorted(in_dense) == [T0 + 30 * HOUR + (i * 5 + 4) * MIN for i in range(60)]
    assert len(drawn) == 1 + 60 + 2  # the last hour's ten: two candles

    # A new live prediction redraws the overlays (a Patch): the stored ones stay.
    orch.store_dqn_prediction(SYMBOL, buy(END - 5 * MIN, price=102.0))
    patch, _ = auto_tick(orch, SYMBOL, "1m", view, state)
    apply_patch(data, browser_json(patch))
    drawn = xs(data, "dqn_buy")
    assert kept["timestamp"] in drawn and cleared not in drawn
    assert END - 5 * MIN in drawn


def test_a_range_panned_back_reads_only_its_own_stored_predictions(orch):
    early = orch.store_dqn_prediction(SYMBOL, buy(T0 + 2 * HOUR))
    late = orch.store_dqn_prediction(SYMBOL, buy(T0 + 40 * HOUR))
    for i in range(10):
        orch.store_dqn_prediction(SYMBOL, buy(END - HOUR + i * MIN))
    view = make_view(ALL, visible=[T0 + HOUR, T0 + 5 * HOUR])  # four hours: 1 m candles
    figure, state = auto_tick(orch, SYMBOL, "1m", view, None)
    drawn = xs(browser_json(figure), "dqn_buy")
    assert early["timestamp"] in drawn and late["timestamp"] not in drawn
    assert state["window"][1] is not None  # a range in the past: it doesn't follow live


def test_the_read_keeps_per_candle_what_fits_the_cap_over_the_whole_range():
    from dashboard.panels.charts.ranged_overlays import (
        MAX_STORED_PREDICTIONS,
        MOST_PER_CANDLE,
        per_candle,
    )

    day, hour = 86_400_000, 3_600_000
    assert per_candle(0, 4 * hour, 60_000, 3) == MOST_PER_CANDLE  # four hours of minutes
    month = per_candle(0, 30 * day, hour, 3)  # zoomed out over a month of hour candles
    assert month == 2 and (30 * 24 + 1) * 3 * month <= MAX_STORED_PREDICTIONS
    assert per_candle(0, 365 * day, 60_000, 3) == 1  # never none


def test_resolved_markers_over_the_cap_spread_over_the_whole_range():
    from dashboard.figures.outcome_overlays import MAX_RESOLVED, in_window

    hour = 3_600_000
    # A month of hour candles, a resolved call of each direction on every one: over the cap.
    resolved = {"cnn": [{"id": f"{i}{d}", "kind": "cnn", "timestamp": i * hour, "seq": 2 * i + j,
                         "direction": d, "hit": True}
                        for i in range(720) for j, d in enumerate(("UP", "DOWN"))]}  # fmt: skip
    drawn = in_window(resolved, None, hour)["cnn"]
    assert len(drawn) <= MAX_RESOLVED
    stamps = sorted(p["timestamp"] for p in drawn)
    assert stamps[-1] == 719 * hour and stamps[0] <= 2 * hour  # the newest and the oldest days
    assert in_window({"cnn": []}, None, hour) == {"cnn": []}
