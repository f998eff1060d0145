"""Schema versions and who may open a database: today's databases are stamped and upgraded in
place, a newer schema is refused with the reason, a second app process on one SQLite file is
refused; the SQL that differs between SQLite and PostgreSQL is translated in one place."""

import subprocess
import sys
import textwrap

import pytest

from core.db import Database, IntegrityError, StorageError
from core.dialect import PostgresDialect, pg_ddl
from core.schema import SchemaError, head
from runtime.config import ConfigError, config_from_dict
from tests.helpers.waiting import wait_for

# What a database from before schema versions could hold: candles and an annotations table of
# the first form (no reviewed_by / reviewed_at), nothing else.
OLD = """
CREATE TABLE candles (
    symbol TEXT NOT NULL, timeframe TEXT NOT NULL, time INTEGER NOT NULL,
    open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,
    volume REAL NOT NULL, PRIMARY KEY (symbol, timeframe, time));
CREATE TABLE annotations (
    id TEXT PRIMARY KEY, symbol TEXT NOT NULL, timeframe TEXT NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, label TEXT NOT NULL, source TEXT NOT NULL,
    status TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', author TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, confidence REAL,
    UNIQUE (symbol, timeframe, start, "end", label, source));
"""
ALL_TABLES = {"alembic_version", "alert_fired", "alerts", "annotation_journal", "annotations",
              "audit", "backtest_runs", "drawings", "candle_rollups", "candles",
              "forming_candles", "pattern_labels",
              "prediction_outcomes", "predictions", "research_folds", "research_runs",
              "research_trials", "revoked_sessions", "shared_jobs"}  # fmt: skip


def test_a_database_from_before_versions_is_stamped_and_completed_keeping_its_rows(db_url):
    old = Database(db_url, migrate=False)
    old.ensure(OLD)
    with old.transaction() as conn:
        conn.execute("INSERT INTO candles VALUES (?,?,?,?,?,?,?,?)",
                     ("BTC/USDT", "1m", 1_700_000_000_000, 1, 2, 0.5, 1.5, 3))  # fmt: skip
        conn.execute(
            'INSERT INTO annotations (id, symbol, timeframe, start, "end", label, source,'
            " status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            ("a1", "BTC/USDT", "1m", 1, 2, "flag", "human", "accepted", 5, 5),
        )
    assert "alembic_version" not in old.tables()
    old.close()

    db = Database(db_url)
    try:
        assert set(db.tables()) == ALL_TABLES
        assert [tuple(r) for r in db.query("SELECT version_num FROM alembic_version")] == [
            (head(),)
        ]
        assert {"reviewed_by", "reviewed_at"} <= set(db.columns("annotations"))
        row = db.query("SELECT * FROM annotations")[0]
        assert (row["id"], row["label"], row["reviewed_by"]) == ("a1", "flag", "")
        assert db.query("SELECT close, time FROM candles")[0][:] == (1.5, 1_700_000_000_000)
        assert db.integrity() == "ok"
    finally:
        db.close()


def test_a_newer_schema_is_refused_with_the_reason(db_url):
    db = Database(db_url)
    with db.transaction() as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", ("9999_from_the_future",))
    db.close()
    with pytest.raises(SchemaError) as refused:
        Database(db_url)
    message = str(refused.value)
    assert "9999_from_the_future" in message and "newer than this app knows" in message
    assert "stop all, upgrade one, start all" in message


def test_data_version_moves_on_another_connections_commit_only(db_url):
    mine, other = Database(db_url), Database(db_url)
    try:
        before = mine.data_version()
        with mine.transaction() as conn:
            conn.execute("INSERT INTO audit (at, person, action, detail) VALUES (1,'a','b','c')")
        assert mine.data_version() == before
        with other.transaction() as conn:
            conn.execute("INSERT INTO audit (at, person, action, detail) VALUES (2,'a','b','c')")
        wait_for(lambda: mine.data_version() != before, timeout=10)
    finally:
        mine.close()
        other.close()


