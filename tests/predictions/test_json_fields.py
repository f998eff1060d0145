"""The queries that read fields inside a prediction's stored JSON (its source, its model
version) answer the same on SQLite and PostgreSQL."""

from core.db import Database
from predictions.book import PredictionBook
from predictions.queries import recent_resolved

T = 1_700_000_000_000


def cnn(i, source, version):
    return {"timestamp": T + i * 60_000, "confidence": 0.7, "direction": "UP",
            "current_price": 100.0, "target_price": 101.0, "horizon_minutes": 5,
            "source": source, "model_version": version}  # fmt: skip


def test_clearing_by_source_and_the_newest_resolved_per_version_on_both(db_url):
    db = Database(db_url)
    try:
        book = PredictionBook(db, ["A"])
        made = [("live", "1"), ("live", "1"), ("live", "2"), ("backtest", "2"), ("live", "1")]
        saved = [book.add("cnn", "A", cnn(i, src, ver)) for i, (src, ver) in enumerate(made)]
        outcomes = [
            {"id": p["id"], "symbol": "A", "resolved_at": T + 10**6 + i, "realised_price": 101.0,
             "hit": i % 2 == 0, "error_pct": 0.1, "naive_error_pct": 0.2}
            for i, p in enumerate(saved)
        ]  # fmt: skip
        assert book.record_outcomes(outcomes) == 5
        assert book.record_outcomes(outcomes[:2]) == 0  # resolved once

        rows, totals = recent_resolved(db, "A", ("cnn",), ("live",), per_group=2)
        assert totals == {("cnn", "1", "A"): 3, ("cnn", "2", "A"): 1}
        assert [p["id"] for p in rows] == [saved[i]["id"] for i in (1, 2, 4)]

        assert book.clear("A", source="backtest") == 1
        left = db.query("SELECT id FROM predictions WHERE cleared=0 ORDER BY seq")
        assert [r["id"] for r in left] == [saved[i]["id"] for i in (0, 1, 2, 4)]
    finally:
        db.close()
