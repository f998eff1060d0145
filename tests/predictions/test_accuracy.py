"""Accuracy figures against hand-computed values, and the REST routes over predictions
(accuracy, the since_seq cursor)."""

import pytest

from app import create_app
from predictions.accuracy import accuracy
from tests.helpers.outcomes import ladder

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000
M = 60_000


def resolved(i, hit, realised="UP", conf=0.55, err=1.0, naive=2.0, kind="cnn", version="1"):
    return {"kind": kind, "model_version": version, "symbol": "A", "seq": i,
            "resolved_at": T0 + i * M, "hit": hit, "confidence": conf,
            "realised_direction": realised, "error_pct": err, "naive_error_pct": naive}  # fmt: skip


def test_rolling_hit_rate_majority_skill_and_calibration_by_hand():
    items = [
        resolved(0, True, "UP", 0.55, 1.0, 2.0),
        resolved(1, False, "DOWN", 0.65, 3.0, 2.0),
        resolved(2, True, "UP", 0.95, 2.0, 4.0),
        resolved(3, True, "UP", 0.92, 0.0, 4.0),
    ]
    [group] = accuracy(items, window=3)
    assert group["n"] == 4 and group["hit_rate"] == pytest.approx(2 / 3)  # last 3: F T T
    assert [round(s["hit_rate"], 3) for s in group["series"]] == [1.0, 0.5, 0.667, 0.667]
    assert group["majority_baseline"] == pytest.approx(2 / 3)  # DOWN UP UP
    assert group["majority_direction"] == "UP"
    assert group["mean_error_pct"] == pytest.approx(5 / 3)  # 3, 2, 0
    assert group["mean_naive_error_pct"] == pytest.approx(10 / 3)  # 2, 4, 4
    assert group["skill"] == pytest.approx(0.5)
    bins = {(b["low"], b["n"]): b["hit_rate"] for b in group["calibration"] if b["n"]}
    assert bins == {(0.5, 1): 1.0, (0.6, 1): 0.0, (0.9, 2): 1.0}


def test_groups_by_kind_version_and_leave_pending_out():
    items = [resolved(0, True), resolved(1, False, version="2"),
             {**resolved(2, True), "resolved_at": None}]  # fmt: skip
    groups = accuracy(items, window=50)
    assert [(g["model_version"], g["n"]) for g in groups] == [("1", 1), ("2", 1)]


@pytest.fixture
def client(make_config):
    app = create_app(config=make_config())
    orch = app.server.extensions["orchestrator"]
    orch.store.merge_history("BTC/USDT", "1m", ladder(T0, 8))
    for i in range(3):
        orch.store_cnn_prediction("BTC/USDT", {"timestamp": T0 + i * M, "confidence": 0.7,
            "direction": "UP" if i != 1 else "DOWN", "current_price": 100.0 + i,
            "target_price": 102.0 + i, "horizon_minutes": 2})  # fmt: skip
    orch.outcomes.run_pass()
    return app.server.test_client(), orch


def test_accuracy_endpoint_returns_the_same_figures(client):
    http, orch = client
    body = http.get("/api/predictions/accuracy?symbol=BTC/USDT&kind=cnn&window=50").get_json()
    [group] = body["groups"]
    assert group["n"] == 3 and group["hit_rate"] == pytest.approx(2 / 3)
    assert group["coin_baseline"] == 0.5 and group["majority_direction"] == "UP"
    assert http.get("/api/predictions/accuracy?kind=lstm").status_code == 400
    assert http.get("/api/predictions/accuracy?symbol=NOPE").status_code == 404
    bad = http.get("/api/predictions/accuracy?window=0")
    assert bad.status_code == 400 and "window must be >= 1" in bad.get_json()["error"]


def test_live_updates_since_seq_returns_what_was_stored_after_it(client):
    http, orch = client
    url = "/api/live-updates?symbol=BTC/USDT&timeframe=1m&since_seq="
    first = http.get(url + "0").get_json()
    seqs = [p["seq"] for p in first["predictions"]["cnn"]]
    assert seqs == sorted(seqs) and len(seqs) == 3 and first["last_seq"] == seqs[-1]
    assert first["predictions"]["cnn"][0]["hit"] is True  # outcomes come with them
    # Stamped earlier than everything held, stored later: a time cursor would miss it.
    late = orch.store_dqn_prediction(
        "BTC/USDT", {"timestamp": T0 - 10 * M, "confidence": 0.5, "action": "BUY", "price": 99.0}
    )
    after = http.get(url + str(first["last_seq"])).get_json()
    assert [p["id"] for p in after["predictions"]["dqn"]] == [late["id"]]
    assert after["predictions"]["cnn"] == [] and after["last_seq"] == late["seq"]
    assert http.get(url + "-1").status_code == 400
    doc = http.get("/api/openapi.json").get_json()
    names = [p["name"] for p in doc["paths"]["/api/live-updates"]["get"]["parameters"]]
    assert "since_seq" in names and "/api/predictions/accuracy" in doc["paths"]


def test_pattern_spans_are_scored_against_accepted_human_spans(client):
    http, orch = client
    from core.spans import Span

    with orch.db.transaction() as conn:
        conn.executemany(
            "INSERT INTO pattern_labels VALUES (?,?,?,?,?,?)",
            [("BTC/USDT", "1m", T0 + i * M, label, 0.8, "1")
             for i, label in enumerate(["breakout", "breakout", "none", "reversal_up"])],
        )  # fmt: skip
    orch.annotations.create(Span(None, "BTC/USDT", "1m", T0, T0 + M, "breakout", "human",
                                 "accepted"))  # fmt: skip
    orch.annotations.create(Span(None, "BTC/USDT", "1m", T0 + 3 * M, T0 + 3 * M, "double_top",
                                 "human", "accepted"))  # fmt: skip
    body = http.get("/api/predictions/accuracy?symbol=BTC/USDT&kind=pattern").get_json()
    assert body["pattern"]["1m"] == {"scored": 2, "hits": 1, "hit_rate": 0.5}
    assert body["groups"] == []


