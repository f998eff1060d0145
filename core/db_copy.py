"""Copy every table from one database to another (SQLite and PostgreSQL, either way), all or
nothing, and prove it: row counts and a content checksum per table, compared before the copy
commits.

- The source is read in one consistent snapshot, so the app may keep writing meanwhile.
- The target must be empty (its schema at the same version as the source's). Everything is
  written in one transaction; a failure or a mismatch rolls all of it back.
- Every table is copied, also one a store created outside the migrations (it is created on the
  target first): nothing is skipped silently, and the report lists each table.
- The checksum does not depend on row order or engine: each row's values, written canonically
  (integers as integers, floats by their exact repr), are hashed and the hashes summed.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from core.db import Database, StorageError
from core.schema import VERSION_TABLE

log = logging.getLogger(__name__)

CHUNK = 5000
_MOD = 1 << 256


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int
    checksum: str  # the source's; the target's matched it


def _canonical(value) -> str:
    if value is None:
        return "N"
    if isinstance(value, bool):
        return f"i{int(value)}"
    if isinstance(value, int):
        return f"i{value}"
    if isinstance(value, float):
        return f"i{int(value)}" if value.is_integer() and abs(value) < 2**53 else f"f{value!r}"
    if isinstance(value, (bytes, memoryview)):
        return "b" + bytes(value).hex()
    return "s" + str(value)


def row_digest(values) -> int:
    text = "\x1f".join(_canonical(v) for v in values)
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")


def _stream(conn, sql: str):
    """Rows of ``sql`` fetched ``CHUNK`` at a time: on PostgreSQL a server-side cursor (the
    default cursor would load the whole table into memory first; a copy or a backup reads every
    row of the largest table). SQLite's cursor already reads as it goes."""
    return conn.exec_driver_sql(
        sql, execution_options={"stream_results": True, "max_row_buffer": CHUNK}
    )


def table_summary(conn, table: str, columns: list[str]) -> tuple[int, str]:
    """(rows, checksum) of a table, read on ``conn`` (a SQLAlchemy connection)."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    result = _stream(conn, f'SELECT {quoted} FROM "{table}"')
    count, total = 0, 0
    while True:
        chunk = result.fetchmany(CHUNK)
        if not chunk:
            break
        count += len(chunk)
        for row in chunk:
            total = (total + row_digest(row)) % _MOD
    return count, f"{total:064x}"


def _create_missing(source: Database, src_conn, target: Database, dst_conn, table: str) -> None:
    """A table the target's migrations don't make (a store's own ``ensure``): made from the
    source's definition, in the target's words."""
    if source.dialect.name == "sqlite":
        rows = src_conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL"
            " ORDER BY type = 'index'",
            (table,),
        ).fetchall()
        for (sql,) in rows:
            for statement in target.dialect.ddl(sql):
                dst_conn.exec_driver_sql(statement)
        return
    from sqlalchemy import MetaData, Table

    reflected = Table(table, MetaData(), autoload_with=src_conn)
    reflected.to_metadata(MetaData()).create(dst_conn)


def copy_database(source: Database, target: Database) -> list[TableCopy]:
    """Copy every table of ``source`` into the empty ``target``; returns one report per table.
    Raises ``StorageError`` (and leaves the target as it was) when anything does not match."""
    with source.snapshot() as src_conn, target.transaction() as dst:
        dst_conn = dst.raw
        versions = [
            tuple(r[0] for r in c.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}"))
            for c in (src_conn, dst_conn)
        ]
        if versions[0] != versions[1]:
            raise StorageError(
                f"schema versions differ: {source.where} is at {versions[0]}, {target.where} at "
                f"{versions[1]}; run the same app version on both"
            )
        tables = [t for t in source.dialect.tables(src_conn) if t != VERSION_TABLE]
        present = set(target.dialect.tables(dst_conn))
        for table in tables:
            if table in present:
                held = dst_conn.exec_driver_sql(f'SELECT COUNT(*) FROM "{table}"').scalar()
                if held:
                    raise StorageError(
                        f"{target.where} already holds data ({table}: {held} rows): copy into "
                        "an empty database"
                    )
            else:
                _create_missing(source, src_conn, target, dst_conn, table)
        reports = []
        for table in tables:
            reports.append(_copy_table(source, src_conn, target, dst_conn, table))
        return reports


def _copy_table(source, src_conn, target, dst_conn, table: str) -> TableCopy:
    columns = source.dialect.columns(src_conn, table)
    missing = set(columns) - set(target.dialect.columns(dst_conn, table))
    if missing:
        raise StorageError(f"{target.where}: table {table} lacks columns {sorted(missing)}")
    quoted = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" * len(columns))
    insert = target.dialect.sql(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', dst_conn)
    result = _stream(src_conn, f'SELECT {quoted} FROM "{table}"')
    count, total = 0, 0
    while True:
        chunk = [tuple(r) for r in result.fetchmany(CHUNK)]
        if not chunk:
            break
        dst_conn.exec_driver_sql(insert, chunk)
        count += len(chunk)
        for row in chunk:
            total = (total + row_digest(row)) % _MOD
    target.dialect.reset_sequences(dst_conn, table)
    checksum = f"{total:064x}"
    copied = table_summary(dst_conn, table, columns)
    if copied != (count, checksum):
        raise StorageError(
            f"table {table}: the copy differs from the source ({copied[0]} rows, checksum "
            f"{copied[1][:12]}, against {count} rows, {checksum[:12]}); nothing was written"
        )
    log.info("copied %s: %d rows, checksum %s", table, count, checksum[:12])
    return TableCopy(table, count, checksum)
