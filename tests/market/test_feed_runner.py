import random
import threading
import time

import pytest

from core.candles import bucket_start
from core.config import FeedConfig
from core.db import Database
from market.candle_store import CandleStore
from market.feed_runner import FeedRunner
from tests.helpers.feeds import (
    FAST,
    SYMBOL,
    FakeFeed,
    assert_whole_and_true,
    stored_seconds,
    true_second,
)
from tests.helpers.waiting import wait_for


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "x.db")
    yield database
    database.close()


def test_backfill_all_on_an_empty_store_fetches_the_windows_minutes_first():
    feed, store = FakeFeed(), CandleStore(None)
    runner = FeedRunner(feed, store, [SYMBOL], FAST, clock=lambda: 1_700_000_012.5)
    runner.backfill_all(3_600_000, 600_000)
    assert feed.calls[0] == ("resume", SYMBOL, None, "1s")
    now = 1_700_000_012_500
    minute = bucket_start(now, 60_000)
    assert feed.calls[1:] == [
        ("backfill", "1m", bucket_start(now - 3_600_000, 60_000), minute),
        ("backfill", "1s", bucket_start(now - 600_000, 60_000), now - 500),
    ]
    assert len(store.candles(SYMBOL, "1m")) >= 60
    assert store.latest(SYMBOL, "1s").time == now - 1500


def test_backfill_all_resumes_from_the_store_and_fetches_only_what_is_missing():
    feed, store = FakeFeed(), CandleStore(None)
    now = 1_700_000_012_500
    minutes_end = bucket_start(now, 60_000) - 300_000
    store.merge_history(
        SYMBOL, "1m", feed.backfill(SYMBOL, "1m", minutes_end - 600_000, minutes_end)
    )
    store.merge_history(SYMBOL, "1s", feed.backfill(SYMBOL, "1s", minutes_end - 5000, minutes_end))
    feed.calls.clear()
    runner = FeedRunner(feed, store, [SYMBOL], FAST, clock=lambda: now / 1000)
    runner.backfill_all(24 * 3_600_000, 3_600_000)
    newest = store_before = true_second(minutes_end - 1000)
    assert feed.calls[0] == ("resume", SYMBOL, newest, "1s")
    assert feed.calls[1] == ("backfill", "1m", minutes_end, bucket_start(now, 60_000))
    assert feed.calls[2] == ("backfill", "1s", minutes_end, now - 500)
    assert store_before in store.candles(SYMBOL, "1s")


def test_failures_back_off_exponentially_with_jitter_and_then_recover(db):
    feed, store = FakeFeed(), CandleStore(db)
    feed.fail_polls = 4
    runner = FeedRunner(feed, store, [SYMBOL], FAST, rng=random.Random(1))
    runner.backfill_all(0, 0)
    runner.start()
    try:
        assert wait_for(lambda: runner.status()[SYMBOL]["status"] == "reconnecting")
        status = runner.status()[SYMBOL]
        assert status["error"] == "exchange unreachable"
        assert wait_for(lambda: runner.status()[SYMBOL]["status"] == "ok", timeout=5)
        assert runner.status()[SYMBOL]["error"] is None
    finally:
        runner.stop()
    attempts = [c[1] for c in feed.polls()[:5]]
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    for i, gap in enumerate(gaps):  # delay i is in [0.5, 1] x min(initial * 2**i, max)
        nominal = min(FAST.backoff_initial_s * 2**i, FAST.backoff_max_s)
        assert gap >= 0.5 * nominal - 0.005
        assert gap <= nominal + 0.25
    assert gaps[3] > gaps[0]
    assert [c[2] for c in feed.polls()[:5]] == [True, True, True, True, False]


def test_the_gap_is_filled_from_history_before_new_live_candles(db):
    feed, store = FakeFeed(), CandleStore(db)
    runner = FeedRunner(feed, store, [SYMBOL], FAST)
    runner.backfill_all(600_000, 60_000)
    runner.start()
    try:
        assert wait_for(lambda: runner.status()[SYMBOL]["last_update"] is not None)
        feed.fail_until = time.time() + 1.5
        assert wait_for(lambda: runner.status()[SYMBOL]["status"] == "reconnecting")
        assert wait_for(lambda: runner.status()[SYMBOL]["status"] == "ok", timeout=5)
        healed = time.time()
        assert wait_for(lambda: store.latest(SYMBOL, "1s").time / 1000 > healed + 1)
    finally:
        runner.stop()
    failing = [i for i, c in enumerate(feed.calls) if c[0] == "poll" and c[2]]
    first_ok = next(
        i for i, c in enumerate(feed.calls) if i > failing[-1] and c[0] == "poll" and not c[2]
    )
    fills = [c for c in feed.calls[failing[0] : first_ok] if c[:2] == ("backfill", "1s")]
    assert fills and min(c[2] for c in fills) <= feed.calls[failing[0]][1] * 1000
    assert_whole_and_true(stored_seconds(db))


