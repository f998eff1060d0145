"""Baseline: every table of the app before schema versions existed.

Databases from before have no version table, and some hold only some of these tables (a store
creates its own on first use) or an older form of one (without ``reviewed_by`` ...). This
revision creates what is missing and adds the missing columns, keeping every row, so any of
them ends up at the same baseline and is stamped with it.

Revision ID: 0001
Revises:
"""

from alembic import op

from core.dialect import dialect_for

revision = "0001"
down_revision = None

TABLES = {
    "candles": """CREATE TABLE IF NOT EXISTS candles (
        symbol TEXT NOT NULL, timeframe TEXT NOT NULL, time INTEGER NOT NULL,
        open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,
        volume REAL NOT NULL,
        PRIMARY KEY (symbol, timeframe, time)
    ) WITHOUT ROWID""",
    "predictions": """CREATE TABLE IF NOT EXISTS predictions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, symbol TEXT NOT NULL,
        timestamp INTEGER NOT NULL, cleared INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL
    )""",
    "prediction_outcomes": """CREATE TABLE IF NOT EXISTS prediction_outcomes (
        id TEXT PRIMARY KEY, resolved_at INTEGER NOT NULL, realised_price REAL, hit INTEGER,
        error_pct REAL, naive_error_pct REAL, detail TEXT NOT NULL DEFAULT '{}'
    )""",
    "annotations": """CREATE TABLE IF NOT EXISTS annotations (
        id TEXT PRIMARY KEY,
        symbol TEXT NOT NULL, timeframe TEXT NOT NULL,
        start INTEGER NOT NULL, "end" INTEGER NOT NULL,
        label TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '', author TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, confidence REAL,
        reviewed_by TEXT NOT NULL DEFAULT '', reviewed_at INTEGER,
        UNIQUE (symbol, timeframe, start, "end", label, source)
    )""",
    "annotation_journal": """CREATE TABLE IF NOT EXISTS annotation_journal (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        action TEXT NOT NULL, span_id TEXT NOT NULL,
        before TEXT, after TEXT, at INTEGER NOT NULL, undone INTEGER NOT NULL DEFAULT 0
    )""",
    "pattern_labels": """CREATE TABLE IF NOT EXISTS pattern_labels (
        symbol TEXT NOT NULL, timeframe TEXT NOT NULL, time INTEGER NOT NULL,
        label TEXT NOT NULL, confidence REAL NOT NULL, model_version TEXT,
        PRIMARY KEY (symbol, timeframe, time)
    ) WITHOUT ROWID""",
    "revoked_sessions": """CREATE TABLE IF NOT EXISTS revoked_sessions (
        id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL
    )""",
    "audit": """CREATE TABLE IF NOT EXISTS audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL, person TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL
    )""",
    "backtest_runs": """CREATE TABLE IF NOT EXISTS backtest_runs (
        id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, finished_at INTEGER,
        symbol TEXT NOT NULL, timeframe TEXT NOT NULL, strategy TEXT NOT NULL,
        status TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0, error TEXT,
        request TEXT NOT NULL, model TEXT, in_sample TEXT, stats TEXT, trades TEXT,
        equity TEXT, predictions TEXT, mlflow_run_id TEXT,
        started_by TEXT NOT NULL DEFAULT ''
    )""",
}
INDEXES = (
    "CREATE INDEX IF NOT EXISTS predictions_symbol ON predictions (symbol, kind, cleared, seq)",
    "CREATE INDEX IF NOT EXISTS annotations_series ON annotations (symbol, timeframe, start)",
    "CREATE INDEX IF NOT EXISTS audit_at ON audit (at)",
    "CREATE INDEX IF NOT EXISTS backtest_runs_created ON backtest_runs (created_at)",
)
# Columns added to a table after it first shipped: older databases have the table without them.
ADDED_COLUMNS = {
    "annotations": (("reviewed_by", "TEXT NOT NULL DEFAULT ''"), ("reviewed_at", "INTEGER")),
    "backtest_runs": (("started_by", "TEXT NOT NULL DEFAULT ''"),),
}


def upgrade() -> None:
    bind = op.get_bind()
    dialect = dialect_for(bind.dialect.name)
    for statement in TABLES.values():
        for ddl in dialect.ddl(statement):
            bind.exec_driver_sql(ddl)
    for table, added in ADDED_COLUMNS.items():
        have = set(dialect.columns(bind, table))
        for name, kind in added:
            if name not in have:
                bind.exec_driver_sql(
                    dialect.ddl(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")[0]
                )
    for statement in INDEXES:
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    raise NotImplementedError("the baseline is the oldest schema there is")
