"""R2 in the test suite: kill -9 rounds on SQLite (five) and PostgreSQL (two; bench/crash.py
runs twenty)."""

import pytest

from bench.crash import run

pytestmark = pytest.mark.slow  # seconds each: `pytest -m 'not slow and not browser'` skips them


@pytest.mark.parametrize("backend, rounds", [("sqlite", 5), ("postgresql", 2)])
def test_every_acknowledged_write_survives_kill_9(tmp_path, request, backend, rounds):
    url = request.getfixturevalue("postgres_server").create_schema() if backend != "sqlite" else ""
    result = run(rounds=rounds, seed=3, data_dir=tmp_path, storage_url=url)
    assert result["integrity_ok"] == rounds
    assert result["lost"] == []
    assert all(result["acknowledged"][k] > 0 for k in "CPA"), result
