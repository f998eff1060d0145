"""The feed interface: where live 1 s candles and history come from.

A feed is polled by :class:`market.feed_runner.FeedRunner` from one thread; it never starts threads
of its own. Every time is UTC epoch milliseconds of a candle's open.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

from core.candles import Candle

if TYPE_CHECKING:  # the composite is built in runtime/; only its type is named here
    from runtime.config import Config


class FeedError(Exception):
    """A failure the runner retries (network, timeout, malformed data from the source)."""


class Feed(ABC):
    """Source of candles for a set of symbols.

    ``backfill`` answers history, ``poll`` the live edge. A feed may keep per-symbol state (a
    cursor, a simulated path) but must answer ``backfill`` for any range it can, in any order.
    """

    name: ClassVar[str]

    @classmethod
    def from_config(cls, config: Config) -> Feed:
        """Build the feed from its section of the configuration (``config.feed.<name>``);
        registered feeds (``market.feeds.FEEDS``) implement it."""
        raise NotImplementedError(f"{cls.__name__} cannot be built from configuration")

    def resume(self, symbol: str, last: Candle | None, timeframe: str = "1s") -> None:  # noqa: B027
        """Continue after ``last``, the newest stored candle of ``symbol`` (of ``timeframe``),
        or start afresh when None. The default does nothing: real markets continue by themselves.
        """

    @abstractmethod
    def backfill(self, symbol: str, timeframe: str, start_ms: int, end_ms: int) -> list[Candle]:
        """Closed candles of ``timeframe`` ("1s" or "1m") with ``start_ms <= time`` and
        ``time + timeframe <= end_ms``, oldest first."""

    @abstractmethod
    def poll(self, symbol: str, now_ms: int) -> list[Candle]:
        """New or updated 1 s candles since the last poll, oldest first; the last one may still
        be forming (``closed=False``) and is sent again, updated, by the next poll."""

    def close(self) -> None:  # noqa: B027  (optional hook)
        """Release connections; the feed is not used afterwards."""
