"""Parameter searches and walk-forwards in the database: the runs, each trial as it finishes,
each walk-forward fold as it ends.

A search's trials are written one by one while it runs, so a search that was cancelled or killed
keeps them and resumes from them. Runs left queued or running by a process that stopped are
marked failed ("interrupted") on the next start; they can be resumed.

Portable SQL (``core/db.py``'s rules): plain types, ``?`` placeholders, ``INSERT ... ON
CONFLICT``, no SQLite-only statements; the tables come from migration 0004
(``core/migrations/versions/0004_research.py``), ``ensure`` only repeats them.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from typing import Any

from core.db import Database
from core.jsonsafe import clean

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
ENDED = (DONE, FAILED, CANCELLED)
SEARCH, WALKFORWARD = "search", "walkforward"
_JSON = ("request", "result", "summary")
INTERRUPTED = "interrupted: the app stopped during the run (resume it to go on)"

SCHEMA = """
CREATE TABLE IF NOT EXISTS research_runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    finished_at INTEGER,
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    strategy TEXT NOT NULL,
    status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    error TEXT,
    request TEXT NOT NULL,
    result TEXT,
    mlflow_run_id TEXT,
    started_by TEXT NOT NULL DEFAULT '',
    summary TEXT
);
CREATE INDEX IF NOT EXISTS research_runs_created ON research_runs (created_at);
CREATE TABLE IF NOT EXISTS research_trials (
    run_id TEXT NOT NULL,
    part INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    params TEXT NOT NULL,
    value REAL,
    trades INTEGER NOT NULL,
    stats TEXT,
    error TEXT,
    finished_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, part, idx)
);
CREATE TABLE IF NOT EXISTS research_folds (
    run_id TEXT NOT NULL,
    fold INTEGER NOT NULL,
    result TEXT NOT NULL,
    finished_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, fold)
);
"""


def _now() -> int:
    return int(time.time() * 1000)


def _float(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


class ResearchStore:
    """Searches and walk-forwards (``kind``), their trials (``part``: 0 for a search, the fold
    for a walk-forward's in-sample searches) and a walk-forward's folds."""

    def __init__(self, db: Database):
        self._db = db
        db.ensure(SCHEMA)
        self.backfill_summaries()

    def backfill_summaries(self) -> None:
        """Runs finished before the ``summary`` column (migration 0005) get it from their
        result, once."""
        rows = self._db.query(
            "SELECT id, result FROM research_runs WHERE summary IS NULL AND result IS NOT NULL"
        )
        for row in rows:
            result = json.loads(row["result"]) or {}
            summary = result.get("best_summary") or result.get("summary")
            if summary is not None:
                self.update(row["id"], summary=summary)

    # ---- runs --------------------------------------------------------------------------------
    def create(self, kind: str, request: dict, started_by: str = "") -> str:
        run_id = uuid.uuid4().hex[:12]
        symbol = request.get("symbol") or ",".join(request.get("symbols") or [])
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO research_runs (id, kind, created_at, symbol, timeframe, strategy,"
                " status, request, started_by) VALUES (?,?,?,?,?,?,?,?,?)",
                (run_id, kind, _now(), symbol, request["timeframe"], request["strategy"], QUEUED,
                 json.dumps(request), started_by.strip()),
            )  # fmt: skip
        return run_id

    def update(self, run_id: str, **fields: Any) -> None:
        if not fields:
            return
        values = [
            json.dumps(clean(v), allow_nan=False) if k in _JSON and v is not None else v
            for k, v in fields.items()
        ]
        sql = ", ".join(f"{k}=?" for k in fields)
        with self._db.transaction() as conn:
            conn.execute(f"UPDATE research_runs SET {sql} WHERE id=?", (*values, run_id))

    def fail_interrupted(self, statuses: tuple[str, ...] = (QUEUED, RUNNING)) -> int:
        marks = ",".join("?" * len(statuses))
        with self._db.transaction() as conn:
            cursor = conn.execute(
                f"UPDATE research_runs SET status=?, error=? WHERE status IN ({marks})",
                (FAILED, INTERRUPTED, *statuses),
            )
            return cursor.rowcount

    def queued(self) -> list[tuple[str, str, dict]]:
        """Runs waiting in the database (queued by any process), oldest first."""
        rows = self._db.query(
            "SELECT id, kind, request FROM research_runs WHERE status=? ORDER BY created_at, id",
            (QUEUED,),
        )
        return [(r["id"], r["kind"], json.loads(r["request"])) for r in rows]

    def cancel_queued(self, run_id: str) -> bool:
        """Cancel a run still waiting (queued by any process); False once it started."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE research_runs SET status=?, finished_at=? WHERE id=? AND status=?",
                (CANCELLED, _now(), run_id, QUEUED),
            )
            return cursor.rowcount > 0

    def status(self, run_id: str) -> dict | None:
        rows = self._db.query(
            "SELECT id, kind, status, progress, error FROM research_runs WHERE id=?", (run_id,)
        )
        return dict(rows[0]) if rows else None

    def get(self, run_id: str) -> dict | None:
        rows = self._db.query("SELECT * FROM research_runs WHERE id=?", (run_id,))
        return self._decode(rows[0]) if rows else None

    def list(self, kind: str, limit: int = 100) -> list[dict]:
        rows = self._db.query(
            "SELECT id, kind, created_at, finished_at, symbol, timeframe, strategy, status,"
            " progress, error, request, summary, mlflow_run_id, started_by FROM research_runs"
            " WHERE kind=? ORDER BY created_at DESC, id DESC LIMIT ?",
            (kind, limit),
        )
        out = []
        for row in rows:
            run = self._decode(row)
            run["best"] = run.pop("summary")
            run["trials_count"] = self.count_trials(run["id"])
            out.append(run)
        return out

    @staticmethod
    def _decode(row) -> dict:
        run = dict(row)
        for key in _JSON:
            if key in run:
                run[key] = json.loads(run[key]) if run[key] is not None else None
        return run

    # ---- trials ------------------------------------------------------------------------------
    def add_trial(self, run_id: str, part: int, idx: int, params: dict, result: dict) -> None:
        """Store one finished trial (again: replaced)."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO research_trials (run_id, part, idx, params, value, trades, stats,"
                " error, finished_at) VALUES (?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (run_id, part, idx) DO UPDATE SET params=excluded.params,"
                " value=excluded.value, trades=excluded.trades, stats=excluded.stats,"
                " error=excluded.error, finished_at=excluded.finished_at",
                (run_id, part, idx, json.dumps(clean(params)), _float(result.get("value")),
                 int(result.get("trades") or 0), json.dumps(clean(result.get("stats") or {})),
                 result.get("error"), _now()),
            )  # fmt: skip

    def trials(self, run_id: str, part: int | None = None) -> list[dict]:
        """The trials in order (part, then index)."""
        sql = (
            "SELECT part, idx, params, value, trades, stats, error FROM research_trials"
            " WHERE run_id=?"
        )
        args: tuple = (run_id,)
        if part is not None:
            sql += " AND part=?"
            args = (run_id, part)
        rows = self._db.query(sql + " ORDER BY part, idx", args)
        return [
            {"part": r["part"], "idx": r["idx"], "params": json.loads(r["params"]),
             "value": r["value"], "trades": r["trades"], "stats": json.loads(r["stats"] or "{}"),
             "error": r["error"]}
            for r in rows
        ]  # fmt: skip

    def count_trials(self, run_id: str) -> int:
        rows = self._db.query("SELECT COUNT(*) AS n FROM research_trials WHERE run_id=?", (run_id,))
        return int(rows[0]["n"])

    # ---- walk-forward folds ------------------------------------------------------------------
    def add_fold(self, run_id: str, fold: int, result: dict) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO research_folds (run_id, fold, result, finished_at) VALUES (?,?,?,?)"
                " ON CONFLICT (run_id, fold) DO UPDATE SET result=excluded.result,"
                " finished_at=excluded.finished_at",
                (run_id, fold, json.dumps(clean(result), allow_nan=False), _now()),
            )

    def folds(self, run_id: str) -> list[dict]:
        rows = self._db.query(
            "SELECT fold, result FROM research_folds WHERE run_id=? ORDER BY fold", (run_id,)
        )
        return [json.loads(r["result"]) for r in rows]
