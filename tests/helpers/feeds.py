"""A scripted feed and the checks the feed-runner tests share."""

from __future__ import annotations

import threading
import time

from core.candles import Candle, bucket_start, resample, timeframe_ms
from core.config import FeedConfig
from market.feeds.base import Feed, FeedError

SYMBOL = "BTC/USDT"


FAST = FeedConfig(poll_interval_s=0.02, backoff_initial_s=0.05, backoff_max_s=0.4, stale_after_s=5)


def true_second(t: int) -> Candle:
    price = 100.0 + (t // 1000) % 50
    return Candle(t, price, price + 1.0, price - 1.0, price + 0.5, 1.0 + (t // 1000) % 3)


class FakeFeed(Feed):
    """Knows the true market; ``poll`` only reports the last closed and the forming second, like
    a stream that does not replay what was missed. Failures are scripted."""

    name = "fake"

    def __init__(self):
        self.calls: list[tuple] = []
        self.lock = threading.Lock()
        self.fail_polls = 0  # raise FeedError on that many polls
        self.fail_until = 0.0  # ... or until this time.time()
        self.error: Exception = FeedError("exchange unreachable")
        self.silent_until = 0.0  # return nothing (no failure) until this time
        self.malformed_once = False
        self.closed = False

    def resume(self, symbol, last, timeframe="1s"):
        self.calls.append(("resume", symbol, last, timeframe))

    def backfill(self, symbol, timeframe, start_ms, end_ms):
        self.calls.append(("backfill", timeframe, start_ms, end_ms))
        seconds = [true_second(t) for t in range(start_ms, end_ms, 1000)]
        if timeframe == "1s":
            return seconds
        frame = timeframe_ms(timeframe)
        return [c for c in resample(seconds, frame) if c.time + frame <= end_ms]

    def poll(self, symbol, now_ms):
        now = time.time()
        with self.lock:
            failing = self.fail_polls > 0 or now < self.fail_until
            if self.fail_polls > 0:
                self.fail_polls -= 1
        self.calls.append(("poll", now, failing))
        if failing:
            raise self.error
        if now < self.silent_until:
            return []
        current = bucket_start(now_ms, 1000)
        forming = true_second(current)
        forming = Candle(current, forming.open, forming.open + 0.5, forming.low, forming.open, 0.5)
        candles = [true_second(current - 1000), forming.with_closed(False)]
        if self.malformed_once:
            self.malformed_once = False
            bad = candles[0]
            candles[0] = Candle(bad.time, bad.open, bad.low - 1, bad.low, bad.close, bad.volume)
        return candles

    def close(self):
        self.closed = True

    def polls(self):
        return [c for c in self.calls if c[0] == "poll"]


def stored_seconds(db):
    rows = db.query(
        "SELECT time, open, high, low, close, volume FROM candles"
        " WHERE symbol=? AND timeframe='1s' ORDER BY time",
        (SYMBOL,),
    )
    return [Candle(*tuple(r)) for r in rows]


def assert_whole_and_true(candles):
    times = [c.time for c in candles]
    assert times == list(range(times[0], times[-1] + 1000, 1000)), "a gap or a duplicate"
    assert candles == [true_second(t) for t in times]
