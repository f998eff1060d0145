"""New SQLite MLflow stores as copies of one MLflow migrated.

Each app a test builds has a data folder of its own, so its MLflow store (``mlflow.db``) is new,
and MLflow brings a new SQLite store to its schema through all of its Alembic migrations: about
a core-second, and 2 to 4 s of a test's time on a busy machine, 49 times in a full run. The
schema they make is the same every time. So in a test process the first new store is migrated
by MLflow into a template, and every new SQLite store is then filled from it with SQLite's
backup API: the tables, indexes and Alembic revision MLflow itself left. Other databases (the
PostgreSQL behind the MLflow server tests) migrate as MLflow does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def installed(folder: Path) -> Iterator[None]:
    """MLflow's SQLite stores start from a template kept in ``folder`` while in the block."""
    import sqlalchemy
    from mlflow.store.db import utils
    from mlflow.store.model_registry import sqlalchemy_store as registry

    migrate = getattr(utils._initialize_tables, "migrate", utils._initialize_tables)  # MLflow's
    before = utils._initialize_tables
    folder.mkdir(parents=True, exist_ok=True)
    template = folder / "mlflow.db"

    def from_template(engine) -> None:
        if engine.dialect.name != "sqlite":
            return migrate(engine)
        if not template.exists():
            made = sqlalchemy.create_engine(f"sqlite:///{template}")
            try:
                migrate(made)
            finally:
                made.dispose()
        with sqlite3.connect(template) as source, engine.connect() as connection:
            source.backup(connection.connection.driver_connection)
        return None

    from_template.migrate = migrate
    # The tracking store calls it through the module, the registry store by its own name.
    utils._initialize_tables = registry._initialize_tables = from_template
    try:
        yield
    finally:
        utils._initialize_tables = registry._initialize_tables = before
