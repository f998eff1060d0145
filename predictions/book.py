"""Model predictions: validation against the schema of DESIGN.md, per-symbol bounded deques,
and SQLite persistence so nothing is lost on restart.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import deque
from datetime import datetime
from typing import Any

import numpy as np

from core.candles import is_timeframe
from core.db import Database, IntegrityError
from predictions.deque import PredictionDeque, PredictionDeques
from predictions.input import (
    ACTION_DIRECTION,
    PredictionError,
    choice,
    derive_direction,
    number,
    to_epoch_ms,
)
from predictions.queries import OUTCOME_FIELDS, outcome_fields, outcome_of, stored

log = logging.getLogger(__name__)

__all__ = ["PredictionBook", "PredictionError", "normalize_prediction", "outcome_of"]

KINDS = ("dqn", "cnn", "transformer")
DIRECTIONS = ("UP", "DOWN", "STABLE")
ACTIONS = ("BUY", "SELL", "HOLD")
SOURCES = ("live", "backtest", "training")
TARGET_FIELD = {"cnn": "target_price", "transformer": "predicted_price"}

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
CREATE INDEX IF NOT EXISTS predictions_time ON predictions (symbol, cleared, timestamp);
CREATE TABLE IF NOT EXISTS prediction_outcomes (
    id TEXT PRIMARY KEY,
    resolved_at INTEGER NOT NULL,
    realised_price REAL,
    hit INTEGER,
    error_pct REAL,
    naive_error_pct REAL,
    detail TEXT NOT NULL DEFAULT '{}'
);
"""


