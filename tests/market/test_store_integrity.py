"""Data integrity of the candle store: failed writes are retried, reads never hold the writer."""

import sqlite3
import threading
import time

import pytest
from sqlalchemy import event

from core.db import Database
from market.candle_store import CandleStore
from market.feed_runner import FeedRunner
from tests.helpers.candles import make_candles
from tests.helpers.feeds import FAST, SYMBOL, FakeFeed, assert_whole_and_true, stored_seconds
from tests.helpers.waiting import wait_for


class FlakyDatabase(Database):
    """Fails the next ``fail`` transactions, like a locked or full disk."""

    fail = 0

    def transaction(self):
        if self.fail > 0:
            self.fail -= 1
            raise sqlite3.OperationalError("database is locked")
        return super().transaction()


def stored_times(db, timeframe="1s"):
    rows = db.query("SELECT time FROM candles WHERE timeframe=? ORDER BY time", (timeframe,))
    return [r[0] for r in rows]


def test_a_failed_write_keeps_the_candles_queued_and_the_next_flush_writes_them(db_url):
    db = FlakyDatabase(db_url)
    store = CandleStore(db)
    heard = []
    store.add_listener(heard.append)
    candles = make_candles(130)
    db.fail = 1
    with pytest.raises(sqlite3.OperationalError):
        store.ingest(SYMBOL, candles[:70])
    assert stored_times(db) == []
    assert store.pending_writes() > 0 and heard == []  # listeners hear only written candles
    store.ingest(SYMBOL, candles[70:])
    assert stored_times(db) == [c.time for c in candles]
    assert store.pending_writes() == 0
    assert [e.candle.time for e in heard if e.timeframe == "1s"] == [c.time for c in candles]
    assert len(stored_times(db, "1m")) >= 1


def test_the_runner_loses_no_candle_while_the_database_refuses_writes(db_url):
    db = FlakyDatabase(db_url)
    feed, store = FakeFeed(), CandleStore(db)
    runner = FeedRunner(feed, store, [SYMBOL], FAST)
    runner.backfill_all(60_000, 10_000)
    runner.start()
    wait_for(lambda: runner.status()[SYMBOL]["last_update"] is not None)
    db.fail = 10**9  # every commit fails for a while: candles of a few seconds queue up
    wait_for(lambda: store.pending_writes() >= 3)
    assert "database write failed" in runner.status()[SYMBOL]["error"]
    db.fail = 0
    wait_for(lambda: store.pending_writes() == 0 and runner.status()[SYMBOL]["error"] is None)
    runner.stop()
    assert store.pending_writes() == 0
    assert runner.status()[SYMBOL]["error"] is None
    assert_whole_and_true(stored_seconds(db))
    db.close()


def test_the_pollers_are_committed_together_once_per_loop(db_url):
    db = Database(db_url)
    feed, store = FakeFeed(), CandleStore(db)
    symbols = [f"S{i}/USDT" for i in range(10)]
    runner = FeedRunner(feed, store, symbols, FAST)
    runner.start()
    time.sleep(1.2)
    runner.stop()
    loops = 1.2 / FAST.poll_interval_s
    assert runner.commits <= loops + 2  # not one per symbol and poll
    assert {s for s, _ in store.series()} == set(symbols)
    db.close()


def test_a_hung_symbol_does_not_make_the_others_stale(tmp_path):
    class HangingFeed(FakeFeed):
        def poll(self, symbol, now_ms):
            if symbol == "HUNG/USDT":
                time.sleep(30)
            return super().poll(symbol, now_ms)

    feed, store = HangingFeed(), CandleStore(None)
    runner = FeedRunner(feed, store, ["HUNG/USDT", SYMBOL], FAST)
    runner.start()
    wait_for(lambda: runner.status()[SYMBOL]["last_update"] is not None)
    status = runner.status()
    runner.stop(timeout=0.5)
    assert status[SYMBOL]["last_update"] is not None
    assert status["HUNG/USDT"]["last_update"] is None


def test_since_reads_at_most_limit_rows_from_the_database(db_url):
    db = Database(db_url)
    store = CandleStore(db, {"1s": 60, "1m": 60})
    store.merge_history(SYMBOL, "1s", make_candles(5000))
    statements = []
    event.listen(
        db.engine, "before_cursor_execute", lambda *args: statements.append(f"{args[2]} {args[3]}")
    )
    got = store.since(SYMBOL, "1s", 0, 10)
    assert len(got) == 10
    assert any("LIMIT" in s and "10" in s for s in statements), statements
    db.close()


def test_a_long_read_does_not_hold_back_a_write(db_url):
    db = Database(db_url)
    store = CandleStore(db)
    store.merge_history(SYMBOL, "1s", make_candles(20_000))
    started = threading.Event()

    def slow_read():
        # Straight to the driver, so the result stays open (our wrapper reads it all at once).
        cursor = db._reader().raw.exec_driver_sql("SELECT * FROM candles")
        cursor.fetchone()
        started.set()
        time.sleep(1.0)  # the read transaction stays open meanwhile
        cursor.fetchall()

    reader = threading.Thread(target=slow_read)
    reader.start()
    started.wait(5)
    begun = time.perf_counter()
    store.merge_history("ETH/USDT", "1s", make_candles(100))
    took = time.perf_counter() - begun
    reader.join()
    assert took < 0.5, f"the write waited {took:.2f} s for a read"
    db.close()
