"""A loaded chart range reads its stored predictions: the newest within a limit, cleared ones
left out, on SQLite and PostgreSQL; merged with the deques, the held copy wins."""

from core.db import Database
from predictions.book import PredictionBook
from predictions.queries import newest_in_range, with_held

T = 1_700_000_000_000
MIN = 60_000


def buy(i: int) -> dict:
    return {"timestamp": T + i * MIN, "confidence": 0.7, "action": "BUY", "price": 100.0}


def cnn(i: int) -> dict:
    return {"timestamp": T + i * MIN, "confidence": 0.7, "direction": "UP",
            "current_price": 100.0, "target_price": 101.0, "horizon_minutes": 5}  # fmt: skip


def test_the_newest_uncleared_of_the_range_within_the_limit_on_both(db_url):
    db = Database(db_url)
    try:
        book = PredictionBook(db, ["A", "B"], maxlen=3)
        gone = book.add("dqn", "A", buy(5))
        book.clear("A")
        # Stored out of time order (a backtest after live): "newest" is by timestamp.
        late = [book.add("dqn", "A", buy(i)) for i in range(20, 30)]
        early = [book.add("dqn", "A", buy(i)) for i in range(10)]
        book.add("cnn", "A", cnn(3))
        book.add("dqn", "B", buy(3))
        got = newest_in_range(db, "A", ("dqn",), T, T + 25 * MIN, limit=8)
        # [T, T + 25 min): the ten early ones and 20..24; the newest eight of those.
        stamps = [T + i * MIN for i in (20, 21, 22, 23, 24, 7, 8, 9)]
        assert [p["timestamp"] for p in got] == stamps  # in store order
        assert gone["id"] not in {p["id"] for p in newest_in_range(db, "A", ("dqn",), T, None, 99)}
        everything = newest_in_range(db, "A", ("dqn", "cnn"), T, None, 99)
        assert len(everything) == len(late) + len(early) + 1
        assert newest_in_range(db, "A", (), T, None, 99) == []
    finally:
        db.close()


def test_the_held_copy_of_a_prediction_wins_and_store_order_is_kept():
    stored = [{"id": "a", "kind": "dqn", "seq": 1}, {"id": "b", "kind": "dqn", "seq": 2},
              {"id": "c", "kind": "cnn", "seq": 3}]  # fmt: skip
    held = {"dqn": [{"id": "b", "kind": "dqn", "seq": 2, "hit": True},
                    {"id": "d", "kind": "dqn", "seq": 4}], "cnn": []}  # fmt: skip
    merged = with_held(stored, held)
    assert [p["id"] for p in merged["dqn"]] == ["a", "b", "d"]
    assert merged["dqn"][1]["hit"] is True
    assert [p["id"] for p in merged["cnn"]] == ["c"]


def test_a_dense_range_is_thinned_over_all_of_its_candles_not_cut_to_its_newest(db_url):
    db = Database(db_url)
    try:
        book = PredictionBook(db, ["A"], maxlen=3)
        for i in range(180):  # three hours, one call a minute
            book.add("dqn", "A", buy(i))
        hour = 60 * MIN
        got = newest_in_range(db, "A", ("dqn",), T, None, 99, bucket_ms=hour, per_bucket=2)
        buckets = {}
        for p in got:
            buckets.setdefault(p["timestamp"] // hour, []).append(p["timestamp"])
        # Every hour the range touches keeps its newest two (T is not on an hour boundary).
        assert len(buckets) == len({(T + i * MIN) // hour for i in range(180)})
        for stamps in buckets.values():
            newest = sorted((T + i * MIN for i in range(180) if (T + i * MIN) // hour
                             == stamps[0] // hour), reverse=True)[:2]  # fmt: skip
            assert sorted(stamps, reverse=True) == newest
        # The limit still bounds it, newest first.
        capped = newest_in_range(db, "A", ("dqn",), T, None, 3, bucket_ms=hour, per_bucket=2)
        assert len(capped) == 3 and max(p["timestamp"] for p in capped) == T + 179 * MIN
    finally:
        db.close()
