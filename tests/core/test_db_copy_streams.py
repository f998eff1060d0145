"""Copies, checksums and backups read PostgreSQL tables through a server-side cursor, a chunk
at a time, never the whole table into memory."""

from __future__ import annotations

from core import db_copy
from core.db import Database


def test_a_table_is_read_through_a_server_side_cursor_in_chunks(postgres_server, monkeypatch):
    monkeypatch.setattr(db_copy, "CHUNK", 3)
    db = Database(postgres_server.create_schema())
    try:
        db.ensure("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")
        with db.transaction() as conn:
            conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)])
        with db.snapshot() as conn:
            result = db_copy._stream(conn, 'SELECT "id" FROM "t"')
            # The rows stay on the server behind a cursor until fetched.
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM pg_cursors").scalar() == 1
            assert len(result.fetchmany(3)) == 3
            result.close()
            rows, checksum = db_copy.table_summary(conn, "t", ["id"])
        assert rows == 10
        other = Database(postgres_server.create_schema())
        try:
            copied = db_copy.copy_database(db, other)
            assert {c.table: (c.rows, c.checksum) for c in copied}["t"] == (10, checksum)
        finally:
            other.close()
    finally:
        db.close()
