"""The database for what must survive a restart: SQLite under ``data/`` by default, or
PostgreSQL when ``storage.url`` names one. One code path (SQLAlchemy 2 Core; psycopg 3 for
PostgreSQL); what differs between the two lives in ``core/dialect.py``.

Writes go through one connection behind a lock (``transaction``). Reads (``query``) use a
connection of their own per thread that sees the last commit: a slow read never holds back the
feed. Opening a database brings its schema to the newest version (``core/schema.py``, Alembic
migrations) or refuses one newer than this code knows.

How stores use it, and the rule for new ones:

- ``db.ensure(SCHEMA)`` with ``CREATE TABLE/INDEX IF NOT EXISTS`` in SQLite's words (``INTEGER``,
  ``REAL``, ``TEXT``, ``INTEGER PRIMARY KEY AUTOINCREMENT``): translated for PostgreSQL.
- ``with db.transaction() as conn: conn.execute(sql, params)`` / ``conn.executemany``;
  ``db.query(sql, params)`` returns rows read by position or by name (``row["col"]``,
  ``dict(row)``). Placeholders are ``?`` with a tuple; ``INSERT OR IGNORE`` and ``INSERT OR
  REPLACE`` work on both (the latter needs a primary key). Use ``RETURNING`` rather than
  ``lastrowid``, and catch ``core.db.IntegrityError`` (it is also an ``sqlite3.IntegrityError``).
- No ``PRAGMA``, ``rowid`` or SQLite-only functions in store code; an engine-specific need goes
  into ``core/dialect.py``.
- A new table or column also gets a migration in ``core/migrations/versions/`` (next revision
  after the current head) so every existing database gains it, and ``db copy`` and ``db backup``
  carry it (they copy every table the database has).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from core.dialect import NOTIFY_CHANNEL, Dialect, dialect_for

log = logging.getLogger(__name__)

SCALE_EXTRA = "pip install -c constraints.txt -r requirements-scale.txt"


class IntegrityError(sqlite3.IntegrityError):
    """A constraint refused a write (a duplicate key ...), on either engine. A subclass of
    ``sqlite3.IntegrityError`` so code written for SQLite alone still catches it."""


class StorageError(RuntimeError):
    """The database can't be used: unreachable, a missing driver, in use by another process."""


class Row(tuple):
    """One result row, read by position (``row[0]``) or name (``row["col"]``, ``dict(row)``)."""

    _names: dict[str, int] = {}

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


@lru_cache(maxsize=1024)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    return type("Row", (Row,), {"_names": {n: i for i, n in enumerate(names)}})


def _rows(result) -> list[Row]:
    if not result.returns_rows:
        return []
    cls = _row_class(tuple(result.keys()))
    return [cls(r) for r in result.fetchall()]


class Cursor:
    """What ``execute`` returns: ``rowcount``, ``fetchone``, ``fetchall`` (and ``lastrowid`` on
    SQLite; use ``RETURNING`` for portable code)."""

    def __init__(self, result, sqlite: bool):
        self.rowcount = result.rowcount
        self._rows = _rows(result)
        # Only SQLite has one (reading it closes a psycopg cursor).
        self.lastrowid = result.lastrowid if sqlite else None

    def fetchone(self) -> Row | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[Row]:
        rows, self._rows = self._rows, []
        return rows

    def __iter__(self):
        return iter(self.fetchall())


class Connection:
    """The connection a transaction (or a query) runs on, speaking the stores' SQL."""

    def __init__(self, conn, dialect: Dialect):
        self._conn = conn
        self._dialect = dialect
        self._sqlite = dialect.name == "sqlite"

    def execute(self, sql: str, params: Sequence | dict = ()) -> Cursor:
        if isinstance(params, list):
            params = tuple(params)  # a list would read as many rows to SQLAlchemy
        try:
            return Cursor(
                self._conn.exec_driver_sql(self._dialect.sql(sql, self._conn), params), self._sqlite
            )
        except _integrity_errors() as exc:
            raise IntegrityError(str(getattr(exc, "orig", exc))) from exc

    def executemany(self, sql: str, rows: Sequence[Sequence]) -> Cursor | None:
        rows = [tuple(r) for r in rows]
        if not rows:
            return None
        try:
            return Cursor(
                self._conn.exec_driver_sql(self._dialect.sql(sql, self._conn), rows), self._sqlite
            )
        except _integrity_errors() as exc:
            raise IntegrityError(str(getattr(exc, "orig", exc))) from exc

    @property
    def raw(self):
        """The SQLAlchemy connection (for Alembic, bulk copies)."""
        return self._conn


def _integrity_errors():
    from sqlalchemy import exc

    return exc.IntegrityError


def _broken(exc: BaseException, conn) -> bool:
    """Whether ``exc`` left ``conn`` unusable: a dropped connection (SQLAlchemy invalidates it,
    and every later statement raises ``PendingRollbackError`` until it is rolled back) or an
    operational error from the driver."""
    from sqlalchemy import exc as sa

    if getattr(conn, "invalidated", False) or getattr(conn, "closed", False):
        return True
    if isinstance(exc, sa.PendingRollbackError | sa.OperationalError):
        return True
    return isinstance(exc, sa.DBAPIError) and exc.connection_invalidated


