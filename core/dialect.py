"""Every difference between SQLite and PostgreSQL the app meets, in one place.

Stores write portable SQL with ``?`` placeholders and SQLite's spelling (``INSERT OR IGNORE``,
``INSERT OR REPLACE``, ``INTEGER``/``REAL`` columns, ``AUTOINCREMENT``); ``Dialect.sql`` and
``Dialect.ddl`` turn that into what the connected engine reads. The rest (how a write
transaction begins, how tables and columns are listed, advisory locks, change notifications)
are methods here too, so ``core/db.py`` has one code path for both.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Quoted text and identifiers pass through untouched; everything else may be rewritten.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%|[^'\"?%]+")
_INSERT_OR = re.compile(r"^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+(\w+)", re.IGNORECASE)
_INSERT_COLUMNS = re.compile(r"^\s*INSERT\s+INTO\s+\w+\s*\(([^)]*)\)", re.IGNORECASE)
NOTIFY_CHANNEL = "tradedash_changes"
# Advisory lock keys (app, purpose): every cross-process decision on PostgreSQL takes one.
SCHEMA_LOCK, LEADER_LOCK, CHAMPION_LOCK = (7116, 1), (7116, 2), (7116, 3)


class Dialect:
    """SQLite: the SQL is already in its spelling."""

    name = "sqlite"
    begin_write = "BEGIN IMMEDIATE"
    # A read-only transaction that sees one snapshot of the whole database (copies, backups).
    begin_snapshot = "BEGIN DEFERRED"

    def sql(self, sql: str, conn=None) -> str:
        return sql

    def ddl(self, schema: str) -> list[str]:
        return [s.strip() for s in split_statements(schema) if s.strip()]

    def tables(self, conn) -> list[str]:
        rows = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        return sorted(r[0] for r in rows)

    def columns(self, conn, table: str) -> list[str]:
        return [r[1] for r in conn.exec_driver_sql(f'PRAGMA table_info("{table}")').fetchall()]

    def primary_key(self, conn, table: str) -> list[str]:
        rows = conn.exec_driver_sql(f'PRAGMA table_info("{table}")').fetchall()
        return [r[1] for r in sorted((r for r in rows if r[5]), key=lambda r: r[5])]

    def prepare_writer(self, conn) -> None:
        # WAL: readers never wait for the writer. NORMAL sync is durable across app crashes.
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")

    def prepare_reader(self, conn) -> None:
        conn.exec_driver_sql("PRAGMA query_only=ON")

    def prepare_lock(self, conn) -> None:
        """Settings of a connection that holds a lock for as long as the process lives."""

    def lock_schema(self, conn) -> None:
        """Serialise schema upgrades across processes (SQLite's write lock already does)."""

    def json_field(self, column: str, key: str) -> str:
        """A top-level field of a JSON text column (stores keep JSON in TEXT columns)."""
        return f"json_extract({column}, '$.{key}')"

    def json_values(self, column: str, keys: tuple[str, ...]) -> str:
        """Several fields of a JSON text column as one array, the JSON parsed once per row;
        ``json_item`` reads one back."""
        paths = ", ".join(f"'$.{k}'" for k in keys)
        return f"json_extract({column}, {paths})"

    def json_item(self, alias: str, index: int) -> str:
        return f"{alias} ->> '$[{index}]'"

    def integrity(self, conn) -> str:
        """``ok``, or what the engine's own check found wrong."""
        rows = conn.exec_driver_sql("PRAGMA integrity_check").fetchall()
        return "; ".join(str(r[0]) for r in rows)

    def announce(self, conn, sender: str) -> None:
        """Tell other processes this transaction changed data (SQLite's data_version does)."""

    def reset_sequences(self, conn, table: str) -> None:
        """After rows were copied in with their ids, new ids continue after them (SQLite's
        AUTOINCREMENT already does)."""


class PostgresDialect(Dialect):
    name = "postgresql"
    begin_write = "BEGIN"
    begin_snapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    def __init__(self):
        self._rewritten: dict[str, str] = {}

    def sql(self, sql: str, conn=None) -> str:
        done = self._rewritten.get(sql)
        if done is not None:
            return done
        match = _INSERT_OR.match(sql)
        if not match:
            return _placeholders(sql)
        verb, table = match.group(1).upper(), match.group(2)
        plain = f"INSERT INTO {table}{sql[match.end() :]}"
        if verb == "IGNORE":
            tail = " ON CONFLICT DO NOTHING"
        else:
            tail = self._upsert_tail(conn, table, plain)
        done = self._rewritten[sql] = _placeholders(plain) + tail
        return done

    def _upsert_tail(self, conn, table: str, sql: str) -> str:
        keys = self.primary_key(conn, table)
        listed = _INSERT_COLUMNS.match(sql)
        columns = (
            [c.strip().strip('"') for c in listed.group(1).split(",")]
            if listed
            else self.columns(conn, table)
        )
        others = [c for c in columns if c not in keys]
        quoted = ", ".join(f'"{k}"' for k in keys)
        if not others:
            return f" ON CONFLICT ({quoted}) DO NOTHING"
        sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in others)
        return f" ON CONFLICT ({quoted}) DO UPDATE SET {sets}"

    def ddl(self, schema: str) -> list[str]:
        return [pg_ddl(s) for s in super().ddl(schema)]

    def tables(self, conn) -> list[str]:
        rows = conn.exec_driver_sql(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        ).fetchall()
        return sorted(r[0] for r in rows)

    def columns(self, conn, table: str) -> list[str]:
        rows = conn.exec_driver_sql(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
            (table,),
        ).fetchall()
        return [r[0] for r in rows]

    def primary_key(self, conn, table: str) -> list[str]:
        rows = conn.exec_driver_sql(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
            " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = to_regclass(%s) AND i.indisprimary"
            " ORDER BY array_position(i.indkey, a.attnum)",
            (f'"{table}"',),
        ).fetchall()
        return [r[0] for r in rows]

    def prepare_writer(self, conn) -> None:
        pass

    def prepare_reader(self, conn) -> None:
        pass

    def lock_schema(self, conn) -> None:
        # Two processes starting at once: the second waits, then finds the schema current.
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s, %s)", SCHEMA_LOCK)

    def announce(self, conn, sender: str) -> None:
        conn.exec_driver_sql(f"NOTIFY {NOTIFY_CHANNEL}, '{sender}'")

    def prepare_lock(self, conn) -> None:
        # libpq's keepalives only watch the server from our side; these make the server notice
        # a dead client host within about 30 s and end its session, releasing its advisory
        # locks (else the kernel's defaults keep it for about 2 h). All are user-settable.
        for setting in ("tcp_keepalives_idle = 10", "tcp_keepalives_interval = 5",
                        "tcp_keepalives_count = 4", "tcp_user_timeout = 30000"):  # fmt: skip
            conn.exec_driver_sql(f"SET {setting}")

    # Advisory locks: held by a session (a connection), released when it ends or dies.
    def try_advisory_lock(self, conn, key: tuple[int, int]) -> bool:
        return bool(conn.exec_driver_sql("SELECT pg_try_advisory_lock(%s, %s)", key).scalar())

    def advisory_lock(self, conn, key: tuple[int, int], timeout_s: float) -> None:
        """Wait for the lock at most ``timeout_s`` (then a ``TimeoutError``)."""
        conn.exec_driver_sql(f"SET lock_timeout = '{int(timeout_s * 1000)}ms'")
        try:
            conn.exec_driver_sql("SELECT pg_advisory_lock(%s, %s)", key)
        except Exception as exc:
            if "lock timeout" in str(getattr(exc, "orig", exc)):
                raise TimeoutError(
                    f"advisory lock {key} still held after {timeout_s:g} s"
                ) from None
            raise

    def advisory_unlock(self, conn, key: tuple[int, int]) -> None:
        conn.exec_driver_sql("SELECT pg_advisory_unlock(%s, %s)", key)

    def session_id(self, conn) -> int:
        return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()

    def holds_advisory_lock(self, conn, key: tuple[int, int], session: int) -> bool:
        """Whether session ``session`` (another connection's) holds the lock, read on ``conn``."""
        return bool(conn.exec_driver_sql(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s"
            " AND objid = %s AND objsubid = 2 AND pid = %s AND granted",
            (*key, session),
        ).scalar())  # fmt: skip

    def json_field(self, column: str, key: str) -> str:
        return f"(({column})::jsonb ->> '{key}')"

    def json_values(self, column: str, keys: tuple[str, ...]) -> str:
        items = ", ".join(f"(({column})::jsonb -> '{k}')" for k in keys)
        return f"jsonb_build_array({items})"

    def json_item(self, alias: str, index: int) -> str:
        return f"({alias} ->> {index})"

    def integrity(self, conn) -> str:
        """Every B-tree index of our tables checked against its table with amcheck (ships with
        PostgreSQL; creating the extension needs a superuser, otherwise say it was not run)."""
        try:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS amcheck")
        except Exception as exc:
            return f"not checked: amcheck unavailable ({str(getattr(exc, 'orig', exc)).strip()})"
        # Its functions live in the schema it was first created in (maybe not ours).
        home = conn.exec_driver_sql(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
            " WHERE e.extname = 'amcheck'"
        ).scalar()
        indexes = conn.exec_driver_sql(
            "SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE a.amname = 'btree' AND n.nspname = current_schema()"
        ).fetchall()
        problems = []
        for oid, name in indexes:
            try:
                conn.exec_driver_sql(
                    f'SELECT "{home}".bt_index_parent_check(%s::regclass, true)', (oid,)
                )
            except Exception as exc:
                problems.append(f"{name}: {str(getattr(exc, 'orig', exc)).strip()}")
        return "; ".join(problems) or "ok"

    def reset_sequences(self, conn, table: str) -> None:
        rows = conn.exec_driver_sql(
            "SELECT column_name, pg_get_serial_sequence(quote_ident(%s), column_name)"
            " FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = %s",
            (table, table),
        ).fetchall()
        for column, sequence in rows:
            if sequence:
                conn.exec_driver_sql(
                    f'SELECT setval(%s, COALESCE((SELECT MAX("{column}") FROM "{table}"), 0)'
                    " + 1, false)",
                    (sequence,),
                )


