import threading

from core.candles import Candle, aggregate, frame_to_candles, resample
from core.db import Database
from market.candle_store import CandleStore
from tests.helpers.candles import make_candles

T0 = 1_700_000_040_000 - 1_700_000_040_000 % 60_000  # a minute boundary


def store_at(db_url) -> CandleStore:
    return CandleStore(Database(db_url), {"1s": 600, "1m": 100})


def test_aggregate_is_exact_first_open_max_high_min_low_last_close_sum_volume():
    parts = [
        Candle(T0, 10, 12, 9, 11, 1.5),
        Candle(T0 + 1000, 11, 15, 10.5, 14, 2.25),
        Candle(T0 + 2000, 14, 14.5, 8, 9, 0.25),
    ]
    bar = aggregate(parts, T0, closed=True)
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (10, 15, 8, 9, 4.0)


def test_one_minute_candles_equal_aggregation_of_ingested_seconds(db_url):
    store = store_at(db_url)
    seconds = make_candles(185, start=T0)
    for candle in seconds:
        store.ingest("X", [candle])
    expected = resample(seconds, 60_000)
    got = store.candles("X", "1m")
    assert [c.time for c in got] == [T0, T0 + 60_000, T0 + 120_000, T0 + 180_000]
    for mine, ref in zip(got, expected, strict=True):
        assert (mine.open, mine.high, mine.low, mine.close) == (
            ref.open,
            ref.high,
            ref.low,
            ref.close,
        )
        assert abs(mine.volume - ref.volume) < 1e-9
    assert [c.closed for c in got] == [True, True, True, False]  # 5 s of the last minute


def test_forming_candle_is_updated_in_place_and_closes_when_next_arrives(db_url):
    store = store_at(db_url)
    store.ingest("X", [Candle(T0, 10, 10, 10, 10, 1, closed=False)])
    store.ingest("X", [Candle(T0, 10, 11, 9, 10.5, 2, closed=False)])
    assert store.candles("X", "1s") == [Candle(T0, 10, 11, 9, 10.5, 2, closed=False)]
    events = store.ingest("X", [Candle(T0 + 1000, 10.5, 10.6, 10.4, 10.5, 1, closed=False)])
    assert [(e.timeframe, e.candle.time, e.candle.closed) for e in events] == [("1s", T0, True)]
    assert store.candles("X", "1s")[0].closed
    assert store.latest("X", "1m").volume == 3  # forming minute: both seconds


def test_older_candle_from_a_feed_is_ignored_not_duplicated(db_url):
    store = store_at(db_url)
    candles = make_candles(5, start=T0)
    store.ingest("X", candles)
    store.ingest("X", candles[1:3])
    assert [c.time for c in store.candles("X", "1s")] == [c.time for c in candles]


def test_buffers_are_bounded(tmp_path):
    store = CandleStore(None, {"1s": 60, "1m": 60})
    store.ingest("X", make_candles(200, start=T0))
    got = store.candles("X", "1s")
    assert len(got) == 60 and got[-1].time == T0 + 199_000


def test_candles_since_and_limit(db_url):
    store = store_at(db_url)
    store.ingest("X", make_candles(20, start=T0))
    got = store.candles("X", "1s", since=T0 + 5000, limit=3)
    assert [c.time for c in got] == [T0 + 5000, T0 + 6000, T0 + 7000]


def test_restart_brings_history_back_from_sqlite(db_url):
    store = store_at(db_url)
    candles = make_candles(130, start=T0)
    store.ingest("X", candles)
    again = store_at(db_url)
    assert again.load() > 0
    assert again.candles("X", "1s") == candles  # every candle was sent closed
    assert [c.time for c in again.candles("X", "1m")] == [T0, T0 + 60_000]


def test_each_stored_minute_equals_the_aggregate_of_its_stored_seconds(db_url):
    """C1 on what the database holds, read back by a fresh store (a restart)."""
    store = store_at(db_url)
    for candle in make_candles(185, start=T0):
        store.ingest("X", [candle])
    again = store_at(db_url)
    seconds = frame_to_candles(again.history("X", "1s"))
    minutes = frame_to_candles(again.history("X", "1m"))
    assert [m.time for m in minutes] == [T0, T0 + 60_000, T0 + 120_000]  # the closed ones
    for minute in minutes:
        parts = [c for c in seconds if minute.time <= c.time < minute.time + 60_000]
        assert len(parts) == 60
        assert minute == aggregate(parts, minute.time, closed=True)


def test_merge_history_of_seconds_rebuilds_minutes_and_persists(db_url):
    store = store_at(db_url)
    seconds = make_candles(120, start=T0)
    store.merge_history("X", "1s", seconds)
    minutes = store.candles("X", "1m")
    assert minutes == resample(seconds, 60_000)
    assert len(store.history("X", "1m")) == 2
    assert len(store.history("X", "1s", start=T0 + 60_000)) == 60


def test_listeners_hear_each_closed_candle_once(db_url):
    store = store_at(db_url)
    heard = []
    store.add_listener(heard.append)
    for candle in make_candles(121, start=T0):
        store.ingest("X", [candle])
    minutes = [e.candle.time for e in heard if e.timeframe == "1m"]
    seconds = [e.candle.time for e in heard if e.timeframe == "1s"]
    assert minutes == [T0, T0 + 60_000]
    assert len(seconds) == len(set(seconds)) == 121


def test_concurrent_ingest_and_reads_stay_consistent(tmp_path):
    store = CandleStore(None, {"1s": 5000, "1m": 200})
    symbols = ["A", "B", "C"]
    errors = []

    def writer(symbol):
        for candle in make_candles(600, start=T0):
            store.ingest(symbol, [candle])

    def reader():
        try:
            for _ in range(300):
                for symbol in symbols:
                    times = [c.time for c in store.candles(symbol, "1s")]
                    assert times == sorted(set(times))
        except AssertionError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(s,)) for s in symbols]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(len(store.candles(s, "1s")) == 600 for s in symbols)


def test_since_older_than_the_buffer_reads_the_rest_from_sqlite(db_url):
    store = CandleStore(Database(db_url), {"1s": 60, "1m": 60})
    candles = make_candles(300, start=T0)
    store.ingest("X", candles)
    assert len(store.candles("X", "1s")) == 60
    got = store.since("X", "1s", T0 + 10_000, limit=500)
    assert [c.time for c in got] == [c.time for c in candles[10:]]
    assert [c.time for c in store.since("X", "1s", T0, limit=5)] == [c.time for c in candles[:5]]


def test_a_series_written_by_another_process_appears_without_a_restart(db_url):
    store = store_at(db_url)
    store.load()
    other = store_at(db_url)  # e.g. `python app.py candles import` while the app runs
    other.merge_history("MYCOIN", "1h", make_candles(5, start=T0, frame_ms=3_600_000))
    assert store.has("MYCOIN", "1h") and ("MYCOIN", "1h") in store.series()
    assert len(store.candles("MYCOIN", "1h")) == 5