def plain(value: Any) -> Any:
    """Extra fields as JSON can hold them (numpy scalars and arrays, times as epoch ms)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (datetime, np.datetime64)):
        return to_epoch_ms(value, "", "time")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _directional(kind: str, data: dict, out: dict, band_pct: float) -> None:
    target = TARGET_FIELD[kind]
    if data.get(target) is None and data.get("horizon_minutes") is None and "action" in data:
        # The original transformer training loop stores only an action at the batch's price:
        # kept as an action (direction from it, no target), drawn at its price, scored as a DQN
        # action is (net return after the fill).
        out["action"] = choice(data, "action", kind, ACTIONS)
        out["direction"] = (
            choice(data, "direction", kind, DIRECTIONS)
            if data.get("direction") is not None
            else ACTION_DIRECTION[out["action"]]
        )
        out["current_price"] = number(data, "current_price", kind, positive=True)
        out.update({target: None, "horizon_minutes": None})
        if kind == "transformer":
            out["price_change"] = None
        return
    if data.get("direction") is None:
        out["direction"] = derive_direction(data, kind, target, band_pct)
    else:
        out["direction"] = choice(data, "direction", kind, DIRECTIONS)
    out["current_price"] = number(data, "current_price", kind, positive=True)
    out["horizon_minutes"] = number(data, "horizon_minutes", kind, positive=True)
    out[target] = number(data, target, kind, positive=True)
    if kind == "transformer":
        change = (out[target] / out["current_price"] - 1) * 100
        has_change = data.get("price_change") is not None
        out["price_change"] = number(data, "price_change", kind) if has_change else change


def normalize_prediction(
    kind: str, symbol: str, data: dict[str, Any], band_pct: float = 0.1
) -> dict[str, Any]:
    """Check a prediction and return it in the stored form (id, defaults, floats, epoch ms).
    ``band_pct``: the STABLE band used when the direction has to be derived."""
    if kind not in KINDS:
        raise PredictionError(f"unknown prediction kind {kind!r}: use one of {', '.join(KINDS)}")
    if not isinstance(data, dict):
        raise PredictionError(f"{kind} prediction must be a mapping, got {type(data).__name__}")
    timestamp = to_epoch_ms(data.get("timestamp"), kind)
    confidence = number(data, "confidence", kind)
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
    out = {k: plain(v) for k, v in data.items() if k not in OUTCOME_FIELDS}
    out.update(
        id=str(data.get("id") or uuid.uuid4().hex),
        model=str(data.get("model") or kind),
        model_version=None if data.get("model_version") is None else str(data["model_version"]),
        run_id=None if data.get("run_id") is None else str(data["run_id"]),
        symbol=symbol,
        timeframe=timeframe,
        timestamp=timestamp,
        source=source,
        confidence=confidence,
        kind=kind,
    )
    if kind == "dqn":
        out["action"] = choice(data, "action", kind, ACTIONS)
        # The fill price; callers that name it current_price (as CNN and transformer do) too.
        named_current = data.get("price") is None and "current_price" in data
        field = "current_price" if named_current else "price"
        out["price"] = number(data, field, kind, positive=True)
    else:
        _directional(kind, data, out, band_pct)
    return out


class PredictionBook:
    """Per symbol, a bounded deque per model kind, mirrored to SQLite.

    ``seq(symbol)`` changes whenever that symbol's predictions change, so readers can tell
    cheaply whether there is anything new to draw. Each prediction carries ``seq``, increasing in
    the order predictions were stored, and ``epoch(symbol)`` changes when a symbol is cleared:
    together they let a chart append only the new predictions.
    """

    def __init__(
        self, db: Database | None, symbols: list[str], maxlen: int = 50, band_pct: float = 0.1
    ):
        self._db = db
        self.maxlen = maxlen
        self.band_pct = band_pct
        self._lock = threading.RLock()
        self._deques: dict[str, PredictionDeques] = {kind: PredictionDeques(self) for kind in KINDS}
        self._seq: dict[str, int] = {}
        self._epoch: dict[str, int] = {}
        self._outcomes: dict[str, int] = {}
        self._counter = 0
        self._listeners: list = []  # called with each stored prediction (outside the lock)
        for symbol in symbols:
            self._ensure(symbol)
        if db is not None:
            db.ensure(SCHEMA)
            rows = db.query("SELECT MAX(seq) AS n FROM predictions")
            self._counter = rows[0]["n"] or 0

    def _ensure(self, symbol: str) -> None:
        with self._lock:
            for kind in KINDS:
                if symbol not in self._deques[kind]:
                    held = PredictionDeque(self, kind, symbol, self.maxlen)
                    dict.__setitem__(self._deques[kind], symbol, held)
            self._seq.setdefault(symbol, 0)
            self._epoch.setdefault(symbol, 0)
            self._outcomes.setdefault(symbol, 0)

    def deques(self, kind: str) -> dict[str, deque]:
        return self._deques[kind]

    def load(self) -> int:
        """Refill the deques from SQLite, with their outcomes: the newest ``maxlen`` uncleared
        predictions each, for every symbol that has any (imported symbols too). Nothing is
        written back."""
        if self._db is None:
            return 0
        count = 0
        with self._lock:
            for row in self._db.query("SELECT DISTINCT symbol FROM predictions WHERE cleared=0"):
                self._ensure(row["symbol"])
            for symbol in list(self._seq):
                for kind in KINDS:
                    count += self._reload(symbol, kind)
                self._seq[symbol] += 1
        return count

    def _reload(self, symbol: str, kind: str) -> int:
        """Refill one deque with the newest ``maxlen`` uncleared stored predictions."""
        rows = self._db.query(
            "SELECT p.seq, p.data, o.* FROM predictions p"
            " LEFT JOIN prediction_outcomes o ON o.id = p.id"
            " WHERE p.symbol=? AND p.kind=? AND p.cleared=0"
            " ORDER BY p.seq DESC LIMIT ?",
            (symbol, kind, self.maxlen),
        )
        self._deques[kind][symbol]._replace(
            {**json.loads(r["data"]), **outcome_fields(r), "seq": r["seq"]} for r in reversed(rows)
        )
        return len(rows)

    def add(self, kind: str, symbol: str, data: dict[str, Any]) -> dict[str, Any]:
        prediction = normalize_prediction(kind, symbol, data, self.band_pct)
        prediction.pop("seq", None)
        # When it arrived, so a replay can play predictions back in the order they came.
        prediction["stored_at"] = int(time.time() * 1000)
        with self._lock:
            self._ensure(symbol)
            self._counter += 1
            if self._db is not None:
                try:
                    with self._db.transaction() as conn:
                        cursor = conn.execute(
                            "INSERT INTO predictions (id, kind, symbol, timestamp, data)"
                            " VALUES (?,?,?,?,?) RETURNING seq",
                            (
                                prediction["id"],
                                kind,
                                symbol,
                                prediction["timestamp"],
                                json.dumps(prediction),
                            ),
                        )
                        self._counter = max(self._counter, cursor.fetchone()[0])
                except IntegrityError:
                    raise PredictionError(
                        f"a prediction with id {prediction['id']!r} is already stored; leave id"
                        " out to get a new one"
                    ) from None
            prediction["seq"] = self._counter
            self._deques[kind][symbol]._put(prediction)
            self._seq[symbol] += 1
        for listener in self._listeners:
            listener(prediction)
        return prediction

    def add_listener(self, listener) -> None:
        """Call ``listener(prediction)`` after each prediction is stored; it must only queue
        work (it runs on the thread that stored the prediction)."""
        self._listeners.append(listener)

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
                target._replace(keep)
            if self._db is not None:
                sql = "UPDATE predictions SET cleared=1 WHERE symbol=? AND cleared=0"
                sql += f" AND kind IN ({','.join('?' * len(kinds))})"
                args: list[Any] = [symbol, *kinds]
                if source is not None:
                    sql += f" AND {self._db.dialect.json_field('data', 'source')}=?"
                    args.append(source)
                with self._db.transaction() as conn:
                    conn.execute(sql, args)
                if source is not None:
                    # A long backtest or training run evicted the live predictions from the
                    # deque; they are still stored, so they come back rather than vanish.
                    for kind in kinds:
                        self._reload(symbol, kind)
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

    def outcome_version(self, symbol: str) -> int:
        """Changes when one of the symbol's held predictions gets its outcome."""
        with self._lock:
            return self._outcomes.get(symbol, 0)

    # ---- outcomes and the stored stream ------------------------------------------------------
    def stored_after(self, after_seq: int, symbol: str | None = None, limit: int = 500) -> list:
        """Predictions stored after ``after_seq`` (uncleared), oldest first, with outcomes."""
        if self._db is None:
            with self._lock:
                held = [p for kind in KINDS for d in self._deques[kind].values() for p in d]
            held = [p for p in held if p["seq"] > after_seq and symbol in (None, p["symbol"])]
            return sorted(held, key=lambda p: p["seq"])[:limit]
        return stored(self._db, symbol, after_seq=after_seq, include_cleared=False, limit=limit)

    def unresolved(self, after_seq: int = 0) -> list[dict]:
        """Stored predictions (cleared ones too: they stay for review) without an outcome."""
        if self._db is None:
            return [p for p in self.stored_after(after_seq, limit=10**9) if "resolved_at" not in p]
        rows = self._db.query(
            "SELECT p.seq, p.data FROM predictions p"
            " LEFT JOIN prediction_outcomes o ON o.id = p.id"
            " WHERE p.seq > ? AND o.id IS NULL ORDER BY p.seq",
            (after_seq,),
        )
        return [{**json.loads(r["data"]), "seq": r["seq"]} for r in rows]

    def record_outcomes(self, outcomes: list[dict]) -> int:
        """Store outcomes (each with ``id``, ``symbol`` and the outcome fields) and give them to
        the held predictions. A prediction is resolved once: a later outcome for it is ignored.
        Returns how many were new."""
        if not outcomes:
            return 0
        if self._db is not None:
            rows = [
                (o["id"], o["resolved_at"], o["realised_price"],
                 None if o["hit"] is None else int(bool(o["hit"])), o["error_pct"],
                 o["naive_error_pct"], json.dumps(o.get("detail") or {}))
                for o in outcomes
            ]  # fmt: skip
            with self._db.transaction() as conn:
                insert = "INSERT OR IGNORE INTO prediction_outcomes VALUES (?,?,?,?,?,?,?)"
                added = sum(conn.execute(insert, row).rowcount for row in rows)
        else:
            added = len(outcomes)
        by_id = {o["id"]: o for o in outcomes}
        with self._lock:
            for symbol in {o["symbol"] for o in outcomes}:
                self._ensure(symbol)
                touched = False
                for kind in KINDS:
                    held = self._deques[kind][symbol]
                    for index, prediction in enumerate(held):
                        found = by_id.get(prediction["id"])
                        if found is None or "resolved_at" in prediction:
                            continue
                        fields = {name: found[name] for name in OUTCOME_FIELDS}
                        fields.update(found.get("detail") or {})
                        # A new dict, not an update in place: readers hold the old one.
                        deque.__setitem__(held, index, {**prediction, **fields})
                        touched = True
                if touched:
                    self._outcomes[symbol] += 1
        return added
