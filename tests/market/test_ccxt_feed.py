"""CcxtFeed against a local HTTP server that answers Binance's REST API, so the real ccxt client
runs end to end with no network; faults are injected on the server."""

import time

import pytest

from core.candles import Candle
from core.config import FeedConfig
from core.db import Database
from market.candle_store import CandleStore
from market.feed_runner import FeedRunner
from market.feeds import CcxtFeed, FeedError
from tests.helpers.exchange import PATIENT_MS, FakeBinance, true_minute, true_second
from tests.helpers.waiting import wait_for


# ---- fixtures -------------------------------------------------------------------------------
@pytest.fixture
def server():
    fake = FakeBinance()
    yield fake
    fake.close()


def now_ms() -> int:
    return int(time.time() * 1000)


def no_seconds(feed: CcxtFeed) -> CcxtFeed:
    client = feed.client()
    client.timeframes = {k: v for k, v in client.timeframes.items() if k != "1s"}
    return feed


# ---- the feed -------------------------------------------------------------------------------
def test_backfill_pages_through_the_exchange_and_returns_closed_candles(server):
    feed = CcxtFeed(api_url=server.url, timeout_ms=PATIENT_MS)
    end = now_ms()
    end -= end % 1000
    seconds = feed.backfill("BTC/USDT", "1s", end - 2_500_000, end)
    assert [c.time for c in seconds] == list(range(end - 2_500_000, end, 1000))
    assert seconds == [true_second(c.time) for c in seconds]
    assert sum("/klines" in r for r in server.requests) == 3  # 1000 + 1000 + 500
    minute_end = end - end % 60_000
    minutes = feed.backfill("BTC/USDT", "1m", minute_end - 1_800_000, end)
    assert [c.time for c in minutes] == list(range(minute_end - 1_800_000, minute_end, 60_000))
    assert minutes == [true_minute(c.time) for c in minutes]


def test_poll_returns_new_seconds_with_the_last_one_forming(server):
    feed = CcxtFeed(api_url=server.url, timeout_ms=PATIENT_MS)
    first = feed.poll("ETH/USDT", now_ms())
    assert first and not first[-1].closed and all(c.closed for c in first[:-1])
    assert all(c == true_second(c.time) for c in first[:-1])
    wait_for(lambda: now_ms() >= first[-1].time + 1000)  # the forming second has ended
    second = feed.poll("ETH/USDT", now_ms())
    assert second[0].time == first[-1].time  # the forming one comes again, finished
    assert second[0] == true_second(second[0].time)
    times = [c.time for c in second]
    assert times == list(range(times[0], times[-1] + 1000, 1000))


def test_seconds_are_built_from_trades_when_the_exchange_has_no_1s_candles(server):
    feed = no_seconds(CcxtFeed(api_url=server.url, timeout_ms=PATIENT_MS))
    end = now_ms()
    end -= end % 1000
    start = end - 120_000
    start -= start % 10_000  # a second with trades
    seconds = feed.backfill("BTC/USDT", "1s", start, end)
    assert [c.time for c in seconds] == list(range(start, end, 1000))
    assert seconds == [true_second(c.time) for c in seconds]  # empty seconds are flat
    assert any(c.volume == 0 for c in seconds)
    assert any("/aggTrades" in r for r in server.requests)
    feed.resume("BTC/USDT", seconds[-1])
    live = feed.poll("BTC/USDT", now_ms())
    assert live[0].time == end
    assert [c for c in live if c.closed] == [true_second(c.time) for c in live if c.closed]


def test_configured_names_map_to_exchange_symbols(server):
    feed = CcxtFeed(api_url=server.url, market_symbols={"XBT": "BTC/USDT"})
    end = now_ms() - 5_000
    end -= end % 1000
    assert feed.backfill("XBT", "1s", end - 5_000, end) == [
        true_second(t) for t in range(end - 5_000, end, 1000)
    ]


def test_an_unknown_market_is_a_feed_error(server):
    feed = CcxtFeed(api_url=server.url)
    with pytest.raises(FeedError, match="no market 'DOGE/USDT'"):
        feed.poll("DOGE/USDT", now_ms())


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("timeout", "timed out after 300 ms"),
        ("drop", "fetch_ohlcv BTC/USDT 1s failed"),
        ("malformed", "high .* is below max"),
        ("string", "must be a number"),
    ],
)
def test_exchange_faults_are_feed_errors_that_say_what_failed(server, fault, message):
    feed = CcxtFeed(api_url=server.url, timeout_ms=300)
    feed.client()
    server.fault = fault
    with pytest.raises(FeedError, match=message):
        feed.poll("BTC/USDT", now_ms())


def test_a_malformed_trade_is_a_feed_error(server):
    feed = no_seconds(CcxtFeed(api_url=server.url, timeout_ms=PATIENT_MS))
    server.fault = "malformed"
    with pytest.raises(FeedError, match="malformed BTC/USDT trade"):
        feed.backfill("BTC/USDT", "1s", now_ms() - 20_000, now_ms())


# ---- through the runner: faults, recovery, and nothing lost or stored twice ------------------
def stored(db: Database, timeframe: str) -> list[Candle]:
    rows = db.query(
        "SELECT time, open, high, low, close, volume FROM candles"
        " WHERE symbol='BTC/USDT' AND timeframe=? ORDER BY time",
        (timeframe,),
    )
    return [Candle(*tuple(r)) for r in rows]


@pytest.mark.parametrize("fault", ["timeout", "drop", "malformed", "string"])
def test_runner_recovers_from_a_fault_and_stores_every_candle_once(tmp_path, server, fault):
    db = Database(tmp_path / "x.db")
    store = CandleStore(db)
    feed = CcxtFeed(api_url=server.url, timeout_ms=300)
    config = FeedConfig(
        poll_interval_s=0.05, backoff_initial_s=0.05, backoff_max_s=0.2, stale_after_s=5
    )
    runner = FeedRunner(feed, store, ["BTC/USDT"], config)
    runner.backfill_all(10 * 60_000, 60_000)
    runner.start()
    try:
        assert wait_for(lambda: runner.status()["BTC/USDT"]["last_update"] is not None)
        server.fault = fault
        assert wait_for(lambda: runner.status()["BTC/USDT"]["status"] == "reconnecting")
        assert runner.status()["BTC/USDT"]["error"]
        time.sleep(1.2)  # a few seconds of live data are missed
        assert runner.running and runner.status()["BTC/USDT"]["status"] == "reconnecting"
        server.fault = None
        healed = now_ms()
        assert wait_for(
            lambda: (
                runner.status()["BTC/USDT"]["status"] == "ok"
                and store.latest("BTC/USDT", "1s").time >= healed + 1000
            )
        )
    finally:
        runner.stop()
    seconds, minutes = stored(db, "1s"), stored(db, "1m")
    assert [c.time for c in seconds] == list(range(seconds[0].time, seconds[-1].time + 1000, 1000))
    assert seconds == [true_second(c.time) for c in seconds]
    assert seconds[-1].time >= healed
    assert len(minutes) >= 9
    assert [c.time for c in minutes] == list(
        range(minutes[0].time, minutes[-1].time + 60_000, 60_000)
    )
    assert minutes == [true_minute(c.time) for c in minutes]
    assert runner.status()["BTC/USDT"]["status"] == "stopped"
