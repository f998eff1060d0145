"""The tests' MLflow stores start from a template (tests/helpers/mlflow_template.py): a store
made that way is the store MLflow's own migrations make, and one holds what is written to it."""

from __future__ import annotations

import sqlite3

import sqlalchemy
from mlflow.store.db import utils

from tests.helpers import mlflow_template
from training.tracking import Tracker


def schema(path) -> list[tuple]:
    """Tables, indexes and the Alembic revision; each statement's lines sorted (MLflow's
    migrations write a table's constraints in no fixed order)."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")
        made = [
            (*row[:3], sorted(line.strip(" ,\t") for line in (row[3] or "").splitlines()))
            for row in rows
        ]
        return [*made, *db.execute("SELECT version_num FROM alembic_version")]


def test_a_store_from_the_template_is_the_store_mlflow_migrates(tmp_path):
    before = utils._initialize_tables  # the session's (tests/conftest.py)
    with mlflow_template.installed(tmp_path / "template"):
        assert (tmp_path / "template").is_dir() and not (tmp_path / "template/mlflow.db").exists()
        copied = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'copied.db'}")
        utils._initialize_tables(copied)  # migrates the template, then copies it
        copied.dispose()
        assert (tmp_path / "template/mlflow.db").exists()
        mlflow_own = utils._initialize_tables.migrate
    assert utils._initialize_tables is before  # put back after the block
    assert mlflow_own.__module__ == "mlflow.store.db.utils"
    migrated = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    mlflow_own(migrated)
    migrated.dispose()
    assert schema(tmp_path / "copied.db") == schema(tmp_path / "migrated.db")
    assert len(schema(tmp_path / "copied.db")) > 30  # MLflow's tables and indexes, not nothing


def test_each_store_from_the_template_keeps_its_own_runs(tmp_path):
    # (The session's template is installed: tests/conftest.py.)
    first, second = Tracker(tmp_path / "a"), Tracker(tmp_path / "b")
    with first.start_run("one") as run_id:
        first.log_metrics({"loss": 0.5})
    assert first.client.get_run(run_id).data.metrics == {"loss": 0.5}
    assert second.client.search_runs([second.experiment_id()]) == []
    assert [r["run_id"] for r in first.list_runs()] == [run_id]
