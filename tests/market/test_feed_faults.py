"""R3 in the test suite: 30 % of exchange calls fail for a few seconds (bench/feed_faults.py
runs two minutes); nothing is missing, duplicated or unlike the exchange's candles."""

import pytest

from bench.feed_faults import clean, run

pytestmark = pytest.mark.slow  # seconds each: `pytest -m 'not slow and not browser'` skips them


def test_thirty_percent_failing_calls_lose_and_duplicate_nothing(tmp_path):
    result = run(seconds=8.0, rate=0.3, seed=5, folder=tmp_path)
    assert result["fault_share"] > 0.15, result["calls"]
    assert clean(result), result["symbols"]
    assert all(r["seconds"] >= 60 for r in result["symbols"].values())
