import math
import time

import numpy as np
import pytest

from core.candles import Candle, resample, validate_candle
from core.config import MarketConfig, SimFeedConfig
from market.feeds.sim import SimFeed, market_for

NOW = 1_700_000_040_000  # minute-aligned
DAY = 86_400_000
HOUR = 3_600_000
SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT")


@pytest.fixture(scope="module")
def day_of_minutes():
    feed = SimFeed(SimFeedConfig(seed=7))
    return {s: feed.backfill(s, "1m", NOW - DAY, NOW) for s in SYMBOLS}


def closes(candles):
    return np.array([c.close for c in candles])


def autocorrelation(x, lag):
    x = x - x.mean()
    return float((x[:-lag] * x[lag:]).sum() / (x * x).sum())


def excess_kurtosis(x):
    x = x - x.mean()
    return float((x**4).mean() / (x**2).mean() ** 2 - 3.0)


def on_grid(price, tick):
    steps = price / tick
    return abs(steps - round(steps)) < 1e-6


@pytest.mark.parametrize("symbol", [*SYMBOLS, "DOGE/USDT"])
def test_candles_are_consistent_and_on_the_tick_grid(symbol):
    feed = SimFeed()
    tick = feed.market(symbol).tick_size
    candles = feed.backfill(symbol, "1s", NOW - HOUR, NOW)
    assert len(candles) == 3600
    for c in candles:
        validate_candle(c)
        assert all(on_grid(p, tick) for p in (c.open, c.high, c.low, c.close)), c
    assert all(b.open == a.close for a, b in zip(candles, candles[1:], strict=False))
    assert [c.time for c in candles] == list(range(NOW - HOUR, NOW, 1000))


def test_a_day_of_minute_history_for_three_symbols_takes_well_under_two_seconds():
    feed = SimFeed(SimFeedConfig(seed=3))
    began = time.perf_counter()
    for symbol in SYMBOLS:
        assert len(feed.backfill(symbol, "1m", NOW - DAY, NOW)) == 1440
    assert time.perf_counter() - began < 2.0


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_volatility_clusters_in_minute_returns(day_of_minutes, symbol):
    returns = np.diff(np.log(closes(day_of_minutes[symbol])))
    size = np.abs(returns)
    # three standard errors of an autocorrelation when there is no clustering
    bound = 3.0 / math.sqrt(len(size))
    assert autocorrelation(size, 1) > bound
    assert np.mean([autocorrelation(size, lag) for lag in range(1, 11)]) > bound


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_returns_have_fat_tails(day_of_minutes, symbol):
    minute = np.diff(np.log(closes(day_of_minutes[symbol])))
    assert excess_kurtosis(minute) > 0.3
    feed = SimFeed(SimFeedConfig(seed=7))
    second = np.diff(np.log(closes(feed.backfill(symbol, "1s", NOW - HOUR, NOW))))
    assert excess_kurtosis(second) > 2.0


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_volume_rises_with_the_size_of_the_move(day_of_minutes, symbol):
    candles = day_of_minutes[symbol]
    size = np.abs(np.diff(np.log(closes(candles))))
    volume = np.array([c.volume for c in candles[1:]])
    assert np.corrcoef(volume, size)[0, 1] > 0.15


def test_same_seed_gives_the_same_path_and_another_seed_another():
    first = SimFeed(SimFeedConfig(seed=1)).backfill("ETH/USDT", "1s", NOW - 600_000, NOW)
    again = SimFeed(SimFeedConfig(seed=1)).backfill("ETH/USDT", "1s", NOW - 600_000, NOW)
    other = SimFeed(SimFeedConfig(seed=2)).backfill("ETH/USDT", "1s", NOW - 600_000, NOW)
    assert first == again
    assert [c.close for c in first] != [c.close for c in other]


def test_symbols_have_their_own_paths():
    feed = SimFeed()
    a = feed.backfill("AAA/USDT", "1s", NOW - 60_000, NOW)
    b = feed.backfill("BBB/USDT", "1s", NOW - 60_000, NOW)
    assert [c.close / a[0].open for c in a] != [c.close / b[0].open for c in b]


def test_minute_backfill_is_the_exact_aggregate_of_second_backfill():
    feed = SimFeed(SimFeedConfig(seed=11))
    start, end = NOW - 2 * HOUR, NOW - 120_000  # crosses simulated hour blocks
    seconds = feed.backfill("SOL/USDT", "1s", start, end)
    minutes = feed.backfill("SOL/USDT", "1m", start, end)
    assert len(minutes) == (end - start) // 60_000
    assert resample(seconds, 60_000) == minutes


def test_backfill_returns_only_whole_closed_buckets_in_range():
    feed = SimFeed()
    feed.backfill("BTC/USDT", "1s", NOW - HOUR, NOW)  # anchors the path at NOW - 1 h
    minutes = feed.backfill("BTC/USDT", "1m", NOW - HOUR + 30_000, NOW + 45_000)
    assert minutes[0].time == NOW - HOUR + 60_000
    assert minutes[-1].time + 60_000 <= NOW + 45_000
    assert all(c.closed for c in minutes)