def storage_url(target: str | Path) -> str:
    """A SQLAlchemy URL for a path (``data/x.db`` -> ``sqlite:////abs/data/x.db``), ``:memory:``,
    or a URL as given (``postgresql://`` gets psycopg 3 as its driver)."""
    text = str(target)
    if text == ":memory:":
        return "sqlite://"
    if "://" not in text:
        return f"sqlite:///{Path(text).resolve().as_posix()}"
    if text.startswith("postgresql://") or text.startswith("postgres://"):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


def display_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _engine(url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool, StaticPool

    if url.startswith("postgresql"):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise StorageError(
                f"storage.url {display_url(url)} needs psycopg 3, which is not installed: "
                f"{SCALE_EXTRA} (or make install-dev)"
            ) from None
        # TCP keepalives: a connection to a dead host is noticed within about 30 s.
        keepalive = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
                     "keepalives_count": 4, "connect_timeout": 10}  # fmt: skip
        return create_engine(
            url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args=keepalive
        )
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        return create_engine(
            url,
            poolclass=StaticPool if memory else NullPool,
            isolation_level="AUTOCOMMIT",  # we say BEGIN IMMEDIATE ourselves
            connect_args={"check_same_thread": False, "timeout": 30},
        )
    raise StorageError(
        f"storage.url {display_url(url)}: only sqlite:///PATH and postgresql://... are supported"
    )


