"""Chart drawings and alerts (issue 17): ``drawings`` (lines, rectangles and horizontal lines a
person drew on a symbol's charts, in times and prices), ``alerts`` (what to watch, with its
fire/re-arm state) and ``alert_fired`` (each time one fired, with its webhook's delivery).

Revision ID: 0007
Revises: 0006
"""

from alembic import op

from core.dialect import dialect_for

revision = "0007"
down_revision = "0006"

TABLES = {
    "drawings": """CREATE TABLE IF NOT EXISTS drawings (
        id TEXT PRIMARY KEY, symbol TEXT NOT NULL, kind TEXT NOT NULL,
        x0 INTEGER, x1 INTEGER, y0 REAL NOT NULL, y1 REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL
    )""",
    "alerts": """CREATE TABLE IF NOT EXISTS alerts (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, symbol TEXT, spec TEXT NOT NULL,
        webhook TEXT, created_by TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL,
        armed INTEGER NOT NULL DEFAULT 1, last_fired INTEGER, memo TEXT
    )""",
    "alert_fired": """CREATE TABLE IF NOT EXISTS alert_fired (
        id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, fired_at INTEGER NOT NULL,
        message TEXT NOT NULL, delivery TEXT
    )""",
}
INDEXES = (
    "CREATE INDEX IF NOT EXISTS drawings_symbol ON drawings (symbol)",
    "CREATE INDEX IF NOT EXISTS alert_fired_alert ON alert_fired (alert_id)",
)


def upgrade() -> None:
    bind = op.get_bind()
    dialect = dialect_for(bind.dialect.name)
    for statement in TABLES.values():
        for ddl in dialect.ddl(statement):
            bind.exec_driver_sql(ddl)
    for statement in INDEXES:
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for table in ("alert_fired", "alerts", "drawings"):
        bind.exec_driver_sql(f"DROP TABLE {table}")
