"""Every registered feed keeps the Feed contract (one test, walking the registry)."""

import time
import typing

import pytest

from core.candles import candles_to_frame, timeframe_ms, validate_candle
from core.config import FeedConfig
from market.feeds import FEEDS, Feed, make_feed
from market.feeds.sim import SimFeed
from runtime.config import config_from_dict
from tests.helpers.exchange import PATIENT_MS, FakeBinance

SYMBOL = "BTC/USDT"


def test_every_configurable_feed_kind_is_registered():
    kinds = typing.get_args(typing.get_type_hints(FeedConfig)["kind"])
    assert set(kinds) == set(FEEDS)
    assert all(cls.name == name for name, cls in FEEDS.items())


@pytest.fixture
def feed_config(request, tmp_path):
    kind = request.param
    section: dict = {}
    server = None
    if kind == "csv":
        now = int(time.time() * 1000)
        history = SimFeed().backfill(SYMBOL, "1m", now - 4 * 3_600_000, now)
        candles_to_frame(history).reset_index().to_csv(tmp_path / "btc.csv", index=False)
        section = {"files": {SYMBOL: "btc.csv"}}
    if kind == "ccxt":
        server = FakeBinance()
        section = {"api_url": server.url, "timeout_ms": PATIENT_MS}
    config = config_from_dict(
        {"symbols": [SYMBOL], "feed": {"kind": kind, kind: section}}, base_dir=tmp_path
    )
    yield config
    if server is not None:
        server.close()


def check(candles, frame, start=None, end=None, forming_last=False):
    for i, candle in enumerate(candles):
        validate_candle(candle)
        assert candle.time % frame == 0
        if i:
            assert candle.time > candles[i - 1].time
        if start is not None:
            assert start <= candle.time and candle.time + frame <= end
        if not (forming_last and i == len(candles) - 1):
            assert candle.closed


@pytest.mark.parametrize("feed_config", sorted(FEEDS), indirect=True)
def test_feed_keeps_the_contract(feed_config):
    feed = make_feed(feed_config)
    assert isinstance(feed, Feed) and feed.name == feed_config.feed.kind
    now = int(time.time() * 1000)
    feed.resume(SYMBOL, None)
    for timeframe, span in (("1m", 1_800_000), ("1s", 120_000)):
        frame = timeframe_ms(timeframe)
        start, end = now - span + 123, now
        candles = feed.backfill(SYMBOL, timeframe, start, end)
        assert len(candles) >= span // frame - 2
        check(candles, frame, start, end)
    polled = feed.poll(SYMBOL, int(time.time() * 1000))
    assert polled
    check(polled, 1000, forming_last=True)
    assert polled[0].time <= end + 1000
    feed.close()