class Database:
    """``Database(path_or_url)``: a file path (SQLite), ``:memory:``, or a URL."""

    def __init__(self, target: str | Path, migrate: bool = True):
        self.url = storage_url(target)
        self._memory = self.url == "sqlite://"
        self.engine = _engine(self.url)
        self.dialect = dialect_for(self.engine.dialect.name)
        self.path: Path | None = None
        if self.dialect.name == "sqlite" and not self._memory:
            self.path = Path(self.engine.url.database)
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._sender = uuid.uuid4().hex
        self._lock = threading.RLock()
        self._readers: dict[threading.Thread, Connection] = {}
        self._readers_lock = threading.Lock()
        self._local = threading.local()
        self._closed = False
        self._claim = None
        self._listener = None
        self._changes = 0
        self._conn = Connection(self._connect(), self.dialect)
        self.dialect.prepare_writer(self._conn.raw)
        if migrate:
            from core.schema import upgrade

            upgrade(self)

    def _connect(self):
        try:
            return self.engine.connect()
        except Exception as exc:
            raise StorageError(
                f"cannot connect to the database {display_url(self.url)}: "
                f"{str(getattr(exc, 'orig', exc)).strip()}"
            ) from None

    def lock_connection(self):
        """A SQLAlchemy connection of its own (outside any pool) for a session-long lock, with
        server-side TCP keepalives so a dead host's lock is released within about 30 s."""
        conn = self._connect()
        try:
            self.dialect.prepare_lock(conn)
        except Exception:
            conn.close()
            raise
        return conn

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def where(self) -> str:
        """The database in words for logs and messages (no password)."""
        return str(self.path) if self.path else display_url(self.url)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """All statements inside commit together or not at all."""
        with self._lock:
            raw = self._writer().raw
            began = False
            try:
                raw.exec_driver_sql(self.dialect.begin_write)
                began = True
                yield self._conn
                self.dialect.announce(raw, self._sender)
                raw.exec_driver_sql("COMMIT")
            except BaseException as exc:
                if _broken(exc, raw):
                    # A dropped connection: this write fails, the next one gets a fresh
                    # connection (the old one would refuse every later statement).
                    self._reconnect_writer()
                elif began:  # only roll back what began: a failed BEGIN surfaces its own error
                    try:
                        raw.exec_driver_sql("ROLLBACK")
                    except Exception:
                        log.exception("rollback failed on %s", self.where)
                raise

    def _reconnect_writer(self) -> None:
        """Replace a broken writer connection (under ``_lock``); a failure leaves the old one,
        so the next write tries again."""
        if self._memory:
            return  # its only connection holds the data: nothing to reconnect to
        log.warning("the write connection to %s broke: reconnecting", self.where)
        try:
            self._conn.raw.close()
        except Exception:
            log.debug("closing the broken write connection failed", exc_info=True)
        try:
            conn = Connection(self._connect(), self.dialect)
            self.dialect.prepare_writer(conn.raw)
        except Exception:
            log.exception("reconnecting to %s failed (tried again on the next write)", self.where)
            return
        self._conn = conn

    def _writer(self) -> Connection:
        """The write connection (under ``_lock``), replaced first if a failure left it broken."""
        raw = self._conn.raw
        if raw.invalidated or raw.closed:
            self._reconnect_writer()
        return self._conn

    @contextmanager
    def snapshot(self):
        """A connection of its own (a SQLAlchemy connection) whose reads all see one consistent
        state of the database, while others keep writing."""
        if self._memory:
            with self._lock:
                yield self._conn.raw
            return
        conn = self._connect()
        try:
            conn.exec_driver_sql(self.dialect.begin_snapshot)
            yield conn
            conn.exec_driver_sql("COMMIT")
        finally:
            conn.close()

    def _reader(self) -> Connection | None:
        """This thread's read connection (None for an in-memory database: it has one)."""
        if self._memory:
            return None
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StorageError("the database is closed")
            conn = Connection(self._connect(), self.dialect)
            self.dialect.prepare_reader(conn.raw)
            with self._readers_lock:
                # Threads come and go (a server's request threads): close the dead ones' first.
                for thread in [t for t in self._readers if not t.is_alive()]:
                    self._readers.pop(thread).raw.close()
                self._readers[threading.current_thread()] = conn
            self._local.conn = conn
        return conn

    def query(self, sql: str, params: tuple | list = ()) -> list[Row]:
        """Rows of a read-only statement, on this thread's own connection."""
        conn = self._reader()
        if conn is None:
            with self._lock:
                return self._conn.execute(sql, params).fetchall()
        try:
            return conn.execute(sql, params).fetchall()
        except Exception as exc:
            if _broken(exc, conn.raw):
                self._drop_reader(conn)  # the next read opens a fresh connection
            raise

    def _drop_reader(self, conn: Connection) -> None:
        with self._readers_lock:
            self._readers.pop(threading.current_thread(), None)
        self._local.conn = None
        try:
            conn.raw.close()
        except Exception:
            log.debug("closing a broken read connection failed", exc_info=True)

    def data_version(self) -> int:
        """Moves when another connection (another process) commits; our own writes don't move
        it, so it tells a view that someone else changed the database."""
        with self._lock:
            if self.dialect.name == "sqlite":
                return self._conn.execute("PRAGMA data_version").fetchone()[0]
            if self._listener is None:
                self._listen()
            # A round trip delivers the notifications waiting for us to the handler.
            try:
                self._listener.execute("SELECT 1")
            except Exception:
                # A dropped listener: listen again on a fresh connection next time, and count
                # a change, since notifications may have been missed meanwhile.
                self._drop_listener()
                self._changes += 1
                raise
            return self._changes

    def _drop_listener(self) -> None:
        try:
            self._listener_conn.close()
        except Exception:
            log.debug("closing a broken listener failed", exc_info=True)
        self._listener = None

    def _listen(self) -> None:
        listener = self._connect()
        driver = listener.connection.driver_connection

        def heard(notify) -> None:
            if notify.payload != self._sender:
                self._changes += 1

        driver.add_notify_handler(heard)
        driver.execute(f"LISTEN {NOTIFY_CHANNEL}")
        self._listener_conn = listener
        self._listener = driver

    def ensure(self, schema: str) -> None:
        """Create tables and indexes (idempotent ``CREATE ... IF NOT EXISTS`` statements)."""
        with self.transaction() as conn:
            for statement in self.dialect.ddl(schema):
                conn.raw.exec_driver_sql(statement)

    def integrity(self) -> str:
        """``ok`` when the engine's own check finds nothing wrong (SQLite's integrity_check;
        PostgreSQL's amcheck over every index), else what it found."""
        with self._lock:
            return self.dialect.integrity(self._writer().raw)

    def tables(self) -> list[str]:
        """Every table of the database, the migrations' version table included."""
        with self._lock:
            return self.dialect.tables(self._writer().raw)

    def columns(self, table: str) -> list[str]:
        with self._lock:
            return self.dialect.columns(self._writer().raw, table)

    def claim(self, what: str = "the app") -> None:
        """Refuse a second app process on one SQLite file (it would run a second feed and a
        second set of jobs on it). The lock dies with the process, kill -9 included."""
        if self.path is None or self._claim is not None:
            return
        from filelock import FileLock, Timeout

        lock = FileLock(f"{self.path}.owner.lock", timeout=0)
        owner = Path(f"{self.path}.owner")
        try:
            lock.acquire()
        except Timeout:
            holder = owner.read_text().strip() if owner.exists() else "another process"
            raise StorageError(
                f"{self.path} is in use by {holder}: two app processes can't share one SQLite "
                "file. Stop the other one, or give each its own data_dir; to run several "
                "processes on the same data, set storage.url to a PostgreSQL database "
                "(README, Scaling out)"
            ) from None
        owner.write_text(f"{what} (pid {os.getpid()})\n")
        self._claim = lock

    def release(self) -> None:
        """Give up ``claim`` (the app stopped its feed and jobs)."""
        with self._lock:
            if self._claim is not None:
                self._claim.release()
                self._claim = None

    def close(self) -> None:
        with self._readers_lock:
            self._closed = True
            for conn in self._readers.values():
                conn.raw.close()
            self._readers.clear()
        with self._lock:
            if self._listener is not None:
                self._drop_listener()
            self._conn.raw.close()
        self.release()
        self.engine.dispose()
