"""A real exchange through ccxt (sync API).

Live candles come from ``fetch_ohlcv(symbol, "1s")`` when the exchange offers 1 s candles, else
they are built from ``fetch_trades`` (a second without trades is a flat candle at the last price
with zero volume). History comes from ``fetch_ohlcv`` page by page. Every failure (network,
timeout, exchange error, a malformed row) is raised as :class:`FeedError` for the runner to retry.

ccxt is imported when the feed is built (it takes about a second), not when this module is.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from core.candles import Candle, CandleError, bucket_start, timeframe_ms, validate_candle
from market.feeds.base import Feed, FeedError

if TYPE_CHECKING:  # the composite is built in runtime/; only its type is named here
    from runtime.config import Config

log = logging.getLogger(__name__)

PAGE_LIMIT = 1000  # rows per request; Binance's maximum for klines and trades
# poll never asks further back than this; the runner fills older holes from history
LIVE_LOOKBACK_MS = 600_000
TRADES_LOOKBACK_MS = 60_000


def point_urls(urls: Any, api_url: str) -> Any:
    """``urls`` (a string or nested dict of strings) with each URL's scheme and host replaced by
    ``api_url``, keeping the path: ``https://api.binance.com/api/v3`` -> ``{api_url}/api/v3``."""
    if isinstance(urls, dict):
        return {key: point_urls(value, api_url) for key, value in urls.items()}
    if isinstance(urls, str) and "://" in urls:
        parts = urlsplit(urls)
        return api_url.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
    return urls