def test_a_feed_that_skips_ahead_without_failing_is_filled_from_history(db):
    feed, store = FakeFeed(), CandleStore(db)
    runner = FeedRunner(feed, store, [SYMBOL], FAST)
    runner.backfill_all(0, 30_000)
    runner.start()
    try:
        assert wait_for(lambda: runner.status()[SYMBOL]["last_update"] is not None)
        feed.silent_until = time.time() + 2.2
        time.sleep(2.3)
        woke = time.time()
        assert wait_for(lambda: store.latest(SYMBOL, "1s").time / 1000 > woke)
    finally:
        runner.stop()
    assert_whole_and_true(stored_seconds(db))


def test_a_malformed_candle_is_a_failure_and_is_not_stored(db):
    feed, store = FakeFeed(), CandleStore(db)
    runner = FeedRunner(feed, store, [SYMBOL], FAST)
    runner.backfill_all(0, 10_000)
    feed.malformed_once = True
    runner.start()
    try:
        assert wait_for(lambda: runner.status()[SYMBOL]["status"] == "reconnecting")
        assert "high" in runner.status()[SYMBOL]["error"]
        assert wait_for(lambda: runner.status()[SYMBOL]["status"] == "ok")
        started = time.time()
        assert wait_for(lambda: store.latest(SYMBOL, "1s").time / 1000 > started + 0.5)
    finally:
        runner.stop()
    assert_whole_and_true(stored_seconds(db))


def test_an_unexpected_exception_is_retried_like_a_feed_error():
    feed, store = FakeFeed(), CandleStore(None)
    feed.fail_polls, feed.error = 1, RuntimeError("socket exploded")
    runner = FeedRunner(feed, store, [SYMBOL], FAST)
    runner.start()
    try:
        assert wait_for(lambda: runner.status()[SYMBOL]["status"] == "reconnecting")
        assert runner.status()[SYMBOL]["error"] == "RuntimeError: socket exploded"
        assert wait_for(lambda: runner.status()[SYMBOL]["status"] == "ok")
        assert runner.running
    finally:
        runner.stop()


def test_status_is_stale_when_no_candle_arrives_and_ok_again_when_one_does():
    feed, store = FakeFeed(), CandleStore(None)
    config = FeedConfig(poll_interval_s=0.02, backoff_initial_s=0.05, stale_after_s=0.2)
    # Silent for 3 s: "stale" shows from 0.2 s on, and a loaded machine may look late.
    feed.silent_until = time.time() + 3.0
    runner = FeedRunner(feed, store, [SYMBOL], config)
    assert runner.status()[SYMBOL] == {"status": "stopped", "last_update": None, "error": None}
    runner.start()
    try:
        assert runner.status()[SYMBOL]["status"] == "ok"
        assert wait_for(lambda: runner.status()[SYMBOL]["status"] == "stale")
        assert wait_for(lambda: runner.status()[SYMBOL]["status"] == "ok")
        assert runner.status()[SYMBOL]["last_update"] > 0
    finally:
        runner.stop()


def test_stop_ends_the_thread_closes_the_feed_and_reports_stopped():
    feed, store = FakeFeed(), CandleStore(None)
    runner = FeedRunner(feed, store, [SYMBOL, "ETH/USDT"], FAST)
    runner.start()
    with pytest.raises(RuntimeError):
        runner.start()
    assert wait_for(lambda: store.latest("ETH/USDT", "1s") is not None)
    runner.stop()
    assert not runner.running and feed.closed
    assert {s["status"] for s in runner.status().values()} == {"stopped"}
    polls = len(feed.polls())
    time.sleep(0.1)
    assert len(feed.polls()) == polls


def test_no_thread_starts_before_start():
    before = threading.active_count()
    FeedRunner(FakeFeed(), CandleStore(None), [SYMBOL], FAST)
    assert threading.active_count() == before
