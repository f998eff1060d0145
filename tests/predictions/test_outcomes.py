"""Outcome arithmetic against hand-computed cases, and resolution through SQLite across a
restart."""

import time
from types import SimpleNamespace

import numpy as np
import pytest

from predictions.outcomes import Closes, resolve
from runtime.orchestrator import Orchestrator
from tests.helpers.outcomes import ladder

T0 = 1_700_000_040_000 - 1_700_000_040_000 % 60_000
M = 60_000
CONFIG = SimpleNamespace(stable_band_pct=0.1, fee_pct=0.1, dqn_horizon_candles=2)


def closes(opens, closes_, skip=()):
    times = [T0 + i * M for i in range(len(closes_)) if i not in skip]
    keep = [i for i in range(len(closes_)) if i not in skip]
    return Closes(
        np.array(times, dtype=np.int64),
        np.array([opens[i] for i in keep], dtype=float),
        np.array([closes_[i] for i in keep], dtype=float),
        M,
    )


SERIES = closes([100, 101, 102, 103, 104], [101, 102, 103, 104, 105])


def cnn(**kw):
    return {"id": "p", "symbol": "A", "kind": "cnn", "timestamp": T0, "direction": "UP",
            "current_price": 100.0, "target_price": 104.0, "horizon_minutes": 2.5,
            **kw}  # fmt: skip


def test_a_horizon_between_candles_takes_the_close_of_the_candle_covering_it():
    # due = T0 + 2.5 min: covered by the candle opening at T0 + 2 min (close 103).
    out = resolve(cnn(), SERIES, CONFIG)
    assert out["realised_price"] == 103.0 and out["hit"] is True
    assert out["resolved_at"] == T0 + 3 * M
    assert out["error_pct"] == pytest.approx(1 / 103 * 100)  # |104 - 103| / 103
    assert out["naive_error_pct"] == pytest.approx(3 / 103 * 100)  # |100 - 103| / 103
    assert out["detail"]["realised_direction"] == "UP"


@pytest.mark.parametrize(
    "realised, predicted, band, hit",
    [
        (100.05, "STABLE", 0.1, True),  # +0.05 % is inside the 0.1 % band
        (100.05, "UP", 0.1, False),
        (100.05, "UP", 0.01, True),  # a narrower band makes the same move UP
        (99.85, "DOWN", 0.1, True),
        (99.95, "DOWN", 0.1, False),
    ],
)
def test_the_stable_band_decides_the_realised_direction(realised, predicted, band, hit):
    series = closes([100, 100], [100, realised])
    prediction = cnn(direction=predicted, horizon_minutes=1.0, target_price=100.2)
    config = SimpleNamespace(**{**vars(CONFIG), "stable_band_pct": band})
    assert resolve(prediction, series, config)["hit"] is hit


def test_a_prediction_is_scored_with_its_own_models_band():
    series = closes([100, 100], [100, 100.05])  # +0.05 %
    prediction = cnn(direction="UP", horizon_minutes=1.0, target_price=100.2)
    assert resolve(prediction, series, CONFIG)["hit"] is False  # the config's 0.1 %: STABLE
    assert resolve({**prediction, "stable_band_pct": 0.01}, series, CONFIG)["hit"] is True
    assert resolve({**prediction, "stable_band_pct": None}, series, CONFIG)["hit"] is False


def test_a_missing_candle_at_the_horizon_takes_the_last_close_before_it():
    gap = closes([100, 101, 102, 103, 104], [101, 102, 103, 104, 105], skip=(2,))
    out = resolve(cnn(), gap, CONFIG)
    assert out["realised_price"] == 102.0  # close of the candle at T0 + 1 min
    assert out["detail"]["realised_from"] == "last close before a gap"
    # The gap is at the end: the candle may still come, so the prediction stays pending.
    assert resolve(cnn(), closes([100, 101], [101, 102]), CONFIG) is None


def test_a_horizon_not_yet_closed_stays_pending():
    assert resolve(cnn(horizon_minutes=10), SERIES, CONFIG) is None


