"""Stop the app, start it again: candles and predictions are back, the feed continues from them."""

import time

import pytest

from app import create_app
from runtime.config import config_from_dict
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.slow  # seconds each: `pytest -m 'not slow and not browser'` skips them

FAST = {"feed": {"backfill_1m_hours": 2, "backfill_1s_minutes": 3, "poll_interval_s": 0.05,
                 "sim": {"tick_interval_ms": 50}}}  # fmt: skip


def running_app(tmp_path, storage_url=""):
    settings = {"data_dir": str(tmp_path / "data"), "storage": {"url": storage_url}, **FAST}
    app = create_app(config=config_from_dict(settings, base_dir=tmp_path))
    orch = app.server.extensions["orchestrator"]
    orch.start()
    return orch


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_restart_brings_back_candles_and_predictions_and_continues_without_jump(
    tmp_path, request, backend
):
    url = request.getfixturevalue("postgres_server").create_schema() if backend != "sqlite" else ""
    orch = running_app(tmp_path, url)
    began = time.time() * 1000
    # A few live seconds closed after the start, beside the backfilled history.
    wait_for(
        lambda: sum(c.closed and c.time > began for c in orch.store.candles("BTC/USDT", "1s")) >= 2
    )
    last = orch.store.latest("BTC/USDT", "1s")
    orch.store_transformer_prediction("BTC/USDT", {
        "timestamp": last.time, "confidence": 0.7, "direction": "UP",
        "current_price": last.close, "predicted_price": last.close * 1.01, "horizon_minutes": 5,
    })  # fmt: skip
    orch.stop()
    closed_before = [c for c in orch.store.candles("BTC/USDT", "1s") if c.closed]
    minutes_before = [c.time for c in orch.store.candles("BTC/USDT", "1m") if c.closed]

    time.sleep(1.5)  # the app is down for a moment: the feed must fill that gap
    again = running_app(tmp_path, url)
    try:
        assert [p["predicted_price"] for p in again.recent_transformer_predictions["BTC/USDT"]] == [
            last.close * 1.01
        ]
        # The gap is filled and the feed goes on live past it.
        wait_for(lambda: again.store.latest("BTC/USDT", "1s").time > closed_before[-1].time + 3000)
        seconds = again.store.candles("BTC/USDT", "1s")
        times = [c.time for c in seconds]
        assert times == sorted(set(times)), "overlapping or out-of-order candles"
        assert all(b - a == 1000 for a, b in zip(times, times[1:], strict=False)), "a gap"
        # Every candle stored before the stop is still there, unchanged.
        by_time = {c.time: c for c in seconds}
        kept = [c for c in closed_before if c.time in by_time]
        assert kept and all(by_time[c.time].close == c.close for c in kept)
        # No price jump across the restart: each candle opens at the previous close.
        assert all(b.open == a.close for a, b in zip(seconds, seconds[1:], strict=False))
        assert times[-1] > closed_before[-1].time + 2000
        minutes = [c.time for c in again.store.candles("BTC/USDT", "1m")]
        assert set(minutes_before) <= set(minutes) and minutes == sorted(set(minutes))
    finally:
        again.stop()
