"""The champion pattern model, run live on each closed candle.

Features at t depend only on candles up to t, so a closed candle's predicted label never changes:
we store one label per closed candle (SQLite, so nothing is lost on restart) and derive spans from
runs of equal labels when asked. Inference runs in one worker thread, never in the feed's thread.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from core.candles import candles_to_frame
from core.db import Database
from core.worker import ClosedCandleWorker
from labels.predicted_spans import labels_to_spans
from serving.pattern_inference import NoModel, PatternService, predict_candles

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS pattern_labels (
    symbol TEXT NOT NULL, timeframe TEXT NOT NULL, time INTEGER NOT NULL,
    label TEXT NOT NULL, confidence REAL NOT NULL, model_version TEXT,
    PRIMARY KEY (symbol, timeframe, time)
) WITHOUT ROWID;
"""

# Candles labelled per run at most: after a long pause only the recent past is filled in.
MAX_BACKLOG = 120


class LivePatterns(ClosedCandleWorker):
    thread_name = "live-patterns"
    quiet = (NoModel,)  # nothing registered yet: try again on the next closed candle

    def __init__(self, db: Database, service: PatternService, store, timeframes=("1m",)):
        super().__init__(timeframes)
        self._db = db
        self._service = service
        self._store = store
        self._lock = threading.Lock()
        self._version = 0
        db.ensure(SCHEMA)

    @property
    def version(self) -> int:
        return self._version

    @property
    def service(self) -> PatternService:
        return self._service

    def run(self, symbol: str, timeframe: str) -> int:
        return self.label_new(symbol, timeframe)

    def label_new(self, symbol: str, timeframe: str) -> int:
        """Label the closed candles not labelled yet; returns how many were labelled."""
        loaded = self._service.current()
        candles = [c for c in self._store.tail(symbol, timeframe, loaded.min_candles + MAX_BACKLOG)
                   if c.closed]  # fmt: skip
        if len(candles) < loaded.min_candles:
            return 0
        last = self._last_labelled(symbol, timeframe)
        times, labels, confidence = predict_candles(loaded, candles_to_frame(candles))
        fresh = times > (last if last is not None else -1)
        if not fresh.any():
            return 0
        version = loaded.info.get("version")
        rows = [
            (symbol, timeframe, int(t), str(lab), float(conf), version)
            for t, lab, conf in zip(times[fresh], labels[fresh], confidence[fresh], strict=True)
        ]
        with self._lock, self._db.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO pattern_labels VALUES (?,?,?,?,?,?)", rows)
            self._version += 1
        return len(rows)

    def _last_labelled(self, symbol: str, timeframe: str) -> int | None:
        rows = self._db.query(
            "SELECT MAX(time) AS t FROM pattern_labels WHERE symbol=? AND timeframe=?",
            (symbol, timeframe),
        )
        return rows[0]["t"] if rows else None

    # ---- reading -------------------------------------------------------------------------
    def spans(
        self, symbol: str, timeframe: str, start: int | None = None, min_confidence: float = 0.0
    ) -> list[dict]:
        """Predicted pattern spans (runs of one label other than ``none``) from ``start`` on."""
        rows = self._db.query(
            "SELECT time, label, confidence, model_version FROM pattern_labels"
            " WHERE symbol=? AND timeframe=? AND time>=? ORDER BY time",
            (symbol, timeframe, start if start is not None else -1),
        )
        if not rows:
            return []
        times = np.array([r["time"] for r in rows], dtype=np.int64)
        labels = np.array([r["label"] for r in rows], dtype=object)
        confidence = np.array([r["confidence"] for r in rows], dtype=float)
        return labels_to_spans(times, labels, confidence, min_confidence)
