"""Drives a :class:`~market.feeds.base.Feed` into the candle store from one daemon thread.

``backfill_all`` (before ``start``) resumes each symbol from what the store holds and fetches only
the missing history. Each symbol is then polled every ``poll_interval_s`` from a thread of its
own, so one hung exchange call never makes the other symbols stale. A failure (an exception from
the feed, a malformed candle) marks the symbol "reconnecting" and retries it with exponential
backoff and jitter (on the monotonic clock); the first attempt after a failure fills the gap
from history (1 m, then 1 s) before any new live candle is ingested, so nothing is lost or
stored twice.

The symbols' threads only queue their candles: one writer loop commits everything queued once
per ``poll_interval_s`` (one SQLite commit for all symbols), and retries a commit that failed.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.candles import Candle, CandleError, bucket_start, timeframe_ms, validate_candle
from core.config import FeedConfig
from market.candle_store import CandleStore
from market.feeds.base import Feed, FeedError

log = logging.getLogger(__name__)

BASE_MS = 1000
MINUTE_MS = 60_000


@dataclass
class _SymbolState:
    status: str = "stopped"
    error: str | None = None
    last_update: int | None = None  # wall ms of the last poll that changed the store
    failures: int = 0
    retry_at: float = 0.0  # monotonic seconds
    needs_fill: bool = False


class FeedRunner:
    """Polls ``feed`` for ``symbols`` and writes to ``store``; see the module docstring."""

    def __init__(
        self,
        feed: Feed,
        store: CandleStore,
        symbols: Sequence[str],
        config: FeedConfig,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.feed = feed
        self.store = store
        self.symbols = tuple(symbols)
        self.config = config
        self.clock = clock  # wall time: candle times and ages
        self.monotonic = monotonic  # retry delays: immune to the wall clock jumping
        self._rng = rng or random.Random()
        self._states = {symbol: _SymbolState() for symbol in self.symbols}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pollers: list[threading.Thread] = []
        self._write_error: str | None = None
        self._commits = 0
        self._started_at: float | None = None
        self._window_1m_ms = 0
        self._window_1s_ms = 0

    # ---- control ------------------------------------------------------------------------
    def start(self) -> None:
        """Start the polling thread (once)."""
        if self._thread is not None:
            raise RuntimeError("FeedRunner.start() was already called")
        self._started_at = self.clock()
        with self._lock:
            for state in self._states.values():
                if state.status == "stopped":
                    state.status = "ok"
        self._thread = threading.Thread(target=self._run, name="feed-writer", daemon=True)
        self._thread.start()
        for symbol in self.symbols:
            # Daemons: a call hung inside the exchange library must not hold up the exit.
            poller = threading.Thread(
                target=self._poll_loop, args=(symbol,), name=f"feed-{symbol}", daemon=True
            )
            self._pollers.append(poller)
            poller.start()
        log.info("feed %s started for %s", self.feed.name, ", ".join(self.symbols))

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the pollers and the writer, write what is queued, and close the feed."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for poller in self._pollers:
            poller.join(max(0.0, deadline - time.monotonic()))
        hung = [p.name for p in self._pollers if p.is_alive()]
        if hung:
            log.warning("feed threads still in a call after %.1f s: %s", timeout, hung)
        if self._thread is not None:
            self._thread.join(max(0.1, deadline - time.monotonic()))
            if self._thread.is_alive():
                log.warning("feed writer did not stop within %.1f s", timeout)
        self._flush()  # what the pollers queued after the writer's last loop
        with self._lock:
            for state in self._states.values():
                state.status = "stopped"
        try:
            self.feed.close()
        except Exception:
            log.exception("closing feed %s failed", self.feed.name)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def status(self) -> dict[str, dict]:
        """{symbol: {"status": "ok"|"reconnecting"|"stale"|"stopped", "last_update", "error"}}"""
        now = self.clock()
        out = {}
        with self._lock:
            for symbol, state in self._states.items():
                status = state.status
                if status == "ok":
                    since = (
                        state.last_update / 1000
                        if state.last_update is not None
                        else self._started_at
                    )
                    if since is not None and now - since > self.config.stale_after_s:
                        status = "stale"
                out[symbol] = {
                    "status": status,
                    "last_update": state.last_update,
                    "error": state.error or self._write_error,
                }
        return out

    @property
    def commits(self) -> int:
        """Commits of the writer loop so far (one per loop that had candles to write)."""
        return self._commits

    # ---- history ------------------------------------------------------------------------
    def backfill_all(self, backfill_1m_ms: int, backfill_1s_ms: int) -> None:
        """Before ``start``: resume each symbol from the store's newest candle and fetch the
        missing history (at most the given windows back). A symbol that fails is marked
        "reconnecting" and is filled by the loop once the feed answers."""
        self._window_1m_ms = max(0, int(backfill_1m_ms))
        self._window_1s_ms = max(0, int(backfill_1s_ms))
        for symbol in self.symbols:
            try:
                self._resume(symbol)
                self._fill(symbol, self._now_ms())
            except Exception as exc:
                self._failed(symbol, exc)

    def _resume(self, symbol: str) -> None:
        newest: tuple[int, Candle, str] | None = None
        for timeframe in ("1m", "1s"):
            candle = self.store.latest(symbol, timeframe)
            if candle is not None:
                end = candle.time + timeframe_ms(timeframe)
                if newest is None or end >= newest[0]:  # a tie goes to 1 s
                    newest = (end, candle, timeframe)
        if newest is None:
            self.feed.resume(symbol, None)
        else:
            self.feed.resume(symbol, newest[1], newest[2])

    def _fill(self, symbol: str, now_ms: int, end_ms: int | None = None) -> int:
        """Backfill what the store lacks up to ``end_ms`` (default now): 1 m, then 1 s."""
        end_ms = now_ms if end_ms is None else end_ms
        merged = 0
        for timeframe, window in (("1m", self._window_1m_ms), ("1s", self._window_1s_ms)):
            frame = timeframe_ms(timeframe)
            floor = bucket_start(now_ms - window, MINUTE_MS)
            if timeframe == "1s":  # always the current minute, so its 1 m candle is whole
                floor = min(floor, bucket_start(now_ms, MINUTE_MS))
            last = self.store.latest(symbol, timeframe)
            start = floor
            if last is not None:
                start = max(floor, last.time + (frame if last.closed else 0))
            end = bucket_start(end_ms, frame)
            if start >= end:
                continue
            candles = self.feed.backfill(symbol, timeframe, start, end)
            self._check(candles, f"{symbol} {timeframe} history", frame, start, end)
            merged += self.store.merge_history(symbol, timeframe, candles)
            log.debug(
                "%s %s: filled %d candles in [%d, %d)", symbol, timeframe, len(candles), start, end
            )
        return merged

    # ---- the loop -----------------------------------------------------------------------
    def _run(self) -> None:
        """The writer: once per poll interval, commit what the symbols' threads queued."""
        while not self._stop.wait(self.config.poll_interval_s):
            self._flush()
        self._flush()

    def _flush(self) -> None:
        try:
            if self.store.flush():
                self._commits += 1
        except Exception as exc:
            queued = self.store.pending_writes()
            message = f"database write failed ({type(exc).__name__}: {exc}); {queued} candles"
            message += " queued, retrying"
            if self._write_error is None:
                log.warning("%s", message, exc_info=exc)
            self._write_error = message
            return
        if self._write_error is not None:
            log.info("database writes recovered")
            self._write_error = None

    def _poll_loop(self, symbol: str) -> None:
        self.store.hold_writes()  # the writer loop commits them
        state = self._states[symbol]
        while not self._stop.is_set():
            with self._lock:
                wait = state.retry_at - self.monotonic()
            if wait <= 0:
                self._step(symbol)
                wait = self.next_poll_in()
                with self._lock:
                    if state.failures:
                        wait = state.retry_at - self.monotonic()
            self._stop.wait(max(wait, 0.001))

    def _step(self, symbol: str) -> None:
        try:
            now_ms = self._now_ms()
            state = self._states[symbol]
            if state.needs_fill:
                merged = self._fill(symbol, now_ms)
                log.debug("%s: filled the gap with %d candles", symbol, merged)
            candles = self.feed.poll(symbol, now_ms)
            self._check(candles, f"{symbol} live candles", BASE_MS)
            candles = [c.with_closed() for c in candles[:-1]] + candles[-1:]
            if candles:
                latest = self.store.latest(symbol, "1s")
                if latest is not None:
                    hole = latest.time + (BASE_MS if latest.closed else 0)
                    if candles[0].time > hole:  # the feed skipped ahead: fill from history
                        self._fill(symbol, now_ms, end_ms=candles[0].time)
                        latest = self.store.latest(symbol, "1s")
                self.store.ingest(symbol, candles)
                changed = self.store.latest(symbol, "1s") != latest
            else:
                changed = False
        except Exception as exc:
            self._failed(symbol, exc)
            return
        with self._lock:
            if state.failures:
                log.info("%s: feed recovered after %d failures", symbol, state.failures)
            state.status, state.error = "ok", None
            state.failures, state.retry_at, state.needs_fill = 0, 0.0, False
            if changed:
                state.last_update = now_ms

    def _failed(self, symbol: str, exc: Exception) -> None:
        message = str(exc) if isinstance(exc, FeedError) else f"{type(exc).__name__}: {exc}"
        with self._lock:
            state = self._states[symbol]
            state.failures += 1
            delay = min(
                self.config.backoff_max_s,
                self.config.backoff_initial_s * 2.0 ** min(state.failures - 1, 32),
            )
            delay *= self._rng.uniform(0.5, 1.0)  # jitter: symbols and processes spread out
            state.retry_at = self.monotonic() + delay
            state.status, state.error, state.needs_fill = "reconnecting", message, True
            failures = state.failures
        if isinstance(exc, (FeedError, CandleError)):
            log.warning("%s: %s (attempt %d, retry in %.2f s)", symbol, message, failures, delay)
        else:
            log.warning(
                "%s: feed failed (attempt %d, retry in %.2f s)",
                symbol,
                failures,
                delay,
                exc_info=exc,
            )

    # ---- helpers ------------------------------------------------------------------------
    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def next_poll_in(self) -> float:
        """Seconds to the next poll, on the wall clock's grid of ``poll_interval_s`` (0.25 s:
        :00.000, :00.250 ...). A poll just after a second begins brings its new 1 s candle into
        the store within milliseconds of its open, where a free-running interval drifts up to
        a whole interval late, and the charts' clock-driven tick (``tick_clock.js``) finds it."""
        step = max(1, round(self.config.poll_interval_s * 1000))
        return (step - self._now_ms() % step) / 1000

    def _check(
        self,
        candles: Sequence[Candle],
        where: str,
        frame: int,
        start: int | None = None,
        end: int | None = None,
    ) -> None:
        """Raise FeedError unless the candles are valid, aligned, in range and increasing."""
        previous = None
        for candle in candles:
            if not isinstance(candle, Candle):
                raise FeedError(f"{where}: not a candle: {candle!r}")
            try:
                validate_candle(candle, f"{where} at {candle.time}")
            except CandleError as exc:
                raise FeedError(f"malformed {exc}") from exc
            if candle.time % frame:
                raise FeedError(f"{where}: time {candle.time} is not on a {frame} ms boundary")
            if previous is not None and candle.time <= previous:
                raise FeedError(f"{where}: time {candle.time} does not follow {previous}")
            if start is not None and candle.time < start:
                raise FeedError(f"{where}: time {candle.time} is before {start}")
            if end is not None and candle.time + frame > end:
                raise FeedError(f"{where}: time {candle.time} is not closed by {end}")
            previous = candle.time
