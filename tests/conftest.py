"""Shared fixtures: configs under a temporary data folder (factories live in tests/helpers)."""

from __future__ import annotations

import os

import pytest

from runtime.config import Config, config_from_dict
from tests.helpers import mlflow_template
from tests.helpers.postgres import PostgresServer

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture
def make_config(tmp_path):
    def factory(**overrides) -> Config:
        # First-start neural training runs only in the tests about it (it takes a core for minutes).
        data = {"data_dir": str(tmp_path / "data"), "neural": {"bootstrap": False}}
        data.update(overrides)
        return config_from_dict(data, base_dir=tmp_path)

    return factory


@pytest.fixture(scope="session", autouse=True)
def mlflow_stores_from_a_template(tmp_path_factory):
    """New SQLite MLflow stores are copies of one MLflow migrated (helpers/mlflow_template.py)."""
    with mlflow_template.installed(tmp_path_factory.mktemp("mlflow-template")):
        yield


@pytest.fixture(scope="session")
def postgres_server():
    """One private PostgreSQL server per test process (xdist worker), started on first use and
    stopped at the end of the session."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Each store test runs on both backends: a SQLite file, and a fresh schema on the session's
    PostgreSQL server (a database of its own as far as the app can tell)."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("postgres_server").create_schema()


def pytest_collection_modifyitems(items):
    """Modules of browser or slow tests first: ``-n 3 --dist loadfile`` hands out whole modules in
    collection order, and a long module started last would leave one core idle at the end. The
    sort is stable, so each module's tests keep their order."""

    def heavy(item) -> bool:
        return any(item.get_closest_marker(mark) for mark in ("browser", "slow"))

    heavy_modules = {item.module.__name__ for item in items if heavy(item)}
    items.sort(key=lambda item: item.module.__name__ not in heavy_modules)