def test_training_predictions_are_left_out_unless_asked_for(client):
    http, orch = client
    orch.store_cnn_prediction("BTC/USDT", {"timestamp": T0, "confidence": 0.9,
        "direction": "DOWN", "current_price": 100.0, "target_price": 99.0,
        "horizon_minutes": 2, "source": "training"})  # fmt: skip
    orch.outcomes.run_pass()
    url = "/api/predictions/accuracy?symbol=BTC/USDT&kind=cnn"
    assert http.get(url).get_json()["groups"][0]["n"] == 3
    both = http.get(url + "&source=live&source=training").get_json()
    assert both["groups"][0]["n"] == 4 and both["sources"] == ["live", "training"]
    assert http.get(url + "&source=paper").status_code == 400


# ---- issue 19, finding 7: accuracy reads a bounded window ------------------------------------


def insert_resolved(db, count, version="1", source="live", first=0, kind="cnn"):
    """``count`` scored predictions straight into the store (hits on every third one missed)."""
    import json

    with db.transaction() as conn:
        for i in range(first, first + count):
            pid = f"{kind}-{version}-{source}-{i}"
            data = {"id": pid, "kind": kind, "symbol": "BTC/USDT", "timeframe": "1m",
                    "timestamp": T0 + i * M, "source": source, "model": kind,
                    "model_version": version, "confidence": 0.5 + (i % 5) / 10,
                    "direction": "UP", "current_price": 100.0, "target_price": 101.0,
                    "horizon_minutes": 1}  # fmt: skip
            conn.execute(
                "INSERT INTO predictions (id, kind, symbol, timestamp, data) VALUES (?,?,?,?,?)",
                (pid, kind, "BTC/USDT", T0 + i * M, json.dumps(data)),
            )
            conn.execute(
                "INSERT INTO prediction_outcomes (id, resolved_at, realised_price, hit,"
                " error_pct, naive_error_pct, detail) VALUES (?,?,?,?,?,?,?)",
                (pid, T0 + (i + 1) * M, 101.0, int(i % 3 != 0), 0.5, 1.0,
                 json.dumps({"realised_direction": "UP"})),
            )  # fmt: skip


@pytest.fixture
def many(make_config):
    app = create_app(config=make_config(limits={"accuracy_predictions": 1000}))
    orch = app.server.extensions["orchestrator"]
    insert_resolved(orch.db, 1500, version="1")
    insert_resolved(orch.db, 20, version="2", first=2000)
    insert_resolved(orch.db, 30, version="1", source="training", first=3000)
    return app.server.test_client(), orch


def test_the_newest_resolved_per_model_are_read_and_all_are_counted(many):
    from predictions.queries import recent_resolved

    _, orch = many
    rows, totals = recent_resolved(orch.db, None, None, ("live", "backtest"), 1000)
    by_version = {}
    for p in rows:
        by_version.setdefault(p["model_version"], []).append(p)
    assert {v: len(items) for v, items in by_version.items()} == {"1": 1000, "2": 20}
    newest = sorted(p["resolved_at"] for p in by_version["1"])
    assert newest[0] == T0 + 501 * M and newest[-1] == T0 + 1500 * M  # the newest 1000
    assert [p["seq"] for p in rows] == sorted(p["seq"] for p in rows)
    assert totals == {("cnn", "1", "BTC/USDT"): 1500, ("cnn", "2", "BTC/USDT"): 20}


@pytest.mark.parametrize("query", ["", "?symbol=BTC/USDT&kind=cnn&window=200"])
def test_the_accuracy_endpoint_counts_all_but_reads_the_newest(many, query):
    http, orch = many
    body = http.get(f"/api/predictions/accuracy{query}").get_json()
    one = next(g for g in body["groups"] if g["model_version"] == "1")
    assert one["n"] == 1500 and one["read"] == 1000
    # The window's figures are those of all of them: the window lies inside what was read.
    from predictions.queries import stored

    every = [p for p in stored(orch.db, "BTC/USDT", ("cnn",), resolved_only=True)
             if p["source"] == "live" and p["model_version"] == "1"]  # fmt: skip
    [full] = accuracy(every, window=200)
    assert one["hit_rate"] == pytest.approx(full["hit_rate"])
    assert one["majority_baseline"] == pytest.approx(full["majority_baseline"])


def test_a_window_longer_than_what_is_read_is_refused(many):
    http, _ = many
    bad = http.get("/api/predictions/accuracy?window=1001")
    assert bad.status_code == 400 and "window must be <= 1000" in bad.get_json()["error"]


def test_the_models_tab_reads_the_same_bounded_window(many, monkeypatch):
    from dashboard.panels.models_tab import refresh_models
    from predictions import queries

    http, orch = many
    read = []
    monkeypatch.setattr(queries, "from_row", lambda row, real=queries.from_row: (
        read.append(1) or real(row)))  # fmt: skip
    with http.application.test_request_context():
        cards = refresh_models(None, "cnn", "BTC/USDT", "models")
    assert len(read) == 1000 + 20  # not every one of the 1,550 stored
    text = str(cards)
    assert "cnn v1 · BTC/USDT · 1500 resolved" in text and "cnn v2 · BTC/USDT · 20 resolved" in text
