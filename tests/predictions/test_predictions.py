import threading

import pytest

from core.db import Database
from predictions.book import PredictionBook, PredictionError, normalize_prediction
from runtime.orchestrator import Orchestrator

TS = 1_700_000_000_000


def dqn(i=0, **kw):
    return {"timestamp": TS + i, "confidence": 0.8, "action": "BUY", "price": 100.0, **kw}


def cnn(**kw):
    return {
        "timestamp": TS,
        "confidence": 0.6,
        "direction": "UP",
        "current_price": 100.0,
        "target_price": 101.0,
        "horizon_minutes": 5,
        **kw,
    }


def transformer(**kw):
    return {
        "timestamp": TS,
        "confidence": 0.7,
        "direction": "DOWN",
        "current_price": 100.0,
        "predicted_price": 98.0,
        "horizon_minutes": 10,
        **kw,
    }


def test_normalized_prediction_follows_the_schema():
    p = normalize_prediction("transformer", "BTC/USDT", transformer(model_version=3))
    assert p["model"] == "transformer" and p["model_version"] == "3"
    assert p["symbol"] == "BTC/USDT" and p["source"] == "live" and p["timeframe"] == "1m"
    assert p["price_change"] == pytest.approx(-2.0)
    assert isinstance(p["id"], str) and len(p["id"]) >= 16


@pytest.mark.parametrize(
    "kind, data, message",
    [
        ("dqn", {k: v for k, v in dqn().items() if k != "timestamp"}, "timestamp"),
        ("dqn", dqn(confidence=1.5), "confidence must be in 0..1"),
        ("dqn", dqn(confidence=-0.1), "confidence must be in 0..1"),
        ("dqn", dqn(action="MAYBE"), "action must be one of BUY, SELL, HOLD"),
        ("dqn", dqn(price=0), "price must be > 0"),
        ("cnn", cnn(direction="SIDEWAYS"), "direction must be one of"),
        ("cnn", cnn(horizon_minutes="5"), "horizon_minutes must be a number"),
        ("transformer", transformer(predicted_price=float("nan")), "must be finite"),
        ("lstm", dqn(), "unknown prediction kind"),
        ("dqn", dqn(source="paper"), "source must be one of"),
    ],
)
def test_bad_predictions_are_refused_with_the_field_named(kind, data, message):
    with pytest.raises(PredictionError, match=message):
        normalize_prediction(kind, "BTC/USDT", data)


def test_deques_are_bounded_by_maxlen_and_keep_the_newest(db_url):
    book = PredictionBook(Database(db_url), ["A"], maxlen=5)
    for i in range(12):
        book.add("dqn", "A", dqn(i))
    held = book.snapshot("A")["dqn"]
    assert [p["timestamp"] for p in held] == [TS + i for i in range(7, 12)]


def test_clear_empties_one_symbol_and_survives_restart(make_config):
    config = make_config()
    orch = Orchestrator(config)
    orch.store_dqn_prediction("BTC/USDT", dqn())
    orch.store_cnn_prediction("ETH/USDT", cnn())
    orch.clear_predictions("BTC/USDT")
    assert len(orch.recent_dqn_predictions["BTC/USDT"]) == 0
    assert len(orch.recent_cnn_predictions["ETH/USDT"]) == 1
    again = Orchestrator(config)
    assert len(again.recent_dqn_predictions["BTC/USDT"]) == 0
    assert len(again.recent_cnn_predictions["ETH/USDT"]) == 1


def test_clear_by_source_keeps_live_predictions_across_restart(make_config):
    config = make_config()
    orch = Orchestrator(config)
    orch.store_cnn_prediction("BTC/USDT", cnn(source="live"))
    orch.store_cnn_prediction("BTC/USDT", cnn(source="backtest"))
    orch.store_dqn_prediction("BTC/USDT", dqn(source="backtest"))
    orch.store_dqn_prediction("ETH/USDT", dqn(source="backtest"))
    assert orch.clear_predictions("BTC/USDT", source="backtest") == 2
    assert [p["source"] for p in orch.recent_cnn_predictions["BTC/USDT"]] == ["live"]
    assert len(orch.recent_dqn_predictions["BTC/USDT"]) == 0
    assert len(orch.recent_dqn_predictions["ETH/USDT"]) == 1
    again = Orchestrator(config)
    assert [p["source"] for p in again.recent_cnn_predictions["BTC/USDT"]] == ["live"]
    assert len(again.recent_dqn_predictions["BTC/USDT"]) == 0