def test_a_duplicate_key_is_one_integrity_error_on_both(db_url):
    db = Database(db_url)
    try:
        with db.transaction() as conn:
            conn.execute("INSERT INTO revoked_sessions VALUES (?, ?)", ("s", 1))
        with pytest.raises(IntegrityError), db.transaction() as conn:
            conn.execute("INSERT INTO revoked_sessions VALUES (?, ?)", ("s", 2))
        with db.transaction() as conn:  # the failed transaction left nothing open
            conn.execute("INSERT OR REPLACE INTO revoked_sessions VALUES (?, ?)", ("s", 3))
            assert conn.execute("INSERT OR IGNORE INTO revoked_sessions VALUES (?, ?)",
                                ("s", 4)).rowcount == 0  # fmt: skip
        assert [tuple(r) for r in db.query("SELECT * FROM revoked_sessions")] == [("s", 3)]
        # A literal % with and without parameters (psycopg reads % in either case differently).
        assert db.query("SELECT COUNT(*) FROM revoked_sessions WHERE id LIKE 's%'")[0][0] == 1
        assert db.query("SELECT COUNT(*) FROM revoked_sessions WHERE id LIKE ? || '%'",
                        ("s",))[0][0] == 1  # fmt: skip
    finally:
        db.close()


HOLDER = textwrap.dedent("""
    import sys
    from core.db import Database
    db = Database(sys.argv[1])
    db.claim("the app")
    print("claimed", flush=True)
    sys.stdin.read()
""")


def test_a_second_app_process_on_one_sqlite_file_is_refused_until_the_first_dies(tmp_path):
    path = tmp_path / "data" / "tradedash.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "claimed"
        db = Database(path)
        with pytest.raises(StorageError) as refused:
            db.claim()
        message = str(refused.value)
        assert f"pid {holder.pid}" in message and "PostgreSQL" in message and str(path) in message
        db.query("SELECT COUNT(*) FROM candles")  # reading (the CLI while the app runs) still works
    finally:
        holder.kill()  # like kill -9: the lock goes with the process
        holder.wait()
    db.claim()
    db.close()


def test_storage_url_is_checked_and_a_relative_sqlite_path_is_read_from_the_config_folder(
    tmp_path,
):
    with pytest.raises(ConfigError, match=r"storage\.url: must be empty"):
        config_from_dict({"storage": {"url": "mysql://x"}}, base_dir=tmp_path)
    default = config_from_dict({"data_dir": "d"}, base_dir=tmp_path)
    assert default.storage_url == f"sqlite:///{(tmp_path / 'd' / 'tradedash.db').as_posix()}"
    relative = config_from_dict({"storage": {"url": "sqlite:///db/x.db"}}, base_dir=tmp_path)
    assert relative.storage_url == f"sqlite:///{(tmp_path / 'db' / 'x.db').as_posix()}"
    pg = "postgresql://app@db.example:5432/tradedash"
    assert config_from_dict({"storage": {"url": pg}}).storage_url == pg


def test_postgresql_gets_its_own_spelling_of_the_stores_sql():
    pg = PostgresDialect()
    assert pg.sql("SELECT * FROM t WHERE a=? AND b LIKE 'x?%' AND \"c?\"=?") == (
        "SELECT * FROM t WHERE a=%s AND b LIKE 'x?%%' AND \"c?\"=%s"
    )
    assert pg.sql("INSERT OR IGNORE INTO t VALUES (?, ?)") == (
        "INSERT INTO t VALUES (%s, %s) ON CONFLICT DO NOTHING"
    )
    assert pg_ddl("CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER, x REAL,"
                  " note TEXT DEFAULT 'INTEGER') WITHOUT ROWID") == (
        "CREATE TABLE t (seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at BIGINT,"
        " x DOUBLE PRECISION, note TEXT DEFAULT 'INTEGER')"
    )  # fmt: skip
