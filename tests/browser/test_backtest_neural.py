"""An operator backtests the CNN champion from the Backtest tab: picks it, sees its params, runs it,
reads the statistics and the warning that the period overlaps the model's training data."""

from __future__ import annotations

import pytest
import torch

from predictions.queries import stored
from runtime.neural_jobs import train_kind
from tests.helpers.browser import FAST_FEED, plot, run_backtest, serve_app
from tests.helpers.neural_data import SMALL_SPEC, TINY_PARAMS
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser
torch.set_num_threads(1)

NEURAL = {
    "window": 8,
    "horizon": 3,
    "features": SMALL_SPEC.to_dict(),
    "params": TINY_PARAMS,
    "bootstrap": False,
}


@pytest.fixture
def served(tmp_path):
    yield from serve_app(tmp_path, {"feed": dict(FAST_FEED), "neural": NEURAL})


def test_backtest_the_cnn_champion_and_read_the_in_sample_warning(page, served):
    page.get_by_role("tab", name="Backtest").click()
    symbol = served.orch.config.symbols[0]
    strategy = page.locator("#bt-strategy")
    # before any CNN is trained: refused, saying how to train one
    strategy.select_option("cnn")
    wait_for(
        lambda: page.locator("#bt-params").input_value() == "version=champion, min_confidence=0.5"
    )
    page.get_by_role("button", name="Run backtest").click()
    message = page.locator("#bt-message")
    wait_for(lambda: "python app.py train --model cnn" in message.inner_text())
    assert "no cnn model registered yet" in message.inner_text()

    result = train_kind(served.orch, "cnn", symbols=[symbol])  # the last 3 h of the symbol
    run_id = run_backtest(page, "version=champion, min_confidence=0")
    status = page.locator("#bt-status")
    wait_for(lambda: f"Run {run_id}: done" in status.inner_text(), timeout=60)
    stats = page.locator("#bt-stats").inner_text()
    for name in ("Return [%]", "Buy & Hold Return [%]", "# Trades", "Win Rate [%]"):
        assert name in stats
    run = served.orch.backtests.get(run_id)
    assert run["model"]["run_id"] == result.run_id and run["stats"]["# Trades"] >= 1
    assert plot(page, "bt-equity", "gd.data[0].y.length") == len(run["equity"])

    # the default period (the last 24 h) holds the model's training data: flagged in-sample
    warning = page.locator("#bt-in-sample")
    wait_for(lambda: warning.is_visible())
    text = warning.inner_text()
    assert text.startswith("In-sample: model neural-cnn v1 was trained on data from")
    assert "not evidence of skill" in text
    # the model's calls, stored with source backtest and the run's id, are drawn on the run's chart
    calls = [p for p in stored(served.orch.db, symbol, ("cnn",)) if p["source"] == "backtest"]
    assert calls and {p["backtest_id"] for p in calls} == {run_id}
    assert len(run["predictions"]) == len(calls)
    drawn = "gd.data.filter(t => t.name === 'predictions').reduce((n, t) => n + t.x.length, 0)"
    assert plot(page, "bt-chart", drawn) == len(calls)
