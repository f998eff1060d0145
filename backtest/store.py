"""Backtest runs in SQLite: request, status, progress, statistics, trades and equity curve.

A run left queued or running by a process that stopped is marked failed on the next start, so no
run shows as running forever.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from typing import Any

import numpy as np
import pandas as pd

from core.db import Database

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
MAX_EQUITY_POINTS = 2000

SCHEMA = """
CREATE TABLE IF NOT EXISTS backtest_runs (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    finished_at INTEGER,
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    strategy TEXT NOT NULL,
    status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    error TEXT,
    request TEXT NOT NULL,
    model TEXT,
    in_sample TEXT,
    stats TEXT,
    trades TEXT,
    equity TEXT,
    predictions TEXT,
    mlflow_run_id TEXT,
    started_by TEXT NOT NULL DEFAULT '',
    portfolio TEXT
);
CREATE INDEX IF NOT EXISTS backtest_runs_created ON backtest_runs (created_at);
"""
_JSON = ("request", "model", "in_sample", "stats", "trades", "equity", "predictions", "portfolio")
SUMMARY_STATS = ("Return [%]", "Sharpe Ratio", "Max. Drawdown [%]", "# Trades", "Win Rate [%]")


def json_value(value: Any) -> Any:
    """A statistic as JSON: times as ISO text, durations as pandas writes them, NaN/inf as null."""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        return str(value)
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    return value


def downsample(times: np.ndarray, values: np.ndarray, limit: int = MAX_EQUITY_POINTS) -> np.ndarray:
    """Positions of at most ``limit`` points keeping each bucket's lowest and highest value."""
    n = len(values)
    if n <= limit:
        return np.arange(n)
    edges = np.linspace(0, n, (limit - 2) // 2 + 1).astype(np.int64)
    keep = [0, n - 1]
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        if high > low:
            chunk = values[low:high]
            keep += [low + int(chunk.argmin()), low + int(chunk.argmax())]
    return np.unique(keep)


def equity_points(times: np.ndarray, equity: np.ndarray) -> list[dict]:
    """The equity curve, downsampled, with the drawdown (percent, <= 0) at each point."""
    with np.errstate(divide="ignore", invalid="ignore"):
        drawdown = (equity / np.maximum.accumulate(equity) - 1) * 100
    return [
        {"time": int(times[i]), "equity": float(equity[i]), "drawdown_pct": float(drawdown[i])}
        for i in downsample(times, equity)
    ]


class BacktestStore:
    def __init__(self, db: Database):
        self._db = db
        db.ensure(SCHEMA)
        self._last_created = 0

    def create(self, request: dict, started_by: str = "") -> str:
        """A queued run; ``started_by``: the person who started it."""
        run_id = uuid.uuid4().hex[:12]
        # Strictly increasing here, so the list orders runs created in one millisecond too.
        created = self._last_created = max(int(time.time() * 1000), self._last_created + 1)
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO backtest_runs (id, created_at, symbol, timeframe, strategy, status,"
                " request, started_by) VALUES (?,?,?,?,?,?,?,?)",
                (run_id, created, request["symbol"], request["timeframe"],
                 request["strategy"], QUEUED, json.dumps(request), started_by.strip()),
            )  # fmt: skip
        return run_id

    def update(self, run_id: str, **fields: Any) -> None:
        if not fields:
            return
        values = [json.dumps(v) if k in _JSON and v is not None else v for k, v in fields.items()]
        sql = ", ".join(f"{k}=?" for k in fields)
        with self._db.transaction() as conn:
            conn.execute(f"UPDATE backtest_runs SET {sql} WHERE id=?", (*values, run_id))

    def fail_interrupted(self, statuses: tuple[str, ...] = (QUEUED, RUNNING)) -> int:
        marks = ",".join("?" * len(statuses))
        with self._db.transaction() as conn:
            cursor = conn.execute(
                f"UPDATE backtest_runs SET status=?, error=? WHERE status IN ({marks})",
                (FAILED, "interrupted: the app stopped during the run", *statuses),
            )
            return cursor.rowcount

    def queued(self) -> list[tuple[str, dict]]:
        """Runs waiting in the database (queued by any process), oldest first."""
        rows = self._db.query(
            "SELECT id, request FROM backtest_runs WHERE status=? ORDER BY created_at", (QUEUED,)
        )
        return [(r["id"], json.loads(r["request"])) for r in rows]

    def cancel_queued(self, run_id: str) -> bool:
        """Cancel a run still waiting (queued by any process); False once it started."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE backtest_runs SET status=?, finished_at=? WHERE id=? AND status=?",
                (CANCELLED, int(time.time() * 1000), run_id, QUEUED),
            )
            return cursor.rowcount > 0

    def status(self, run_id: str) -> dict | None:
        """Status, progress and error only: cheap enough for a poll every second."""
        rows = self._db.query(
            "SELECT id, status, progress, error FROM backtest_runs WHERE id=?", (run_id,)
        )
        return dict(rows[0]) if rows else None

    def get(self, run_id: str) -> dict | None:
        rows = self._db.query("SELECT * FROM backtest_runs WHERE id=?", (run_id,))
        return self._decode(rows[0]) if rows else None

    def list(self, limit: int = 100) -> list[dict]:
        rows = self._db.query(
            "SELECT id, created_at, finished_at, symbol, timeframe, strategy, status, progress,"
            " error, request, in_sample, stats, started_by FROM backtest_runs"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        out = []
        for row in rows:
            run = self._decode(row)
            stats = run.pop("stats") or {}
            run["stats"] = {k: stats.get(k) for k in SUMMARY_STATS} if stats else {}
            out.append(run)
        return out

    @staticmethod
    def _decode(row) -> dict:
        run = dict(row)
        for key in _JSON:
            if key in run:
                run[key] = json.loads(run[key]) if run[key] is not None else None
        request = run.pop("request", None) or {}
        run["params"] = request
        run["in_sample"] = run.get("in_sample") or False
        return run
