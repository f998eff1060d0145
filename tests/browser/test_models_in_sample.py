"""The Models tab keeps live and backtest accuracy apart and leaves in-sample predictions out
(a backtest over the model's own training period); the switch counts them, marked."""

from __future__ import annotations

import pytest

from runtime.neural_jobs import train_kind
from tests.helpers.browser import FAST_FEED, serve_app
from tests.helpers.neural_data import SMALL_SPEC, TINY_PARAMS
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

NEURAL = {"window": 8, "horizon": 3, "features": SMALL_SPEC.to_dict(), "params": TINY_PARAMS,
          "bootstrap": False, "live": False}  # fmt: skip


@pytest.fixture
def served(tmp_path):
    feed = dict(FAST_FEED, backfill_1m_hours=4)
    yield from serve_app(tmp_path, {"feed": feed, "neural": NEURAL})


def test_models_tab_separates_sources_and_leaves_in_sample_out(page, served):
    orch = served.orch
    candles = orch.store.tail("BTC/USDT", "1m", 240)
    cut = candles[150].time
    result = train_kind(orch, "cnn", end=cut)
    period = result.trained_on

    def predict(candle, source):
        orch.store_cnn_prediction("BTC/USDT", {
            "timestamp": candle.time, "confidence": 0.7, "direction": "UP",
            "current_price": candle.close, "target_price": candle.close * 1.001,
            "horizon_minutes": 3, "source": source, "model_version": "1",
        })  # fmt: skip

    inside = [c for c in candles if period["start"] <= c.time <= period["end"]][20:27]
    after = [c for c in candles if c.time > period["end"]][5:15]
    for c in inside:
        predict(c, "backtest")
    for c in after[:4]:
        predict(c, "backtest")
    for c in after[4:]:
        predict(c, "live")
    orch.outcomes.run_pass()
    page.get_by_role("tab", name="Models").click()
    cards = page.locator(".models-card .card-header")
    wait_for(lambda: cards.count() == 2)
    titles = cards.all_inner_texts()
    assert any("cnn v1 · BTC/USDT · 4 resolved · backtest" in t for t in titles), titles
    assert any("cnn v1 · BTC/USDT · 6 resolved · live" in t for t in titles), titles
    assert "7 in-sample predictions left out" in page.locator(".models-in-sample").inner_text()
    page.locator("#models-in-sample").get_by_text("include in-sample").click()
    wait_for(lambda: any("11 resolved · backtest (7 in-sample)" in t
                         for t in cards.all_inner_texts()))  # fmt: skip
