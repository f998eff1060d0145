"""How long the live symbols' candles stay in SQLite (``retention.days`` per timeframe; by
default 1 s candles 30 days, 1 m forever; imported series are never pruned), and how much disk
the app uses (``/api/health``).

Old candles are deleted in chunks, one short transaction each, so the feed's writes never wait
long behind a prune.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path

from core.config import RetentionConfig
from core.db import Database

log = logging.getLogger(__name__)

CHUNK_ROWS = 20_000
DISK_CACHE_S = 30.0


def prune_candles(
    db: Database, series: list[tuple[str, str]], retention: RetentionConfig, now_ms: int
) -> int:
    """Delete candles older than their timeframe's retention; returns how many went."""
    deleted = 0
    for symbol, timeframe in series:
        days = retention.days.get(timeframe)
        if days is None:
            continue
        cutoff = now_ms - int(days * 86_400_000)
        while True:
            rows = db.query(
                "SELECT time FROM candles WHERE symbol=? AND timeframe=? AND time<?"
                " ORDER BY time LIMIT 1 OFFSET ?",
                (symbol, timeframe, cutoff, CHUNK_ROWS),
            )
            upto = rows[0][0] if rows else cutoff
            with db.transaction() as conn:
                count = conn.execute(
                    "DELETE FROM candles WHERE symbol=? AND timeframe=? AND time<?",
                    (symbol, timeframe, upto),
                ).rowcount
            deleted += count
            if not rows:
                break
        with db.transaction() as conn:
            # Rollups starting before the cutoff lost some or all of their candles: they go too.
            conn.execute(
                "DELETE FROM candle_rollups WHERE symbol=? AND base=? AND time<?",
                (symbol, timeframe, cutoff),
            )
    if deleted:
        log.info("retention: deleted %d old candles", deleted)
    return deleted


def start_retention(db, store, jobs, retention: RetentionConfig, live_symbols) -> None:
    """Prune now and then every ``retention.every_minutes`` (a scheduler job of ``jobs``)."""
    if not any(days is not None for days in retention.days.values()):
        return

    def prune() -> None:
        # Live series only: history a person imported is theirs to keep.
        live = [(s, tf) for s, tf in store.series() if s in live_symbols]
        try:
            prune_candles(db, live, retention, int(time.time() * 1000))
        except Exception:
            log.exception("retention: pruning failed (retried next time)")

    threading.Thread(target=prune, name="retention", daemon=True).start()
    jobs.schedule("retention", retention.every_minutes, prune)


def folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        except OSError:  # removed meanwhile
            continue
    return total


class DiskUsage:
    """Bytes the data folder and the database use, and what the disk has free; walked at most
    every ``DISK_CACHE_S`` (health checks can be frequent, the MLflow artifacts many)."""

    def __init__(self, data_dir: Path, db_path: Path | None):
        self.data_dir = data_dir
        self.db_path = db_path
        self._cached: tuple[float, dict] | None = None
        self._lock = threading.Lock()

    def report(self) -> dict:
        with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < DISK_CACHE_S:
                return self._cached[1]
            # A server database (PostgreSQL) is not on this disk: 0 here.
            files = (
                [self.db_path, *(Path(f"{self.db_path}{s}") for s in ("-wal", "-shm"))]
                if self.db_path is not None
                else []
            )
            report = {
                "data_bytes": folder_bytes(self.data_dir) if self.data_dir.is_dir() else 0,
                "database_bytes": sum(f.stat().st_size for f in files if f.is_file()),
                "free_bytes": shutil.disk_usage(self.data_dir).free
                if self.data_dir.is_dir()
                else None,
            }
            self._cached = (time.monotonic(), report)
            return report