class CcxtFeed(Feed):
    """Candles from ``exchange`` (a ccxt id such as ``"binance"``)."""

    name = "ccxt"

    def __init__(
        self,
        exchange: str = "binance",
        api_url: str | None = None,
        timeout_ms: int = 10_000,
        market_symbols: Mapping[str, str] | None = None,
        factory: Callable[[dict], Any] | None = None,
    ):
        import ccxt

        if factory is None and not hasattr(ccxt, exchange):
            raise ValueError(f"ccxt has no exchange {exchange!r}")
        self.exchange_id = exchange
        self.api_url = api_url
        self.timeout_ms = timeout_ms
        self.market_symbols = dict(market_symbols or {})
        self._factory = factory or getattr(ccxt, exchange)
        self._client: Any = None
        self._markets_loaded = False
        # Symbols are polled from threads of their own: build the client and its markets once.
        self._client_lock = threading.Lock()
        self._cursor: dict[str, int] = {}  # open time of the first 1 s candle to ask for
        self._last_close: dict[str, float] = {}  # for flat candles built from trades

    @classmethod
    def from_config(cls, config: Config) -> CcxtFeed:
        c = config.feed.ccxt
        return cls(c.exchange, c.api_url, c.timeout_ms, c.market_symbols)

    # ---- the client ---------------------------------------------------------------------
    def client(self) -> Any:
        """The ccxt exchange with its markets loaded (raises FeedError when it cannot be)."""
        if self._markets_loaded:
            return self._client
        with self._client_lock:
            return self._load_client()

    def _load_client(self) -> Any:
        if self._client is None:
            options: dict[str, Any] = {"fetchCurrencies": False}
            if not any(":" in s for s in self.market_symbols.values()):
                options["fetchMarkets"] = {"types": ["spot"]}  # one request instead of three
            client = self._factory(
                {"timeout": self.timeout_ms, "enableRateLimit": True, "options": options}
            )
            if self.api_url:
                client.urls["api"] = point_urls(client.urls["api"], self.api_url)
            self._client = client
        if not self._markets_loaded:
            self._call("load markets", self._client.load_markets)
            self._markets_loaded = True
        return self._client

    def _call(self, what: str, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        import ccxt

        try:
            return fn(*args, **kwargs)
        except ccxt.RequestTimeout as exc:
            raise FeedError(
                f"{self.exchange_id}: {what} timed out after {self.timeout_ms} ms"
            ) from exc
        except ccxt.BaseError as exc:
            raise FeedError(
                f"{self.exchange_id}: {what} failed: {type(exc).__name__}: {exc}"
            ) from exc
        except Exception as exc:  # a malformed answer can surface as anything inside ccxt
            raise FeedError(
                f"{self.exchange_id}: {what} failed: {type(exc).__name__}: {exc}"
            ) from exc

    def market(self, symbol: str) -> str:
        name = self.market_symbols.get(symbol, symbol)
        client = self.client()
        if name not in client.markets:
            raise FeedError(f"{self.exchange_id} has no market {name!r} (configured as {symbol!r})")
        return name

    def has_timeframe(self, timeframe: str) -> bool:
        return timeframe in (self.client().timeframes or {})

    def close(self) -> None:
        session = getattr(self._client, "session", None)
        if session is not None:
            session.close()
        self._client = None
        self._markets_loaded = False

    # ---- Feed interface -----------------------------------------------------------------
    def resume(self, symbol: str, last: Candle | None, timeframe: str = "1s") -> None:
        if last is not None and timeframe == "1s":
            self._cursor[symbol] = last.time + (1000 if last.closed else 0)
            self._last_close[symbol] = last.close

    def backfill(self, symbol: str, timeframe: str, start_ms: int, end_ms: int) -> list[Candle]:
        frame = timeframe_ms(timeframe)
        first = bucket_start(start_ms + frame - 1, frame)
        last = bucket_start(end_ms, frame)
        if first >= last:
            return []
        if self.has_timeframe(timeframe):
            candles = self._ohlcv_range(symbol, timeframe, first, last, end_ms)
        elif timeframe == "1s":
            candles = self._trade_seconds(symbol, first, last, end_ms, None)
        else:
            raise FeedError(f"{self.exchange_id} offers no {timeframe} candles")
        return [c for c in candles if c.closed]

    def poll(self, symbol: str, now_ms: int) -> list[Candle]:
        current = bucket_start(now_ms, 1000)
        since = self._cursor.get(symbol, current - 60_000)
        if self.has_timeframe("1s"):
            since = max(since, current - LIVE_LOOKBACK_MS)
            candles = self._ohlcv_range(symbol, "1s", since, current + 1000, now_ms)
        else:
            since = max(since, current - TRADES_LOOKBACK_MS)
            candles = self._trade_seconds(
                symbol, since, current + 1000, now_ms, self._last_close.get(symbol)
            )
            closed = [c for c in candles if c.closed]
            if closed:
                self._last_close[symbol] = closed[-1].close
        if candles:
            self._cursor[symbol] = candles[-1].time + (1000 if candles[-1].closed else 0)
        return candles

    # ---- helpers ------------------------------------------------------------------------
    def _ohlcv_range(
        self, symbol: str, timeframe: str, start: int, end: int, now_ms: int
    ) -> list[Candle]:
        """Candles with ``start <= time < end``, page by page; those not over by ``now_ms``
        are marked forming."""
        market = self.market(symbol)
        frame = timeframe_ms(timeframe)
        out: list[Candle] = []
        since = start
        while since < end:
            rows = self._call(
                f"fetch_ohlcv {market} {timeframe}",
                self._client.fetch_ohlcv,
                market,
                timeframe,
                since=since,
                limit=PAGE_LIMIT,
            )
            page = [self._candle(row, f"{market} {timeframe} candle") for row in rows or []]
            page = [c for c in page if since <= c.time < end]
            if not page:
                break
            out.extend(page)
            since = page[-1].time + frame
            if len(rows) < PAGE_LIMIT:
                break
        for i in range(1, len(out)):
            if out[i].time <= out[i - 1].time:
                raise FeedError(
                    f"{self.exchange_id}: {market} candles out of order at {out[i].time}"
                )
        return [c.with_closed(c.time + frame <= now_ms) for c in out]

    def _candle(self, row: Any, where: str) -> Candle:
        if not isinstance(row, (list, tuple)) or len(row) < 6:
            raise FeedError(f"{self.exchange_id}: malformed {where}: {row!r}")
        stamp = row[0]
        if (
            not isinstance(stamp, (int, float))
            or isinstance(stamp, bool)
            or not math.isfinite(stamp)
        ):
            raise FeedError(f"{self.exchange_id}: malformed {where}: time {stamp!r}")
        candle = Candle(int(stamp), *row[1:6])
        try:
            return validate_candle(candle, f"{where} at {candle.time}")
        except CandleError as exc:
            raise FeedError(f"{self.exchange_id}: malformed {exc}") from exc

    def _trades(self, symbol: str, start: int, end: int) -> list[dict]:
        """Trades with ``start <= timestamp < end``, oldest first, page by page."""
        market = self.market(symbol)
        seen: set = set()
        out: list[dict] = []
        since = start
        while since < end:
            page = self._call(
                f"fetch_trades {market}",
                self._client.fetch_trades,
                market,
                since=since,
                limit=PAGE_LIMIT,
            )
            fresh = []
            for trade in page or []:
                stamp, price, amount = (trade.get(k) for k in ("timestamp", "price", "amount"))
                key = trade.get("id") or (stamp, price, amount)
                if key in seen:
                    continue
                seen.add(key)
                ok = all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                    for x in (stamp, price, amount)
                )
                if not ok or price <= 0 or amount < 0:
                    raise FeedError(f"{self.exchange_id}: malformed {market} trade: {trade!r}")
                fresh.append(trade)
            fresh = [t for t in fresh if start <= t["timestamp"] < end]
            if not fresh:
                break
            out.extend(fresh)
            newest = max(t["timestamp"] for t in fresh)
            if len(page) < PAGE_LIMIT or newest <= since:
                break
            since = newest  # same-millisecond trades come again and are skipped by id
        out.sort(key=lambda t: t["timestamp"])
        return out

    def _trade_seconds(
        self, symbol: str, start: int, end: int, now_ms: int, last_close: float | None
    ) -> list[Candle]:
        """1 s candles for [start, end) built from trades; a second without trades after the
        first trade (or after ``last_close``, the close before ``start``) is flat, volume 0."""
        trades = self._trades(symbol, start, end)
        by_second: dict[int, list[dict]] = {}
        for trade in trades:
            by_second.setdefault(bucket_start(int(trade["timestamp"]), 1000), []).append(trade)
        out: list[Candle] = []
        for second in range(start, end, 1000):
            group = by_second.get(second)
            if group:
                prices = [float(t["price"]) for t in group]
                volume = math.fsum(float(t["amount"]) for t in group)
                candle = Candle(second, prices[0], max(prices), min(prices), prices[-1], volume)
            elif last_close is not None:
                candle = Candle(second, last_close, last_close, last_close, last_close, 0.0)
            else:
                continue
            last_close = candle.close
            out.append(candle.with_closed(second + 1000 <= now_ms))
        return out