def test_live_predictions_evicted_by_a_long_backtest_come_back_when_it_is_cleared(make_config):
    orch = Orchestrator(make_config())
    for i in range(5):
        orch.store_cnn_prediction("BTC/USDT", cnn(timestamp=TS + i, source="live"))
    maxlen = orch.predictions.maxlen
    for i in range(maxlen + 10):  # a backtest stores more than the deque holds
        orch.store_cnn_prediction("BTC/USDT", cnn(timestamp=TS + 100 + i, source="backtest"))
    assert {p["source"] for p in orch.recent_cnn_predictions["BTC/USDT"]} == {"backtest"}
    orch.clear_predictions("BTC/USDT", source="backtest")
    held = orch.recent_cnn_predictions["BTC/USDT"]
    assert [p["timestamp"] for p in held] == [TS + i for i in range(5)]


def test_clear_by_kind_and_source_leaves_other_kinds(make_config):
    orch = Orchestrator(make_config())
    orch.store_cnn_prediction("BTC/USDT", cnn(source="training"))
    orch.store_transformer_prediction("BTC/USDT", transformer(source="training"))
    assert orch.clear_predictions("BTC/USDT", kinds=("cnn",), source="training") == 1
    assert len(orch.recent_cnn_predictions["BTC/USDT"]) == 0
    assert len(orch.recent_transformer_predictions["BTC/USDT"]) == 1
    with pytest.raises(PredictionError, match="source"):
        orch.clear_predictions("BTC/USDT", source="paper")


def test_predictions_survive_a_restart_in_order(make_config):
    config = make_config()
    orch = Orchestrator(config)
    for i in range(3):
        orch.store_dqn_prediction("SOL/USDT", dqn(i))
    orch.store_transformer_prediction("SOL/USDT", transformer())
    again = Orchestrator(config)
    assert [p["timestamp"] for p in again.recent_dqn_predictions["SOL/USDT"]] == [
        TS,
        TS + 1,
        TS + 2,
    ]
    assert again.recent_transformer_predictions["SOL/USDT"][0]["predicted_price"] == 98.0


def test_seq_changes_on_every_write_and_clear():
    book = PredictionBook(None, ["A"])
    seen = {book.seq("A")}
    book.add("cnn", "A", cnn())
    seen.add(book.seq("A"))
    book.clear("A")
    seen.add(book.seq("A"))
    assert len(seen) == 3


def test_concurrent_writers_and_readers_lose_nothing(db_url):
    book = PredictionBook(Database(db_url), ["A", "B"], maxlen=10_000)
    errors = []

    def writer(symbol, kind, make):
        for i in range(200):
            book.add(kind, symbol, make(timestamp=TS + i))

    def reader():
        try:
            for _ in range(400):
                for symbol in ("A", "B"):
                    snap = book.snapshot(symbol)
                    assert all(len(v) <= 10_000 for v in snap.values())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=("A", "dqn", dqn)),
        threading.Thread(target=writer, args=("A", "cnn", cnn)),
        threading.Thread(target=writer, args=("B", "transformer", transformer)),
        threading.Thread(target=writer, args=("B", "dqn", dqn)),
        threading.Thread(target=reader),
        threading.Thread(target=reader),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [len(book.snapshot("A")[k]) for k in ("dqn", "cnn")] == [200, 200]
    assert [len(book.snapshot("B")[k]) for k in ("dqn", "transformer")] == [200, 200]
    rows = book._db.query("SELECT COUNT(*) AS n FROM predictions")[0]["n"]
    assert rows == 800


def test_a_duplicate_id_is_refused_and_the_stored_one_kept(db_url):
    book = PredictionBook(Database(db_url), ["A", "B"])
    book.add("dqn", "A", dqn(id="same"))
    with pytest.raises(PredictionError, match="already stored"):
        book.add("dqn", "B", dqn(id="same", action="SELL"))
    assert book.snapshot("A")["dqn"][0]["action"] == "BUY" and book.snapshot("B")["dqn"] == []


def test_predictions_of_unconfigured_symbols_come_back_after_a_restart(db_url):
    book = PredictionBook(Database(db_url), ["A"])
    book.add("cnn", "MYCOIN", cnn())
    again = PredictionBook(Database(db_url), ["A"])
    again.load()
    assert len(again.snapshot("MYCOIN")["cnn"]) == 1
