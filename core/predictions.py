"""Model predictions: validation against the schema of DESIGN.md, per-symbol bounded deques,
and SQLite persistence so nothing is lost on restart.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import threading
import uuid
from collections import deque
from typing import Any

from core.candles import is_timeframe
from core.db import Database

log = logging.getLogger(__name__)

KINDS = ("dqn", "cnn", "transformer")
DIRECTIONS = ("UP", "DOWN", "STABLE")
ACTIONS = ("BUY", "SELL", "HOLD")
SOURCES = ("live", "backtest", "training")

SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    symbol TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    cleared INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS predictions_symbol ON predictions (symbol, kind, cleared, seq);
"""


class PredictionError(ValueError):
    """A prediction that does not follow the schema; the message says which field and why."""


def _number(data: dict, field: str, kind: str, positive: bool = False) -> float:
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PredictionError(f"{kind} prediction: {field} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise PredictionError(f"{kind} prediction: {field} must be finite, got {value}")
    if positive and value <= 0:
        raise PredictionError(f"{kind} prediction: {field} must be > 0, got {value}")
    return float(value)


def _choice(data: dict, field: str, kind: str, allowed: tuple[str, ...]) -> str:
    value = data.get(field)
    value = value.upper() if isinstance(value, str) else value
    if value not in allowed:
        raise PredictionError(
            f"{kind} prediction: {field} must be one of {', '.join(allowed)}, got {value!r}"
        )
    return value


def normalize_prediction(kind: str, symbol: str, data: dict[str, Any]) -> dict[str, Any]:
    """Check a prediction and return it in the stored form (id, defaults, floats)."""
    if kind not in KINDS:
        raise PredictionError(f"unknown prediction kind {kind!r}: use one of {', '.join(KINDS)}")
    if not isinstance(data, dict):
        raise PredictionError(f"{kind} prediction must be a mapping, got {type(data).__name__}")
    timestamp = data.get("timestamp")
    if timestamp is None:
        raise PredictionError(f"{kind} prediction: timestamp (epoch ms) is required")
    if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)) or timestamp < 0:
        raise PredictionError(f"{kind} prediction: timestamp must be epoch ms, got {timestamp!r}")
    confidence = _number(data, "confidence", kind)
    if not 0 <= confidence <= 1:
        raise PredictionError(f"{kind} prediction: confidence must be in 0..1, got {confidence}")
    timeframe = data.get("timeframe", "1m")
    if not is_timeframe(timeframe):
        raise PredictionError(f"{kind} prediction: timeframe {timeframe!r} is not like 1s or 1m")
    source = data.get("source", "live")
    if source not in SOURCES:
        raise PredictionError(
            f"{kind} prediction: source must be one of {', '.join(SOURCES)}, got {source!r}"
        )
    out = dict(data)
    out.update(
        id=str(data.get("id") or uuid.uuid4().hex),
        model=str(data.get("model") or kind),
        model_version=None if data.get("model_version") is None else str(data["model_version"]),
        symbol=symbol,
        timeframe=timeframe,
        timestamp=int(timestamp),
        source=source,
        confidence=confidence,
        kind=kind,
    )
    if kind == "dqn":
        out["action"] = _choice(data, "action", kind, ACTIONS)
        out["price"] = _number(data, "price", kind, positive=True)
    else:
        out["direction"] = _choice(data, "direction", kind, DIRECTIONS)
        out["current_price"] = _number(data, "current_price", kind, positive=True)
        out["horizon_minutes"] = _number(data, "horizon_minutes", kind, positive=True)
        target = "target_price" if kind == "cnn" else "predicted_price"
        out[target] = _number(data, target, kind, positive=True)
        if kind == "transformer":
            change = (out[target] / out["current_price"] - 1) * 100
            out["price_change"] = (
                _number(data, "price_change", kind) if "price_change" in data else change
            )
    return out


