"""A seeded market simulator that looks like a real market to a trader and to TA-Lib.

The path is built from price ticks every ``tick_interval_ms``:

* log-returns are Student-t (3 degrees of freedom: fat tails) scaled by a GARCH(1,1) variance
  that is updated once a minute, so calm and wild stretches cluster the way real markets do;
* prices sit on the market's tick grid; a 1 s candle's open is the previous close;
* volume grows with the volatility regime and with the size of each tick's move.

The path is a pure function of (seed, symbol, anchor), where the anchor is the first second the
simulation owns: the resume point, or else the start of the first backfill or poll (so ask for the
longest history first; nothing before the anchor exists). It is generated an hour at a time
with one random stream per hour, so polling in small steps and backfilling in one go give the
same candles, and 1 m candles are exact aggregates of the 1 s ones.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from core.candles import Candle, bucket_start, timeframe_ms
from core.config import MarketConfig, SimFeedConfig
from market.feeds.base import Feed

if TYPE_CHECKING:  # the composite is built in runtime/; only its type is named here
    from runtime.config import Config

log = logging.getLogger(__name__)

DEFAULT_MARKETS = {
    "BTC/USDT": MarketConfig(price=65_000.0, tick_size=0.1, daily_volatility=0.03, base_volume=2.0),
    "ETH/USDT": MarketConfig(
        price=3_400.0, tick_size=0.01, daily_volatility=0.04, base_volume=20.0
    ),
    "SOL/USDT": MarketConfig(
        price=150.0, tick_size=0.001, daily_volatility=0.06, base_volume=150.0
    ),
}

BLOCK_SECONDS = 3600  # one random stream per simulated hour
MAX_SKIP_MS = 2 * 86_400_000  # a request further than this past the path starts a new one
MINUTE_SECONDS = 60  # GARCH step
NU = 3.0  # Student-t degrees of freedom: fat tails, finite variance
T_SCALE = math.sqrt((NU - 2.0) / NU)  # makes the t draws unit-variance
# E|T| of a unit-variance Student-t: scales the per-tick volume term to mean 1.
T_ABS_MEAN = T_SCALE * (
    2.0
    * math.sqrt(NU)
    * math.exp(math.lgamma((NU + 1) / 2) - math.lgamma(NU / 2))
    / (math.sqrt(math.pi) * (NU - 1))
)
GARCH_ALPHA = 0.10
GARCH_BETA = 0.885
VOLUME_VOL_POWER = 1.2  # volume ~ (regime volatility) ** power
VOLUME_NOISE = 0.5  # sigma of the lognormal volume noise


def market_for(symbol: str, markets: dict[str, MarketConfig] | None = None) -> MarketConfig:
    """The configured market, else a built-in default, else one derived from the name."""
    if markets and symbol in markets:
        return markets[symbol]
    if symbol in DEFAULT_MARKETS:
        return DEFAULT_MARKETS[symbol]
    digest = hashlib.sha256(symbol.encode()).digest()
    u1, u2, u3 = (int.from_bytes(digest[i : i + 4], "big") / 2**32 for i in (0, 4, 8))
    price = float(f"{10 ** (-1 + 4 * u1):.3g}")  # 0.1 .. 1000
    tick = 10.0 ** (math.floor(math.log10(price)) - 4)
    return MarketConfig(
        price=price,
        tick_size=float(f"{tick:.0e}"),
        daily_volatility=round(0.02 + 0.06 * u2, 4),
        base_volume=float(f"{(500 + 4500 * u3) / price:.3g}"),
    )


def _decimals(step: float) -> int:
    text = f"{step:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def _symbol_key(symbol: str) -> int:
    return int.from_bytes(hashlib.sha256(symbol.encode()).digest()[:8], "big")


@dataclass(frozen=True)
class _State:
    """Where a block starts: continuous log-price, last shown close, GARCH variance."""

    logp: float
    close: float
    h: float


@dataclass
class _Block:
    opens: np.ndarray  # per second
    highs: np.ndarray
    lows: np.ndarray
    closes: np.ndarray
    volumes: np.ndarray
    tick_prices: np.ndarray  # (seconds, ticks)
    tick_volumes: np.ndarray
    end: _State


@dataclass
class _Path:
    anchor: int  # open time of the first simulated second
    starts: list[_State]  # starts[k]: state at the beginning of block k
    cache: OrderedDict[int, _Block] = field(default_factory=OrderedDict)
    backfilled_to: int = 0
    cursor: int | None = None  # open time of the first second poll has not sent as closed


class SimFeed(Feed):
    """Simulated markets; see the module docstring."""

    name = "sim"
    CACHE_BLOCKS = 4

    def __init__(self, config: SimFeedConfig | None = None):
        self.config = config or SimFeedConfig()
        self.ticks_per_second = max(1, round(1000 / self.config.tick_interval_ms))
        self.tick_ms = 1000 / self.ticks_per_second
        self._paths: dict[str, _Path] = {}
        self._markets: dict[str, MarketConfig] = {}

    @classmethod
    def from_config(cls, config: Config) -> SimFeed:
        return cls(config.feed.sim)

    def market(self, symbol: str) -> MarketConfig:
        if symbol not in self._markets:
            self._markets[symbol] = market_for(symbol, self.config.markets)
        return self._markets[symbol]

    # ---- Feed interface -----------------------------------------------------------------
    def resume(self, symbol: str, last: Candle | None, timeframe: str = "1s") -> None:
        if last is None:
            self._paths.pop(symbol, None)
            return
        self._paths[symbol] = self._new_path(
            symbol, last.time + timeframe_ms(timeframe), last.close
        )

    def backfill(self, symbol: str, timeframe: str, start_ms: int, end_ms: int) -> list[Candle]:
        frame = timeframe_ms(timeframe)
        if frame % 1000:
            raise ValueError(f"timeframe {timeframe!r} is not whole seconds")
        path = self._path(symbol, bucket_start(start_ms, frame))
        first = -(-max(start_ms, path.anchor) // frame) * frame  # first whole bucket
        last = bucket_start(end_ms, frame)  # buckets must close by end_ms
        if first >= last:
            return []
        path = self._skip_ahead(symbol, path, first)
        path.backfilled_to = max(path.backfilled_to, last)
        o, h, lo, c, v = self._seconds(symbol, path, first, last)
        per = frame // 1000
        if per > 1:
            o, c = o[::per], c[per - 1 :: per]
            h = h.reshape(-1, per).max(axis=1)
            lo = lo.reshape(-1, per).min(axis=1)
            v = np.array([math.fsum(row) for row in v.reshape(-1, per).tolist()])
        times = range(first, last, frame)
        return [
            Candle(t, *values)
            for t, *values in zip(
                times, o.tolist(), h.tolist(), lo.tolist(), c.tolist(), v.tolist(), strict=True
            )
        ]

    def poll(self, symbol: str, now_ms: int) -> list[Candle]:
        path = self._path(symbol, bucket_start(now_ms, 1000))
        if now_ms < path.anchor:
            return []
        current = bucket_start(now_ms, 1000)
        path = self._skip_ahead(symbol, path, path.cursor or max(path.backfilled_to, current))
        cursor = path.cursor if path.cursor is not None else max(path.anchor, path.backfilled_to)
        candles: list[Candle] = []
        if cursor < current:
            o, h, lo, c, v = self._seconds(symbol, path, cursor, current)
            candles = [
                Candle(t, *values)
                for t, *values in zip(
                    range(cursor, current, 1000),
                    o.tolist(),
                    h.tolist(),
                    lo.tolist(),
                    c.tolist(),
                    v.tolist(),
                    strict=True,
                )
            ]
        if current >= cursor:
            candles.append(self._forming(symbol, path, current, now_ms))
        path.cursor = max(cursor, current)
        return candles

    # ---- the path -----------------------------------------------------------------------
    def _new_path(self, symbol: str, anchor: int, price: float) -> _Path:
        h0 = self._minute_variance(symbol)
        return _Path(anchor=anchor, starts=[_State(math.log(price), price, h0)])

    def _path(self, symbol: str, default_anchor: int) -> _Path:
        path = self._paths.get(symbol)
        if path is None:
            market = self.market(symbol)
            path = self._paths[symbol] = self._new_path(symbol, default_anchor, market.price)
            log.debug("sim %s anchored at %d", symbol, default_anchor)
        return path

    def _skip_ahead(self, symbol: str, path: _Path, start: int) -> _Path:
        """A path asked for more than MAX_SKIP_MS past what it has generated (the app was off
        for days) starts afresh at ``start`` from its last price: as if the market had paused,
        instead of simulating every hour in between."""
        frontier = path.anchor + (len(path.starts) - 1) * BLOCK_SECONDS * 1000
        if start - frontier <= MAX_SKIP_MS:
            return path
        log.info("sim %s: skipping %.1f days of simulated time", symbol, (start - frontier) / 864e5)
        fresh = self._new_path(symbol, start, path.starts[-1].close)
        self._paths[symbol] = fresh
        return fresh

    def _minute_variance(self, symbol: str) -> float:
        return self.market(symbol).daily_volatility ** 2 / 1440.0

    def _seconds(self, symbol: str, path: _Path, start: int, end: int) -> tuple[np.ndarray, ...]:
        """Per-second open, high, low, close, volume arrays for [start, end) (1 s aligned)."""
        i0 = (start - path.anchor) // 1000
        i1 = (end - path.anchor) // 1000
        parts: list[list[np.ndarray]] = [[], [], [], [], []]
        for k in range(i0 // BLOCK_SECONDS, (i1 - 1) // BLOCK_SECONDS + 1):
            block = self._block(symbol, path, k)
            lo = max(i0 - k * BLOCK_SECONDS, 0)
            hi = min(i1 - k * BLOCK_SECONDS, BLOCK_SECONDS)
            arrays = (block.opens, block.highs, block.lows, block.closes, block.volumes)
            for part, array in zip(parts, arrays, strict=True):
                part.append(array[lo:hi])
        return tuple(np.concatenate(part) for part in parts)

    def _forming(self, symbol: str, path: _Path, second: int, now_ms: int) -> Candle:
        i = (second - path.anchor) // 1000
        block = self._block(symbol, path, i // BLOCK_SECONDS)
        row = i % BLOCK_SECONDS
        ticks = min(int((now_ms - second) // self.tick_ms) + 1, self.ticks_per_second)
        prices = block.tick_prices[row, :ticks]
        open_ = float(block.opens[row])
        volume = round(float(block.tick_volumes[row, :ticks].sum()), self._volume_decimals(symbol))
        return Candle(
            time=second,
            open=open_,
            high=max(open_, float(prices.max())),
            low=min(open_, float(prices.min())),
            close=float(prices[-1]),
            volume=volume,
            closed=False,
        )

    def _volume_decimals(self, symbol: str) -> int:
        base = self.market(symbol).base_volume
        return min(8, max(0, 5 - math.floor(math.log10(base))))

    def _block(self, symbol: str, path: _Path, k: int) -> _Block:
        block = path.cache.get(k)
        if block is not None:
            path.cache.move_to_end(k)
            return block
        while len(path.starts) <= k:  # earlier blocks first: each starts where the last ended
            self._block(symbol, path, len(path.starts) - 1)
        block = self._generate(symbol, path, k)
        if len(path.starts) == k + 1:
            path.starts.append(block.end)
        path.cache[k] = block
        while len(path.cache) > self.CACHE_BLOCKS:
            path.cache.popitem(last=False)
        return block

    def _generate(self, symbol: str, path: _Path, k: int) -> _Block:
        market = self.market(symbol)
        start = path.starts[k]
        n = self.ticks_per_second
        seed = [self.config.seed % 2**63, _symbol_key(symbol), path.anchor // 1000, k]
        rng = np.random.default_rng(seed)
        z = rng.standard_t(NU, size=(BLOCK_SECONDS, n)) * T_SCALE
        noise = rng.lognormal(-0.5 * VOLUME_NOISE**2, VOLUME_NOISE, size=(BLOCK_SECONDS, n))

        # GARCH(1,1) on minute returns; the minute shock is the standardised sum of its ticks.
        minutes = BLOCK_SECONDS // MINUTE_SECONDS
        shocks = (z.reshape(minutes, -1).sum(axis=1) / math.sqrt(MINUTE_SECONDS * n)).tolist()
        long_run = self._minute_variance(symbol)
        omega = (1.0 - GARCH_ALPHA - GARCH_BETA) * long_run
        h = [start.h]
        for shock in shocks:
            h.append(omega + (GARCH_ALPHA * shock * shock + GARCH_BETA) * h[-1])
        variance = np.repeat(np.array(h[:-1]), MINUTE_SECONDS)[:, None]  # per second, per minute

        returns = z * np.sqrt(variance / (MINUTE_SECONDS * n))
        logp = start.logp + np.cumsum(returns.ravel()).reshape(BLOCK_SECONDS, n)
        tick = market.tick_size
        steps = np.maximum(np.round(np.exp(logp) / tick), 1.0)
        prices = np.round(steps * tick, _decimals(tick))

        closes = prices[:, -1]
        opens = np.concatenate(([start.close], closes[:-1]))
        highs = np.maximum(opens, prices.max(axis=1))
        lows = np.minimum(opens, prices.min(axis=1))

        regime = (variance / long_run) ** (VOLUME_VOL_POWER / 2)
        size = 0.3 + 0.7 * np.abs(z) / T_ABS_MEAN
        tick_volumes = market.base_volume / n * regime * size * noise
        volumes = np.round(tick_volumes.sum(axis=1), self._volume_decimals(symbol))
        end = _State(float(logp[-1, -1]), float(closes[-1]), h[-1])
        return _Block(opens, highs, lows, closes, volumes, prices, tick_volumes, end)
