"""Market-data feeds behind one small interface, picked by name from ``FEEDS``.

>>> feed = make_feed(config)          # doctest: +SKIP  (config.feed.kind: sim | csv | ccxt)
>>> feed.backfill("BTC/USDT", "1m", start_ms, end_ms)   # doctest: +SKIP
"""

from __future__ import annotations

from core.config import Config
from core.feeds.base import Feed, FeedError
from core.feeds.ccxt_feed import CcxtFeed
from core.feeds.csv_replay import CsvFeed
from core.feeds.files import OhlcvFileError, read_ohlcv_file
from core.feeds.sim import SimFeed

FEEDS: dict[str, type[Feed]] = {"sim": SimFeed, "csv": CsvFeed, "ccxt": CcxtFeed}


def make_feed(config: Config) -> Feed:
    """The feed named by ``config.feed.kind``, built from its section of the configuration."""
    try:
        cls = FEEDS[config.feed.kind]
    except KeyError:
        raise ValueError(
            f"feed.kind: unknown feed {config.feed.kind!r} (known: {', '.join(FEEDS)})"
        ) from None
    return cls.from_config(config)


__all__ = [
    "FEEDS",
    "CcxtFeed",
    "CsvFeed",
    "Feed",
    "FeedError",
    "OhlcvFileError",
    "SimFeed",
    "make_feed",
    "read_ohlcv_file",
]
