"""Feeds: one class per source, found through the explicit name -> class map ``FEEDS``.

>>> feed = make_feed(config)          # doctest: +SKIP  (config.feed.kind: sim | csv | ccxt)

Imports only core/ and market/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from market.feeds.base import Feed, FeedError
from market.feeds.ccxt_feed import CcxtFeed
from market.feeds.csv_replay import CsvFeed
from market.feeds.files import OhlcvFileError, read_ohlcv_file
from market.feeds.sim import SimFeed

if TYPE_CHECKING:  # the composite is built in runtime/; only its type is named here
    from runtime.config import Config

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
