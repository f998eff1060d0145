"""The original system's callers, verbatim: each calling form is accepted, stored as the schema
says, persisted and drawn; bad data is refused with the same error as store_*."""

import time
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from predictions.book import normalize_prediction
from predictions.input import PredictionError, to_epoch_ms
from runtime.orchestrator import Orchestrator

MS = 1_700_000_000_000  # 2023-11-14T22:13:20Z


def test_transformer_prediction_with_datetime_now_and_no_direction(make_config):
    orchestrator = Orchestrator(make_config())
    before = int(time.time() * 1000)
    # fmt: off
    orchestrator.store_transformer_prediction('ETH/USDT', {'timestamp': datetime.now(), 'confidence': 0.75,  # noqa: E501
        'current_price': 3500.0, 'predicted_price': 3550.0, 'price_change': 1.43, 'horizon_minutes': 10})  # noqa: E501
    # fmt: on
    held = orchestrator.recent_transformer_predictions["ETH/USDT"][-1]
    assert before - 1000 <= held["timestamp"] <= int(time.time() * 1000)
    assert held["direction"] == "UP" and held["price_change"] == 1.43
    assert held["predicted_price"] == 3550.0 and held["source"] == "live"


def test_backtest_loop_appends_straight_to_the_cnn_deque(make_config):
    config = make_config()
    orchestrator = Orchestrator(config)
    symbol = "BTC/USDT"
    prediction_data = {"timestamp": pd.Timestamp(MS, unit="ms"), "confidence": 0.6,
                       "current_price": 100.0, "target_price": 99.0, "horizon_minutes": 5,
                       "source": "backtest"}  # fmt: skip
    orchestrator.recent_cnn_predictions[symbol].append(prediction_data)  # from its backtest loop  # noqa: E501
    held = orchestrator.recent_cnn_predictions[symbol][-1]
    assert held["timestamp"] == MS and held["direction"] == "DOWN" and held["seq"] >= 1
    assert orchestrator.predictions.snapshot(symbol)["cnn"] == [held]  # what the chart draws
    again = Orchestrator(config)  # persisted exactly once: loading does not store it again
    assert [p["id"] for p in again.recent_cnn_predictions[symbol]] == [held["id"]]
    assert again.db.query("SELECT COUNT(*) AS n FROM predictions")[0]["n"] == 1


def test_backtest_loop_appends_straight_to_the_dqn_deque_and_bad_data_is_refused(make_config):
    orchestrator = Orchestrator(make_config())
    symbol = "SOL/USDT"
    prediction_data = {"timestamp": MS // 1000, "action": "sell", "confidence": 0.9,
                       "price": 20.5, "source": "backtest"}  # fmt: skip
    orchestrator.recent_dqn_predictions[symbol].append(prediction_data)
    held = orchestrator.recent_dqn_predictions[symbol][-1]
    assert held["timestamp"] == MS and held["action"] == "SELL"
    bad = {**prediction_data, "confidence": 1.5}
    with pytest.raises(PredictionError) as direct:
        orchestrator.recent_dqn_predictions[symbol].append(bad)
    with pytest.raises(PredictionError) as stored:
        orchestrator.store_dqn_prediction(symbol, bad)
    assert (
        str(direct.value)
        == str(stored.value)
        == ("dqn prediction: confidence must be in 0..1, got 1.5")
    )
    assert len(orchestrator.recent_dqn_predictions[symbol]) == 1
    with pytest.raises(PredictionError, match="use append"):
        orchestrator.recent_dqn_predictions[symbol].appendleft(prediction_data)


def test_transformer_training_loop_stores_only_an_action(make_config):
    orchestrator = Orchestrator(make_config())
    symbol = "BTC/USDT"
    # fmt: off
    orchestrator.store_transformer_prediction(symbol, {'timestamp': "2023-11-14T22:13:20Z", 'current_price': 37000.0, 'action': 'BUY',  # noqa: E501
        'confidence': 0.55, 'source': 'training'})                               # from its training loop  # noqa: E501
    # fmt: on
    held = orchestrator.recent_transformer_predictions[symbol][-1]
    assert held["timestamp"] == MS and held["action"] == "BUY" and held["direction"] == "UP"
    assert held["predicted_price"] is None and held["horizon_minutes"] is None
    assert held["source"] == "training"


def test_a_deque_of_an_unknown_symbol_is_made_on_first_use(make_config):
    orchestrator = Orchestrator(make_config())
    orchestrator.recent_dqn_predictions["MYCOIN"].append(
        {"timestamp": MS, "action": "BUY", "confidence": 0.5, "price": 2.0}
    )
    assert len(orchestrator.predictions.snapshot("MYCOIN")["dqn"]) == 1