@pytest.mark.parametrize(
    "action, hit, net",
    [
        ("BUY", True, (103 / 101 - 1) * 100 - 0.2),  # fill at 101 (open of T0+1m), exit 103
        ("SELL", False, (1 - 103 / 101) * 100 - 0.2),
        ("HOLD", False, 0.0),  # a long trade would have earned its fees
    ],
)
def test_a_dqn_action_is_scored_by_its_net_return_after_the_fill(action, hit, net):
    prediction = {"id": "d", "symbol": "A", "kind": "dqn", "timestamp": T0 + 10_000,
                  "action": action, "price": 100.5}  # fmt: skip
    out = resolve(prediction, SERIES, CONFIG)
    assert out["hit"] is hit and out["detail"]["return_pct"] == pytest.approx(net)
    assert out["realised_price"] == 103.0 and out["resolved_at"] == T0 + 3 * M
    assert out["error_pct"] is None


def test_a_dqn_action_waits_for_its_holding_period():
    config = SimpleNamespace(**{**vars(CONFIG), "dqn_horizon_candles": 5})
    prediction = {"id": "d", "symbol": "A", "kind": "dqn", "timestamp": T0, "action": "BUY",
                  "price": 100.0}  # fmt: skip
    assert resolve(prediction, SERIES, config) is None


def test_outcomes_resolve_across_a_restart_in_the_middle(make_config):
    config = make_config(outcomes={"dqn_horizon_candles": 2})
    orch = Orchestrator(config)
    # An imported series: no feed.
    orch.store.merge_history("IMPORTED", "1m", ladder(T0, 4, close_offset=1))
    early = orch.store_cnn_prediction("IMPORTED", {
        "timestamp": T0, "confidence": 0.7, "current_price": 101.0, "target_price": 102.0,
        "horizon_minutes": 2})  # fmt: skip
    late = orch.store_cnn_prediction("IMPORTED", {
        "timestamp": T0 + 3 * M, "confidence": 0.6, "current_price": 104.0,
        "target_price": 103.0, "horizon_minutes": 3})  # fmt: skip
    assert orch.outcomes.run_pass() == 1
    first = orch.recent_cnn_predictions["IMPORTED"][0]
    # due T0 + 2 min: candle 2 closes at 103; 101 -> 103 is UP, as predicted.
    assert (first["realised_price"], first["hit"]) == (103.0, True)
    assert first["resolved_at"] == T0 + 3 * M
    assert "resolved_at" not in orch.recent_cnn_predictions["IMPORTED"][1]

    again = Orchestrator(config)  # restart: the outcome comes back with the prediction
    held = {p["id"]: p for p in again.recent_cnn_predictions["IMPORTED"]}
    assert held[early["id"]]["hit"] is True and "resolved_at" not in held[late["id"]]
    again.store.merge_history("IMPORTED", "1m", ladder(T0, 4, first=4, close_offset=1))
    assert again.outcomes.run_pass() == 1  # only the one still pending
    assert again.outcomes.run_pass() == 0
    held = {p["id"]: p for p in again.recent_cnn_predictions["IMPORTED"]}
    # due T0 + 6 min: candle 6 closes at 107; 104 -> 107 is UP, predicted DOWN: a miss.
    assert held[late["id"]]["realised_price"] == 107.0 and held[late["id"]]["hit"] is False
    assert held[early["id"]]["resolved_at"] == T0 + 3 * M  # not scored twice
    assert again.db.query("SELECT COUNT(*) AS n FROM prediction_outcomes")[0]["n"] == 2


def test_the_background_worker_catches_up_at_start(make_config):
    orch = Orchestrator(make_config())
    orch.store.merge_history("IMPORTED", "1m", ladder(T0, 10, close_offset=1))
    orch.store_dqn_prediction("IMPORTED", {"timestamp": T0, "confidence": 0.5, "action": "BUY",
                                           "price": 100.0})  # fmt: skip
    orch.outcomes.start()
    try:
        deadline = time.time() + 5
        while "resolved_at" not in orch.recent_dqn_predictions["IMPORTED"][0]:
            assert time.time() < deadline, "not resolved within 5 s"
            time.sleep(0.05)
    finally:
        orch.outcomes.stop()
    assert orch.recent_dqn_predictions["IMPORTED"][0]["hit"] is True