class PredictionBook:
    """Per symbol, a bounded deque per model kind, mirrored to SQLite.

    ``seq(symbol)`` changes whenever that symbol's predictions change, so readers can tell
    cheaply whether there is anything new to draw. Each prediction carries ``seq``, increasing in
    the order predictions were stored, and ``epoch(symbol)`` changes when a symbol is cleared:
    together they let a chart append only the new predictions.
    """

    def __init__(self, db: Database | None, symbols: list[str], maxlen: int = 50):
        self._db = db
        self.maxlen = maxlen
        self._lock = threading.RLock()
        self._deques: dict[str, dict[str, deque]] = {kind: {} for kind in KINDS}
        self._seq: dict[str, int] = {}
        self._epoch: dict[str, int] = {}
        self._counter = 0
        for symbol in symbols:
            self._ensure(symbol)
        if db is not None:
            db.ensure(SCHEMA)
            rows = db.query("SELECT MAX(seq) AS n FROM predictions")
            self._counter = rows[0]["n"] or 0

    def _ensure(self, symbol: str) -> None:
        for kind in KINDS:
            self._deques[kind].setdefault(symbol, deque(maxlen=self.maxlen))
        self._seq.setdefault(symbol, 0)
        self._epoch.setdefault(symbol, 0)

    def deques(self, kind: str) -> dict[str, deque]:
        return self._deques[kind]

    def load(self) -> int:
        """Refill the deques from SQLite: the newest ``maxlen`` uncleared predictions each,
        for every symbol that has any (imported symbols too, not only configured ones)."""
        if self._db is None:
            return 0
        count = 0
        with self._lock:
            for row in self._db.query("SELECT DISTINCT symbol FROM predictions WHERE cleared=0"):
                self._ensure(row["symbol"])
            for symbol in list(self._seq):
                for kind in KINDS:
                    rows = self._db.query(
                        "SELECT seq, data FROM predictions WHERE symbol=? AND kind=? AND cleared=0"
                        " ORDER BY seq DESC LIMIT ?",
                        (symbol, kind, self.maxlen),
                    )
                    target = self._deques[kind][symbol]
                    target.clear()
                    target.extend(
                        {**json.loads(r["data"]), "seq": r["seq"]} for r in reversed(rows)
                    )
                    count += len(rows)
                self._seq[symbol] += 1
        return count

    def add(self, kind: str, symbol: str, data: dict[str, Any]) -> dict[str, Any]:
        prediction = normalize_prediction(kind, symbol, data)
        prediction.pop("seq", None)
        with self._lock:
            self._ensure(symbol)
            self._counter += 1
            if self._db is not None:
                try:
                    with self._db.transaction() as conn:
                        cursor = conn.execute(
                            "INSERT INTO predictions (id, kind, symbol, timestamp, data)"
                            " VALUES (?,?,?,?,?)",
                            (
                                prediction["id"],
                                kind,
                                symbol,
                                prediction["timestamp"],
                                json.dumps(prediction),
                            ),
                        )
                        self._counter = max(self._counter, cursor.lastrowid)
                except sqlite3.IntegrityError:
                    raise PredictionError(
                        f"a prediction with id {prediction['id']!r} is already stored; leave id"
                        " out to get a new one"
                    ) from None
            prediction["seq"] = self._counter
            self._deques[kind][symbol].append(prediction)
            self._seq[symbol] += 1
        return prediction

    def clear(
        self, symbol: str, kinds: tuple[str, ...] | None = None, source: str | None = None
    ) -> int:
        """Drop a symbol's predictions from its deques: all of them, or only those of ``kinds``
        and/or ``source`` (a new backtest clears that symbol's ``backtest`` predictions and keeps
        the live ones). Stored rows are kept, marked cleared, for later review. Returns how many
        left the deques."""
        kinds = KINDS if kinds is None else tuple(kinds)
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise PredictionError(f"unknown prediction kind {unknown[0]!r}: use one of {KINDS}")
        if source is not None and source not in SOURCES:
            raise PredictionError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
        removed = 0
        with self._lock:
            self._ensure(symbol)
            for kind in kinds:
                target = self._deques[kind][symbol]
                keep = [p for p in target if source is not None and p["source"] != source]
                removed += len(target) - len(keep)
                target.clear()
                target.extend(keep)
            if self._db is not None:
                sql = "UPDATE predictions SET cleared=1 WHERE symbol=? AND cleared=0"
                sql += f" AND kind IN ({','.join('?' * len(kinds))})"
                args: list[Any] = [symbol, *kinds]
                if source is not None:
                    sql += " AND json_extract(data, '$.source')=?"
                    args.append(source)
                with self._db.transaction() as conn:
                    conn.execute(sql, args)
            self._seq[symbol] += 1
            self._epoch[symbol] += 1
        return removed

    def snapshot(self, symbol: str, since: int | None = None) -> dict[str, list[dict]]:
        with self._lock:
            out = {}
            for kind in KINDS:
                items = list(self._deques[kind].get(symbol, ()))
                if since is not None:
                    items = [p for p in items if p["timestamp"] >= since]
                out[kind] = items
            return out

    def versioned_snapshot(self, symbol: str) -> tuple[int, dict[str, list[dict]]]:
        """(seq, snapshot) read together, so a prediction stored meanwhile can't be counted as
        seen without being in the snapshot."""
        with self._lock:
            return self._seq.get(symbol, 0), self.snapshot(symbol)

    def epoch(self, symbol: str) -> int:
        with self._lock:
            return self._epoch.get(symbol, 0)

    def seq(self, symbol: str) -> int:
        with self._lock:
            return self._seq.get(symbol, 0)
