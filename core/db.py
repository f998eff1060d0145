"""One SQLite database under ``data/`` for what must survive a restart.

Each concern (candles, predictions, annotations ...) creates its own tables through ``ensure``.
Writes go through one connection behind a lock (``transaction``). Reads (``query``) use a
connection of their own per thread: in WAL mode a reader sees the last commit and never waits
for the writer, nor the writer for it, so a slow read can't hold back the feed. Other processes
(the CLI while the app runs) read and write the same file.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


class Database:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._memory = str(path) == ":memory:"
        if not self._memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = _connect(str(path))
        self._lock = threading.RLock()
        self._readers: dict[threading.Thread, sqlite3.Connection] = {}
        self._readers_lock = threading.Lock()
        self._local = threading.local()
        self._closed = False
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All statements inside commit together or not at all."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                # Only roll back what began: a failed BEGIN must surface its own error.
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def _reader(self) -> sqlite3.Connection | None:
        """This thread's read connection (None for an in-memory database: it has one)."""
        if self._memory:
            return None
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise sqlite3.ProgrammingError("the database is closed")
            conn = _connect(str(self.path))
            conn.execute("PRAGMA query_only=ON")
            with self._readers_lock:
                # Threads come and go (a server's request threads): close the dead ones' first.
                for thread in [t for t in self._readers if not t.is_alive()]:
                    self._readers.pop(thread).close()
                self._readers[threading.current_thread()] = conn
            self._local.conn = conn
        return conn

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        """Rows of a read-only statement, on this thread's own connection."""
        conn = self._reader()
        if conn is None:
            with self._lock:
                return self._conn.execute(sql, params).fetchall()
        return conn.execute(sql, params).fetchall()

    def data_version(self) -> int:
        """Moves when another connection (another process) commits; our own writes don't move
        it, so it tells a view that someone else changed the database."""
        with self._lock:
            return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def ensure(self, schema: str) -> None:
        """Create tables and indexes (idempotent ``CREATE ... IF NOT EXISTS`` statements)."""
        with self._lock:
            self._conn.executescript(schema)

    def close(self) -> None:
        with self._readers_lock:
            self._closed = True
            for conn in self._readers.values():
                conn.close()
            self._readers.clear()
        with self._lock:
            self._conn.close()
