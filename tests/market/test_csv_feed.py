import math

import pytest

from core.candles import Candle, candles_to_frame, resample, validate_candle
from core.config import SimFeedConfig
from market.feeds import CsvFeed, make_feed
from market.feeds.csv_replay import split_candle, split_volume
from market.feeds.sim import SimFeed
from runtime.config import config_from_dict

FILE_START = 1_600_000_020_000  # minute-aligned
T0 = 1_700_000_012_345  # wall clock at the first call, mid-minute
HOUR = 3_600_000


class Clock:
    def __init__(self, ms):
        self.ms = ms

    def __call__(self):
        return self.ms / 1000


def write_candles(path, candles):
    frame = candles_to_frame(candles).reset_index()
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def minute_candles():
    sim = SimFeed(SimFeedConfig(seed=4))
    return sim.backfill("ETH/USDT", "1m", FILE_START, FILE_START + 4 * HOUR)  # 240 candles


@pytest.fixture
def minute_file(tmp_path, minute_candles):
    return write_candles(tmp_path / "eth_1m.csv", minute_candles)


def shifted(candles, shift):
    return [Candle(c.time + shift, c.open, c.high, c.low, c.close, c.volume) for c in candles]


def replay_shift(minute_candles):
    middle = minute_candles[len(minute_candles) // 2].time
    return (T0 - middle) - (T0 - middle) % 60_000


def poll_until(feed, symbol, clock, end_ms, step_ms):
    closed = {}
    while clock.ms < end_ms:
        clock.ms += step_ms
        for candle in feed.poll(symbol, clock.ms):
            validate_candle(candle)
            assert candle.time % 1000 == 0
            if candle.closed:
                closed[candle.time] = candle
    return [closed[t] for t in sorted(closed)]


def test_replay_emits_one_second_candles_whose_minutes_are_the_file_candles(
    minute_file, minute_candles
):
    clock = Clock(T0)
    feed = CsvFeed({"ETH/USDT": minute_file}, speed=60.0, clock=clock)
    seconds = poll_until(feed, "ETH/USDT", clock, T0 + 6_000, 250)  # 6 s wall = 6 minutes replay
    assert [c.time for c in seconds] == list(range(seconds[0].time, seconds[-1].time + 1000, 1000))
    assert all(b.open == a.close for a, b in zip(seconds, seconds[1:], strict=False))
    expected = {c.time: c for c in shifted(minute_candles, replay_shift(minute_candles))}
    whole = [m for m in resample(seconds, 60_000) if m.time >= seconds[0].time]
    whole = [m for m in whole if m.time + 60_000 <= seconds[-1].time + 1000]
    assert len(whole) >= 4
    for minute in whole:
        assert minute == expected[minute.time]  # exact: open, high, low, close and volume


def test_backfill_returns_the_first_half_of_the_file_shifted_to_end_at_the_replay_point(
    minute_file, minute_candles
):
    clock = Clock(T0)
    feed = CsvFeed({"ETH/USDT": minute_file}, clock=clock)
    history = feed.backfill("ETH/USDT", "1m", T0 - 10 * HOUR, T0)
    shift = replay_shift(minute_candles)
    assert history == shifted(minute_candles[:120], shift)
    assert history[-1].time + 60_000 <= T0
    five = feed.backfill("ETH/USDT", "5m", T0 - 10 * HOUR, T0)
    assert five == [b for b in resample(history, 300_000) if b.time + 300_000 <= T0]
    seconds = feed.backfill("ETH/USDT", "1s", T0 - 600_000, T0)
    assert seconds[-1].time == T0 - T0 % 1000 - 1000
    minutes_from_seconds = [m for m in resample(seconds, 60_000) if m.time >= seconds[0].time]
    assert minutes_from_seconds[:-1] == [m for m in history if m.time >= seconds[0].time]
    assert minutes_from_seconds[-1].time == T0 - T0 % 60_000  # the minute playing at T0


def test_live_replay_continues_history_with_no_gap_or_overlap(minute_file):
    clock = Clock(T0)
    feed = CsvFeed({"ETH/USDT": minute_file}, clock=clock)
    history = feed.backfill("ETH/USDT", "1s", T0 - 120_000, T0 - T0 % 1000)
    live = poll_until(feed, "ETH/USDT", clock, T0 + 3_000, 200)
    assert live[0].time == history[-1].time + 1000
    assert live[0].open == history[-1].close


def test_replay_loops_after_the_end_of_the_file(tmp_path, minute_candles):
    path = write_candles(tmp_path / "short.parquet", minute_candles[:10])
    clock = Clock(T0)
    feed = CsvFeed({"X": path}, speed=600.0, loop=True, clock=clock)
    seconds = poll_until(feed, "X", clock, T0 + 2_000, 100)  # 20 replayed minutes, 2 loops
    minutes = [m for m in resample(seconds, 60_000)[1:-1]]
    by_file_time = {c.time - minute_candles[0].time: c for c in minute_candles[:10]}
    period = 10 * 60_000
    shift = (T0 - minute_candles[5].time) - (T0 - minute_candles[5].time) % 60_000
    for minute in minutes:
        source = by_file_time[(minute.time - shift - minute_candles[0].time) % period]
        assert (minute.open, minute.high, minute.low, minute.close, minute.volume) == (
            source.open,
            source.high,
            source.low,
            source.close,
            source.volume,
        )
    assert minutes[-1].time - minutes[0].time > period


def test_without_loop_the_replay_stops_at_the_end_of_the_file(tmp_path, minute_candles):
    path = write_candles(tmp_path / "short.csv", minute_candles[:4])
    clock = Clock(T0)
    feed = CsvFeed({"X": path}, speed=600.0, loop=False, clock=clock)
    poll_until(feed, "X", clock, T0 + 1_000, 100)
    clock.ms += 1_000
    assert feed.poll("X", clock.ms) == []


def test_a_file_of_seconds_is_replayed_candle_for_candle(tmp_path):
    sim = SimFeed()
    candles = sim.backfill("BTC/USDT", "1s", FILE_START, FILE_START + 600_000)
    path = write_candles(tmp_path / "btc_1s.csv", candles)
    clock = Clock(T0)
    feed = CsvFeed({"BTC/USDT": path}, clock=clock)
    live = poll_until(feed, "BTC/USDT", clock, T0 + 5_000, 300)
    shift = (T0 - candles[300].time) - (T0 - candles[300].time) % 1000
    expected = {c.time: c for c in shifted(candles, shift)}
    assert live and all(c == expected[c.time] for c in live)


def test_split_candle_aggregates_exactly_to_the_candle():
    candles = [
        Candle(60_000, 100.0, 101.25, 99.5, 100.5, 12.345),
        Candle(120_000, 100.5, 100.5, 98.0, 98.75, 0.1),  # falls: high first
        Candle(180_000, 7.0, 7.0, 7.0, 7.0, 0.0),  # flat
        Candle(240_000, 0.0123, 0.0125, 0.0121, 0.0124, 1e9 / 3),
    ]
    for candle in candles:
        parts = split_candle(candle, 60, decimals=4)
        assert len(parts) == 60
        for part in parts:
            validate_candle(part)
        assert resample(parts, 60_000) == [candle]


def test_split_volume_parts_add_up_exactly_in_any_order():
    import numpy as np

    weights = np.random.default_rng(1).gamma(2.0, size=60)
    for volume in (0.1, 12.345, 1e9 / 3, 7.0):
        parts = split_volume(volume, weights).tolist()
        assert math.fsum(parts) == volume == sum(parts) == sum(reversed(parts))
        assert min(parts) >= 0


def test_make_feed_builds_a_csv_feed_from_config_with_relative_paths(tmp_path, minute_candles):
    write_candles(tmp_path / "eth.csv", minute_candles)
    config = config_from_dict(
        {
            "symbols": ["ETH/USDT"],
            "feed": {"kind": "csv", "csv": {"files": {"ETH/USDT": "eth.csv"}}},
        },
        base_dir=tmp_path,
    )
    feed = make_feed(config)
    assert isinstance(feed, CsvFeed)
    assert feed.backfill("ETH/USDT", "1m", 0, 2**50)
