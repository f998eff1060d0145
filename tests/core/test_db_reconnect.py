"""A dropped PostgreSQL connection fails the statement it was running, never the ones after:
the writer, this thread's reader and the change listener reconnect (real server; the sessions
are ended with ``pg_terminate_backend``)."""

from __future__ import annotations

import psycopg
import pytest

from core.db import Database


def terminate(server, *pids: int) -> None:
    with psycopg.connect(server.url(), autocommit=True) as admin:
        for pid in pids:
            # Waits (up to 5 s) until the session has ended.
            assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()[0]


def test_writes_reads_and_the_listener_work_again_after_their_connections_drop(postgres_server):
    db = Database(postgres_server.create_schema())
    try:
        db.ensure("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")
        with db.transaction() as conn:
            conn.execute("INSERT INTO t VALUES (1)")
        db.data_version()
        writer = db._conn.raw.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        reader = db.query("SELECT pg_backend_pid()")[0][0]
        terminate(postgres_server, writer, reader, db._listener.info.backend_pid)

        with pytest.raises(Exception), db.transaction() as conn:  # noqa: B017 (the driver's own)
            conn.execute("INSERT INTO t VALUES (2)")
        with db.transaction() as conn:
            conn.execute("INSERT INTO t VALUES (3)")

        with pytest.raises(Exception):  # noqa: B017
            db.query("SELECT id FROM t")
        assert [r[0] for r in db.query("SELECT id FROM t ORDER BY id")] == [1, 3]

        with pytest.raises(Exception):  # noqa: B017
            db.data_version()
        before = db.data_version()
        with psycopg.connect(postgres_server.url(), autocommit=True) as other:
            other.execute("NOTIFY tradedash_changes, 'someone else'")
        assert db.data_version() > before
        assert db.tables()  # the other users of the write connection too
    finally:
        db.close()