def test_clearing_a_deque_directly_clears_the_stored_rows_too(make_config):
    config = make_config()
    orchestrator = Orchestrator(config)
    orchestrator.recent_dqn_predictions["BTC/USDT"].append(
        {"timestamp": MS, "action": "BUY", "confidence": 0.5, "price": 2.0}
    )
    orchestrator.recent_dqn_predictions["BTC/USDT"].clear()
    assert len(Orchestrator(config).recent_dqn_predictions["BTC/USDT"]) == 0


@pytest.mark.parametrize(
    "value",
    [
        MS,
        MS / 1000,
        np.int64(MS),
        "2023-11-14T22:13:20Z",
        "2023-11-14T22:13:20",  # no offset: UTC
        "2023-11-14T23:13:20+01:00",
        datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
        datetime(2023, 11, 14, 17, 13, 20, tzinfo=timezone(timedelta(hours=-5))),
        pd.Timestamp(MS, unit="ms"),  # naive pandas: UTC
        pd.Timestamp(MS, unit="ms", tz="Asia/Tokyo"),
        np.datetime64(MS, "ms"),
    ],
)
def test_every_timestamp_form_is_stored_as_utc_epoch_ms(value):
    assert to_epoch_ms(value, "cnn") == MS


def test_a_naive_datetime_is_local_time(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert to_epoch_ms(datetime(2023, 11, 14, 17, 13, 20), "cnn") == MS  # EST = UTC-5
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    "value, message",
    [(None, "required"), ("yesterday", "not ISO-8601"), (-5, ">= 0"), (True, "must be epoch"),
     (pd.NaT, "NaT")],
)  # fmt: skip
def test_bad_timestamps_are_refused_with_the_field_named(value, message):
    with pytest.raises(PredictionError, match=message):
        to_epoch_ms(value, "cnn")


@pytest.mark.parametrize(
    "fields, direction",
    [
        ({"price_change": 0.5}, "UP"),
        ({"price_change": -0.05}, "STABLE"),  # inside the 0.1 % band
        ({"price_change": -0.2}, "DOWN"),
        ({"target_price": 100.05}, "STABLE"),
        ({"target_price": 100.2}, "UP"),
        ({"target_price": 99.5}, "DOWN"),
    ],
)
def test_a_missing_direction_is_derived_with_the_stable_band(fields, direction):
    data = {"timestamp": MS, "confidence": 0.5, "current_price": 100.0, "horizon_minutes": 5,
            "target_price": 100.0, **fields}  # fmt: skip
    assert normalize_prediction("cnn", "A", data, band_pct=0.1)["direction"] == direction


def test_numpy_numbers_and_extra_fields_are_stored_as_plain_json(make_config):
    orchestrator = Orchestrator(make_config())
    stored = orchestrator.store_cnn_prediction("BTC/USDT", {
        "timestamp": MS, "confidence": np.float32(0.5), "current_price": np.float64(100.0),
        "target_price": 101.0, "horizon_minutes": np.int64(5), "features": np.array([1.0, 2.0]),
    })  # fmt: skip
    assert stored["features"] == [1.0, 2.0] and stored["horizon_minutes"] == 5.0


def test_an_action_only_transformer_prediction_is_drawn_at_its_price_without_a_line(make_config):
    from dashboard.figures.charts import overlay_points, prediction_lines

    orchestrator = Orchestrator(make_config())
    orchestrator.store_transformer_prediction("BTC/USDT", {
        "timestamp": MS, "current_price": 37000.0, "action": "SELL", "confidence": 0.5,
        "source": "training",
    })  # fmt: skip
    predictions = orchestrator.predictions.snapshot("BTC/USDT")
    points = overlay_points(predictions, [], "1m", ["transformer"], None)["transformer"]
    assert [(p["x"], p["y"]) for p in points] == [(MS, 37000.0)]
    assert prediction_lines(predictions, ["transformer"], None) == []


def test_the_deque_reads_like_a_deque_and_copies_to_a_plain_one(make_config):
    import copy
    from collections import deque

    orchestrator = Orchestrator(make_config())
    held = orchestrator.recent_dqn_predictions["BTC/USDT"]
    held += [{"timestamp": MS + i, "action": "BUY", "confidence": 0.5, "price": 2.0}
             for i in range(3)]  # fmt: skip
    assert len(held) == 3 and held.maxlen == 50 and held[0]["timestamp"] == MS
    plain = copy.copy(held)
    assert type(plain) is deque and list(plain) == list(held)
    plain.append({"anything": True})  # a copy is the caller's own: no validation, no storage
    assert len(orchestrator.recent_dqn_predictions["BTC/USDT"]) == 3