def split_statements(schema: str) -> list[str]:
    """A script's statements (``;`` outside quotes ends one)."""
    statements, current = [], []
    for token in _TOKENS.findall(schema):
        if token[0] in "'\"":
            current.append(token)
            continue
        parts = token.split(";")
        current.append(parts[0])
        for part in parts[1:]:
            statements.append("".join(current))
            current = [part]
    statements.append("".join(current))
    return statements


@lru_cache(maxsize=4096)
def _placeholders(sql: str) -> str:
    """``?`` to psycopg's ``%s`` (not inside quotes); every ``%`` doubled, quoted ones too,
    since psycopg reads them anywhere."""
    out = []
    for token in _TOKENS.findall(sql):
        if token[0] in "'\"":
            out.append(token.replace("%", "%%"))
        elif token == "?":
            out.append("%s")
        elif token == "%":
            out.append("%%")
        else:
            out.append(token)
    return "".join(out)


_AUTOINCREMENT = re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b", re.IGNORECASE)
_TYPES = ((re.compile(r"\bINTEGER\b", re.IGNORECASE), "BIGINT"),
          (re.compile(r"\bREAL\b", re.IGNORECASE), "DOUBLE PRECISION"),
          (re.compile(r"\)\s*WITHOUT\s+ROWID\s*$", re.IGNORECASE), ")"))  # fmt: skip


def pg_ddl(statement: str) -> str:
    """SQLite DDL in PostgreSQL's words: 64-bit integers (epoch ms overflow INTEGER there),
    double precision floats (REAL is 32-bit there), identity keys for AUTOINCREMENT."""
    parts = []
    for token in _TOKENS.findall(statement):
        if token[0] in "'\"":
            parts.append(token)
            continue
        token = _AUTOINCREMENT.sub("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", token)
        for pattern, replacement in _TYPES:
            token = pattern.sub(replacement, token)
        parts.append(token)
    return "".join(parts).strip()


def dialect_for(name: str) -> Dialect:
    return PostgresDialect() if name.startswith("postgresql") else Dialect()
