"""Candle rollups: coarser candles of every stored series (issue 17's full history at every
zoom), so a chart zoomed out over a year reads a few thousand rows.

The table starts empty: the candle store fills it when it loads (``rollups.rebuild_missing``),
outside this upgrade's transaction, since rolling up a year of 1 m candles takes seconds.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from core.dialect import dialect_for

revision = "0003"
down_revision = "0002"

# Clustered by key, as ``candles`` is: a view's rows lie side by side on disk (SQLite).
TABLE = """CREATE TABLE IF NOT EXISTS candle_rollups (
    symbol TEXT NOT NULL, base TEXT NOT NULL, timeframe TEXT NOT NULL, time INTEGER NOT NULL,
    open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,
    volume REAL NOT NULL,
    PRIMARY KEY (symbol, base, timeframe, time)
) WITHOUT ROWID"""


def upgrade() -> None:
    bind = op.get_bind()
    for statement in dialect_for(bind.dialect.name).ddl(TABLE):
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    op.get_bind().exec_driver_sql("DROP TABLE candle_rollups")
