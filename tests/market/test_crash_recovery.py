"""R2 in the test suite: five kill -9 rounds (bench/crash.py runs twenty)."""

import pytest

from bench.crash import run

pytestmark = pytest.mark.slow  # seconds each: `pytest -m 'not slow and not browser'` skips them


def test_every_acknowledged_write_survives_kill_9(tmp_path):
    result = run(rounds=5, seed=3, data_dir=tmp_path)
    assert result["integrity_ok"] == 5
    assert result["lost"] == []
    assert all(result["acknowledged"][k] > 0 for k in "CPA"), result
