"""A search's or walk-forward's summary in its own column, so the runs list reads a few hundred
bytes per run instead of decoding every run's whole result (trials, equity, folds).

Runs stored before this revision have no summary; the store fills it from their result when it
opens (``ResearchStore.backfill_summaries``).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from core.dialect import dialect_for

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    bind = op.get_bind()
    dialect = dialect_for(bind.dialect.name)
    if "summary" not in set(dialect.columns(bind, "research_runs")):
        bind.exec_driver_sql(dialect.ddl("ALTER TABLE research_runs ADD COLUMN summary TEXT")[0])


def downgrade() -> None:
    op.get_bind().exec_driver_sql("ALTER TABLE research_runs DROP COLUMN summary")
