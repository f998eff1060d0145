"""Stored predictions found by time (issue 17): the minute chart over a loaded range reads the
newest predictions of that range, by symbol and timestamp, on every overlay redraw.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"

INDEX = "CREATE INDEX IF NOT EXISTS predictions_time ON predictions (symbol, cleared, timestamp)"


def upgrade() -> None:
    op.get_bind().exec_driver_sql(INDEX)


def downgrade() -> None:
    op.get_bind().exec_driver_sql("DROP INDEX predictions_time")
