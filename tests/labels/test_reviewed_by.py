"""Who reviewed a span, and when: recorded on accept and reject (one at a time and in bulk),
kept in JSON exports and imports, and added in place to a database from before (nothing lost)."""

import sqlite3

from core.db import Database
from core.spans import Span
from labels.annotation_files import export_spans, read_spans
from labels.annotations import AnnotationStore

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000
TIMES = [T0 + i * 60_000 for i in range(100)]

OLD_SCHEMA = """
CREATE TABLE annotations (
    id TEXT PRIMARY KEY,
    symbol TEXT NOT NULL, timeframe TEXT NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    label TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '', author TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, confidence REAL,
    UNIQUE (symbol, timeframe, start, "end", label, source)
);
"""


def candle_times(symbol, timeframe, start, end):
    if (symbol, timeframe) != ("BTC/USDT", "1m"):
        return None
    return [t for t in TIMES if start <= t <= end]


def span(i, status="pending", source="talib"):
    return Span(None, "BTC/USDT", "1m", T0 + i * 60_000, T0 + (i + 2) * 60_000, "CDLDOJI",
                source, status, author="ann")  # fmt: skip


def test_a_database_from_before_gains_the_columns_and_keeps_its_spans(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
        conn.execute(
            "INSERT INTO annotations VALUES ('a1','BTC/USDT','1m',?,?,'bull_flag','human',"
            "'accepted','kept','ann',1,2,NULL)",
            (T0, T0 + 60_000),
        )
    store = AnnotationStore(Database(path), candle_times)
    [old] = store.list()
    assert (old.id, old.label, old.note, old.author) == ("a1", "bull_flag", "kept", "ann")
    assert (old.reviewed_by, old.reviewed_at) == ("", None)
    reviewed = store.update("a1", status="rejected", reviewed_by="bo")
    assert reviewed.reviewed_by == "bo" and reviewed.reviewed_at >= reviewed.created_at
    # Opening it again changes nothing more.
    again = AnnotationStore(Database(path), candle_times)
    assert again.get("a1") == reviewed


def test_single_and_bulk_reviews_record_the_person_and_time(tmp_path):
    store = AnnotationStore(Database(tmp_path / "a.db"), candle_times)
    made = [store.create(span(i * 5)) for i in range(4)]
    one = store.update(made[0].id, status="accepted", reviewed_by="ann")
    assert (one.reviewed_by, one.author) == ("ann", "ann") and one.reviewed_at
    # An edit that is no verdict leaves the review as it was.
    assert store.update(made[0].id, note="clean").reviewed_by == "ann"
    assert store.set_status([s.id for s in made[1:]], "rejected", reviewed_by="bo") == 3
    bulk = [store.get(s.id) for s in made[1:]]
    assert {(s.status, s.reviewed_by) for s in bulk} == {("rejected", "bo")}
    assert all(s.reviewed_at for s in bulk)
    # Undo of the bulk review brings the spans back unreviewed.
    store.undo()
    assert {store.get(s.id).reviewed_by for s in made[1:]} == {""}


def test_json_export_then_import_keeps_who_reviewed(tmp_path):
    store = AnnotationStore(Database(tmp_path / "a.db"), candle_times)
    made = store.create(span(3))
    reviewed = store.update(made.id, status="accepted", reviewed_by="ann")
    path = export_spans([reviewed], tmp_path / "spans.json")
    assert read_spans(path) == [reviewed]
