"""The base of the workers that act when a candle closes: one thread, a queue of (symbol,
timeframe) requests drained into one run each, start and stop.

A subclass implements ``run(symbol, timeframe)`` (the live pattern and neural workers), or
``run_batch`` when it acts on everything at once (the outcome resolver). ``on_closed`` is what the
candle store's listeners call; it only queues, so the feed's thread never waits for a model.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterable

log = logging.getLogger(__name__)


class ClosedCandleWorker:
    thread_name = "closed-candle-worker"
    # Also wake this often with nothing queued (None: only when asked).
    every_s: float | None = None
    # Exceptions that end a batch quietly (e.g. no model registered yet: try on the next candle).
    quiet: tuple[type[BaseException], ...] = ()

    def __init__(self, timeframes: Iterable[str] | None = ()):
        # None: every timeframe wakes the worker.
        self.timeframes = None if timeframes is None else tuple(timeframes)
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # ---- hooks ---------------------------------------------------------------------------
    def run(self, symbol: str, timeframe: str) -> object:
        raise NotImplementedError

    def wanted(self) -> bool:
        """Whether ``start`` starts the thread (a worker the config turns off says no)."""
        return True

    def run_batch(self, pending: set[tuple[str, str]]) -> None:
        for symbol, timeframe in sorted(pending):
            try:
                self.run(symbol, timeframe)
            except self.quiet:
                break
            except Exception:
                log.exception("%s failed for %s %s", self.thread_name, symbol, timeframe)

    # ---- running -------------------------------------------------------------------------
    def on_closed(self, event) -> None:
        if self.timeframes is None or event.timeframe in self.timeframes:
            self._queue.put((event.symbol, event.timeframe))

    def request(self, symbols: Iterable[str]) -> None:
        """Run for these symbols now (e.g. a new champion was swapped in)."""
        for symbol in symbols:
            for timeframe in self.timeframes or ():
                self._queue.put((symbol, timeframe))

    def wake(self) -> None:
        """Run a batch now, with nothing in particular queued."""
        self._queue.put(None)

    def start(self) -> None:
        if self._thread is None and self.wanted():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._queue.put(None)
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)

    def _next_batch(self) -> set[tuple[str, str]]:
        try:
            item = self._queue.get(timeout=self.every_s)
        except queue.Empty:
            item = None
        pending = set() if item is None else {item}
        while True:  # several symbols close together: one run each
            try:
                extra = self._queue.get_nowait()
            except queue.Empty:
                return pending
            if extra is not None:
                pending.add(extra)

    def _loop(self) -> None:
        while not self._stop.is_set():
            pending = self._next_batch()
            if self._stop.is_set():
                return
            try:
                self.run_batch(pending)
            except Exception:
                log.exception("%s batch failed", self.thread_name)
