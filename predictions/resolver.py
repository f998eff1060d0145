"""Scores stored predictions in the background once their horizon has passed.

One worker thread runs a pass when a candle closes and at least every ``outcomes.interval_s``
(imported series have no live feed, and a CLI backtest may store predictions meanwhile). The
first pass at start-up catches up on everything whose horizon passed while the app was down.
Unresolved predictions are picked up from SQLite by ``seq``, so nothing stored by another
process is missed; outcomes are written once (``INSERT OR IGNORE``), so a pass repeated after a
restart changes nothing.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from core.candles import timeframe_ms
from core.worker import ClosedCandleWorker
from predictions.outcomes import Closes, due_time, resolve

log = logging.getLogger(__name__)


class OutcomeResolver(ClosedCandleWorker):
    thread_name = "outcomes"

    def __init__(self, book, store, config):
        super().__init__(timeframes=None)  # any closed candle may end a horizon
        self.every_s = config.interval_s
        self._book = book
        self._store = store
        self._config = config
        self._pending: dict[str, dict] = {}
        self._last_seq = 0
        self._lock = threading.Lock()
        self.resolved_total = 0

    def start(self) -> None:
        self.wake()  # the first pass catches up on horizons that passed while the app was down
        super().start()

    def run_batch(self, _pending) -> None:
        self.run_pass()

    # ---- one pass ------------------------------------------------------------------------
    def _series_for(self, symbol: str, timeframe: str) -> str | None:
        """The prediction's own timeframe where it is stored, else the symbol's finest."""
        if self._store.has(symbol, timeframe):
            return timeframe
        held = [tf for s, tf in self._store.series() if s == symbol]
        return min(held, key=timeframe_ms) if held else None

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def run_pass(self) -> int:
        """Resolve what can be resolved now; returns how many predictions got an outcome."""
        with self._lock:
            for prediction in self._book.unresolved(self._last_seq):
                self._last_seq = max(self._last_seq, prediction["seq"])
                self._pending[prediction["id"]] = prediction
            groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
            for prediction in self._pending.values():
                groups[(prediction["symbol"], prediction["timeframe"])].append(prediction)
            outcomes = []
            for (symbol, timeframe), items in groups.items():
                outcomes.extend(self._resolve_group(symbol, timeframe, items))
            self._book.record_outcomes(outcomes)
            for outcome in outcomes:
                self._pending.pop(outcome["id"], None)
            self.resolved_total += len(outcomes)
        if outcomes:
            log.debug("resolved %d predictions", len(outcomes))
        return len(outcomes)

    def _resolve_group(self, symbol: str, timeframe: str, items: list[dict]) -> list[dict]:
        series_tf = self._series_for(symbol, timeframe)
        if series_tf is None:
            return []
        frame = timeframe_ms(series_tf)
        latest = self._store.latest(symbol, series_tf)
        horizon_end = latest.time + frame if latest is not None else None
        hold = self._config.dqn_horizon_candles
        # Only those whose horizon may have passed: the rest wait without reading candles.
        due = [p for p in items if horizon_end is None or due_time(p, frame, hold) <= horizon_end]
        if not due:
            return []
        start = min(p["timestamp"] for p in due) - frame
        closes = Closes.from_frame(self._store.history(symbol, series_tf, start), frame)
        first = int(closes.times[0]) if len(closes.times) else None
        outcomes = []
        for prediction in due:
            outcome = resolve(prediction, closes, self._config)
            if outcome is not None:
                outcomes.append(outcome)
            elif first is not None and due_time(prediction, frame, hold) <= first:
                # Its horizon ended before the series' first candle: it can never be scored.
                self._pending.pop(prediction["id"], None)
        return outcomes
