"""Strategy research (issue 15): parameter searches and walk-forwards with their trials and
folds, and a backtest's portfolio (multi-symbol runs).

Databases the research branch opened before this revision may already hold these tables (its
store made them) or the ``portfolio`` column: both are kept as they are, rows included.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from core.dialect import dialect_for

revision = "0004"
down_revision = "0003"

TABLES = {
    "research_runs": """CREATE TABLE IF NOT EXISTS research_runs (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, created_at INTEGER NOT NULL,
        finished_at INTEGER, symbol TEXT NOT NULL, timeframe TEXT NOT NULL,
        strategy TEXT NOT NULL, status TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0,
        error TEXT, request TEXT NOT NULL, result TEXT, mlflow_run_id TEXT,
        started_by TEXT NOT NULL DEFAULT ''
    )""",
    "research_trials": """CREATE TABLE IF NOT EXISTS research_trials (
        run_id TEXT NOT NULL, part INTEGER NOT NULL, idx INTEGER NOT NULL,
        params TEXT NOT NULL, value REAL, trades INTEGER NOT NULL, stats TEXT, error TEXT,
        finished_at INTEGER NOT NULL,
        PRIMARY KEY (run_id, part, idx)
    )""",
    "research_folds": """CREATE TABLE IF NOT EXISTS research_folds (
        run_id TEXT NOT NULL, fold INTEGER NOT NULL, result TEXT NOT NULL,
        finished_at INTEGER NOT NULL,
        PRIMARY KEY (run_id, fold)
    )""",
}
INDEXES = ("CREATE INDEX IF NOT EXISTS research_runs_created ON research_runs (created_at)",)
ADDED_COLUMNS = {"backtest_runs": (("portfolio", "TEXT"),)}


def upgrade() -> None:
    bind = op.get_bind()
    dialect = dialect_for(bind.dialect.name)
    for statement in TABLES.values():
        for ddl in dialect.ddl(statement):
            bind.exec_driver_sql(ddl)
    for statement in INDEXES:
        bind.exec_driver_sql(statement)
    for table, added in ADDED_COLUMNS.items():
        have = set(dialect.columns(bind, table))
        for name, kind in added:
            if name not in have:
                bind.exec_driver_sql(
                    dialect.ddl(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")[0]
                )


def downgrade() -> None:
    bind = op.get_bind()
    for table in ("research_folds", "research_trials", "research_runs"):
        bind.exec_driver_sql(f"DROP TABLE {table}")
    bind.exec_driver_sql("ALTER TABLE backtest_runs DROP COLUMN portfolio")
