"""Jobs shared by the app processes on one database (several processes on PostgreSQL): a job
started on a follower waits here for the leader, and every job the leader runs is mirrored here
with its progress, so each process's page shows them and can cancel them.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

from core.dialect import dialect_for

revision = "0006"
down_revision = "0005"

TABLE = """CREATE TABLE IF NOT EXISTS shared_jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, action TEXT NOT NULL,
    args TEXT NOT NULL, started_by TEXT NOT NULL DEFAULT '', status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0, stage TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '', result TEXT, details TEXT,
    committed INTEGER NOT NULL DEFAULT 0, cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL, finished_at INTEGER
)"""
INDEX = "CREATE INDEX IF NOT EXISTS shared_jobs_status ON shared_jobs (status)"


def upgrade() -> None:
    bind = op.get_bind()
    for statement in dialect_for(bind.dialect.name).ddl(TABLE):
        bind.exec_driver_sql(statement)
    bind.exec_driver_sql(INDEX)


def downgrade() -> None:
    op.get_bind().exec_driver_sql("DROP TABLE shared_jobs")
