"""Shared fixtures: configs under a temporary data folder (factories live in tests/helpers)."""

from __future__ import annotations

import os

import pytest

from runtime.config import Config, config_from_dict

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture
def make_config(tmp_path):
    def factory(**overrides) -> Config:
        # First-start neural training runs only in the tests about it (it takes a core for minutes).
        data = {"data_dir": str(tmp_path / "data"), "neural": {"bootstrap": False}}
        data.update(overrides)
        return config_from_dict(data, base_dir=tmp_path)

    return factory
