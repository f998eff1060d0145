"""Rollups: coarser candles kept beside the stored ones equal the aggregate of what they cover,
follow live closes and imports, come back for a database that lacks them, and a range view
includes the forming candle; on SQLite and PostgreSQL."""

import math
from dataclasses import replace

import pytest

from core.candles import resample, timeframe_ms
from core.db import Database
from market import rollups
from market.candle_store import CandleStore
from tests.helpers.candles import make_candles

DAY = 86_400_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % DAY  # a UTC midnight


def same(a, b):
    assert a.time == b.time
    assert (a.open, a.high, a.low, a.close) == (b.open, b.high, b.low, b.close)
    assert math.isclose(a.volume, b.volume, rel_tol=1e-12)


def test_ladders_slots_and_the_finest_timeframe_within_a_budget():
    assert rollups.ladder("1m") == ("1m", "5m", "15m", "1h", "4h", "1d")
    assert rollups.ladder("1s") == ("1s", "5s", "15s", "1m")
    assert rollups.ladder("1h") == ("1h", "4h", "1d")
    assert rollups.rolled("1s") == ("5s", "15s")
    # A range starting mid-bucket touches the bucket it starts in.
    assert rollups.slots(T0 + 30_000, T0 + 5 * 60_000, "1m") == 5
    assert rollups.slots(T0, T0, "1m") == 0
    ladder = rollups.ladder("1m")
    assert rollups.pick_timeframe(ladder, T0, T0 + 2000 * 60_000, 2000) == "1m"
    assert rollups.pick_timeframe(ladder, T0, T0 + 2001 * 60_000, 2000) == "5m"
    assert rollups.pick_timeframe(ladder, T0, T0 + 300 * DAY, 2000) == "4h"
    assert rollups.pick_timeframe(ladder, T0, T0 + 365 * DAY, 2000) == "1d"
    assert rollups.pick_timeframe(ladder, T0, T0 + 365 * DAY, 300) is None


def test_imported_history_is_rolled_up_exactly_on_whole_utc_buckets(db_url):
    db = Database(db_url)
    store = CandleStore(db, {"1m": 100})
    # Three days and a bit, starting off a bucket edge, with a gap in the middle.
    minutes = make_candles(4500, start=T0 + 7 * 60_000, frame_ms=60_000, seed=3)
    minutes = minutes[:2000] + minutes[2300:]
    store.merge_history("IMP", "1m", minutes)
    for tf in rollups.rolled("1m"):
        got = rollups.read_range(db, "IMP", "1m", tf, T0, T0 + 10 * DAY)
        expected = resample(minutes, timeframe_ms(tf))
        assert len(got) == len(expected), tf
        for mine, ref in zip(got, expected, strict=True):
            same(mine, ref)
            assert mine.time % timeframe_ms(tf) == 0
    # Rewriting one candle recomputes every bucket holding it.
    high = minutes[50].high * 2
    bumped = replace(minutes[50], high=high)
    store.merge_history("IMP", "1m", [bumped])
    for tf in rollups.rolled("1m"):
        frame = timeframe_ms(tf)
        bucket = [c for c in rollups.read_range(db, "IMP", "1m", tf, T0, T0 + DAY)
                  if c.time == bumped.time - bumped.time % frame]  # fmt: skip
        assert bucket[0].high == high, tf


def test_a_database_without_rollups_gets_them_on_load(db_url):
    store = CandleStore(Database(db_url), {"1m": 100})
    minutes = make_candles(3000, start=T0, frame_ms=60_000, seed=5)
    store.merge_history("OLD", "1m", minutes)
    db = Database(db_url)
    with db.transaction() as conn:
        conn.execute("DELETE FROM candle_rollups")
    fresh = CandleStore(db, {"1m": 100})
    fresh.load()
    got = rollups.read_range(db, "OLD", "1m", "1h", T0, T0 + 10 * DAY)
    expected = resample(minutes, 3_600_000)
    assert len(got) == len(expected)
    for mine, ref in zip(got, expected, strict=True):
        same(mine, ref)


def test_live_seconds_roll_up_as_they_close_and_the_view_includes_the_forming_candle(db_url):
    db = Database(db_url)
    store = CandleStore(db, {"1s": 600, "1m": 100})
    seconds = make_candles(97, start=T0, seed=7, closed_last=False)
    for candle in seconds:
        store.ingest("LIVE", [candle])
    closed_15s = rollups.read_range(db, "LIVE", "1s", "15s", T0, T0 + DAY)
    # 96 closed seconds: six whole 15 s buckets in SQLite, the seventh still open.
    expected = resample(seconds[:-1], 15_000)
    assert [c.time for c in closed_15s] == [c.time for c in expected]
    for mine, ref in zip(closed_15s, expected, strict=True):
        same(mine, ref)
    view = store.view("LIVE", "1s", "15s", T0, T0 + DAY)
    assert len(view) == 7
    assert view[-1].closed is False
    same(view[-1], resample(seconds[90:], 15_000)[0])
    minute = store.view("LIVE", "1m", "1h", T0, T0 + DAY)
    assert len(minute) == 1 and minute[0].closed is False
    same(minute[0], resample(seconds, 3_600_000)[0])


@pytest.mark.parametrize("cut", [0, 1])
def test_views_are_cut_to_the_range(db_url, cut):
    db = Database(db_url)
    store = CandleStore(db, {"1m": 50})
    minutes = make_candles(600, start=T0, frame_ms=60_000, seed=9)
    store.merge_history("R", "1m", minutes)
    start = T0 + 60 * 60_000 + cut * 30_000
    got = store.view("R", "1m", "15m", start, T0 + 3 * 3_600_000)
    assert [c.time for c in got] == [T0 + 3_600_000 + i * 900_000 for i in range(8)]