def test_resume_continues_from_the_last_close_with_no_overlap():
    last = Candle(NOW - 10_000, 64_000.0, 64_010.0, 63_990.0, 64_003.3, 1.5)
    feed = SimFeed()
    feed.resume("BTC/USDT", last)
    candles = feed.backfill("BTC/USDT", "1s", NOW - 60_000, NOW)  # asks from before the resume
    assert candles[0].time == last.time + 1000
    assert candles[0].open == last.close
    assert [c.time for c in candles] == list(range(last.time + 1000, NOW, 1000))


def test_resume_from_a_minute_candle_continues_on_the_next_minute():
    last = Candle(NOW - 300_000, 3_400.0, 3_405.0, 3_399.0, 3_401.25, 500.0)
    feed = SimFeed()
    feed.resume("ETH/USDT", last, "1m")
    minutes = feed.backfill("ETH/USDT", "1m", last.time, NOW)
    assert [c.time for c in minutes] == list(range(last.time + 60_000, NOW, 60_000))
    assert minutes[0].open == last.close


def test_same_resume_point_gives_the_same_path():
    last = Candle(NOW, 150.0, 150.5, 149.5, 150.123, 10.0)
    paths = []
    for _ in range(2):
        feed = SimFeed(SimFeedConfig(seed=5))
        feed.resume("SOL/USDT", last)
        paths.append(feed.backfill("SOL/USDT", "1s", NOW, NOW + 120_000))
    assert paths[0] == paths[1]


def test_backfill_after_the_resume_point_continues_the_same_path():
    last = Candle(NOW, 150.0, 150.5, 149.5, 150.123, 10.0)
    whole, later = SimFeed(), SimFeed()
    whole.resume("SOL/USDT", last)
    later.resume("SOL/USDT", last)
    full = whole.backfill("SOL/USDT", "1s", NOW + 1000, NOW + 180_000)
    tail = later.backfill("SOL/USDT", "1s", NOW + 60_000, NOW + 180_000)
    assert tail == full[59:]
    assert tail[0].open == full[58].close


def test_poll_returns_touched_seconds_with_the_last_one_forming():
    feed = SimFeed()
    feed.backfill("BTC/USDT", "1s", NOW - 60_000, NOW)
    first = feed.poll("BTC/USDT", NOW + 2_400)
    assert [c.time for c in first] == [NOW, NOW + 1000, NOW + 2000]
    assert [c.closed for c in first] == [True, True, False]
    second = feed.poll("BTC/USDT", NOW + 3_100)
    assert [c.time for c in second] == [NOW + 2000, NOW + 3000]
    assert [c.closed for c in second] == [True, False]
    updated, forming = second[0], first[-1]
    assert updated.open == forming.open
    assert updated.high >= forming.high and updated.low <= forming.low
    assert updated.volume >= forming.volume


def test_polling_in_small_steps_gives_the_same_candles_as_backfill():
    polled_feed, history_feed = SimFeed(SimFeedConfig(seed=9)), SimFeed(SimFeedConfig(seed=9))
    polled_feed.backfill("ETH/USDT", "1s", NOW - 10_000, NOW)
    history_feed.backfill("ETH/USDT", "1s", NOW - 10_000, NOW)
    closed = {}
    for now in range(NOW, NOW + 30_000, 370):
        for candle in polled_feed.poll("ETH/USDT", now):
            if candle.closed:
                closed[candle.time] = candle
    expected = history_feed.backfill("ETH/USDT", "1s", NOW, NOW + 29_000)
    assert [closed[c.time] for c in expected] == expected


def test_configured_market_replaces_the_default():
    market = MarketConfig(price=100.0, tick_size=0.5, daily_volatility=0.02, base_volume=3.0)
    feed = SimFeed(SimFeedConfig(markets={"BTC/USDT": market}))
    candles = feed.backfill("BTC/USDT", "1s", NOW - 600_000, NOW)
    assert all(on_grid(c.close, 0.5) for c in candles)
    assert 80 < candles[-1].close < 120


def test_other_symbols_get_a_valid_character_derived_from_the_name():
    market = market_for("PEPE/EUR")
    assert market == market_for("PEPE/EUR")
    assert market != market_for("WIF/EUR")
    market.validate("market")


def test_resuming_from_days_ago_skips_ahead_from_the_last_price():
    last = Candle(NOW - 30 * DAY, 64_000.0, 64_010.0, 63_990.0, 64_003.3, 1.5)
    feed = SimFeed()
    feed.resume("BTC/USDT", last)
    began = time.perf_counter()
    minutes = feed.backfill("BTC/USDT", "1m", NOW - HOUR, NOW)
    assert time.perf_counter() - began < 0.5
    assert [c.time for c in minutes] == list(range(NOW - HOUR, NOW, 60_000))
    assert minutes[0].open == last.close
    assert feed.poll("BTC/USDT", NOW + 500)[0].time == NOW
