"""One champion decision at a time, across threads and processes (the dashboard's Train button
and a CLI ``train`` share the data folder): read the champion, compare, move the alias, all
under one lock, so two runs can't both see the old champion and both take the alias.

The lock is a file in the data folder, or, once ``use_database`` names a PostgreSQL database
(several app processes, maybe on several machines, share it), an advisory lock there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

from core.dialect import CHAMPION_LOCK

LOCK_FILE = "champion.lock"
_THREADS = threading.Lock()
_SHARED = {"db": None}


def use_database(db) -> None:
    """Take champion decisions under the database's lock when it is shared (PostgreSQL)."""
    _SHARED["db"] = db if db is not None and db.dialect.name == "postgresql" else None


@contextmanager
def champion_lock(data_dir: str | Path, timeout_s: float = 600) -> Iterator[None]:
    db = _SHARED["db"]
    if db is not None and not db.closed:
        with _THREADS, _advisory(db, timeout_s):
            yield
        return
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    with _THREADS, FileLock(str(Path(data_dir) / LOCK_FILE), timeout=timeout_s):
        yield


@contextmanager
def _advisory(db, timeout_s: float) -> Iterator[None]:
    conn = db.engine.connect()  # a session of its own: the lock ends with it, even on a crash
    try:
        db.dialect.advisory_lock(conn, CHAMPION_LOCK, timeout_s)
        try:
            yield
        finally:
            db.dialect.advisory_unlock(conn, CHAMPION_LOCK)
    finally:
        conn.close()
