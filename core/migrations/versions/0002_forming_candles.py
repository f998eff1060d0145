"""The forming candles the leader publishes for the other app processes' charts.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from core.dialect import dialect_for

revision = "0002"
down_revision = "0001"

TABLE = """CREATE TABLE IF NOT EXISTS forming_candles (
    symbol TEXT NOT NULL, timeframe TEXT NOT NULL, time INTEGER NOT NULL,
    open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,
    volume REAL NOT NULL,
    PRIMARY KEY (symbol, timeframe)
)"""


def upgrade() -> None:
    bind = op.get_bind()
    for statement in dialect_for(bind.dialect.name).ddl(TABLE):
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    op.get_bind().exec_driver_sql("DROP TABLE forming_candles")
