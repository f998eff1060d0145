"""Accuracy leaves in-sample predictions out: a prediction made inside its model's training
period, on a symbol it was trained on, is no evidence of skill. ``include_in_sample=true``
counts them, marked."""

import pytest
import torch
import yaml

from app import create_app
from core.candles import frame_to_candles
from runtime.accuracy_report import scored_predictions
from runtime.config import load_config
from runtime.neural_jobs import train_kind
from tests.helpers.neural_data import SMALL_SPEC, TINY_PARAMS, wave_candles

torch.set_num_threads(1)

SYMBOL = "BTC/USDT"
M = 60_000
N, TRAIN = 500, 300
URL = "/api/predictions/accuracy?symbol=BTC%2FUSDT&kind=cnn"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("in_sample")
    path = folder / "config.yaml"
    neural = {"window": 8, "horizon": 3, "features": SMALL_SPEC.to_dict(),
              "params": TINY_PARAMS, "bootstrap": False}  # fmt: skip
    path.write_text(yaml.safe_dump({"data_dir": str(folder / "data"), "symbols": [SYMBOL],
                                    "neural": neural}))  # fmt: skip
    app = create_app(config=load_config(str(path)))
    orch = app.server.extensions["orchestrator"]
    candles = wave_candles(N, seed=5)
    orch.store.merge_history(SYMBOL, "1m", frame_to_candles(candles))
    times = [int(t) for t in candles.index]
    result = train_kind(orch, "cnn", end=times[TRAIN - 1] + 1)
    period = result.trained_on

    def predict(t, source):
        price = float(candles.loc[t, "close"])
        orch.store_cnn_prediction(SYMBOL, {
            "timestamp": t, "confidence": 0.7, "direction": "UP", "current_price": price,
            "target_price": price * 1.001, "horizon_minutes": 3, "source": source,
            "model_version": "1",
        })  # fmt: skip

    inside = [t for t in times if period["start"] <= t <= period["end"]][10:16]
    after = [t for t in times if t > period["end"]][10:20]
    for t in inside:
        predict(t, "backtest")  # a backtest over the training period: in-sample
    for t in after[:6]:
        predict(t, "backtest")
    for t in after[6:]:
        predict(t, "live")
    orch.outcomes.run_pass()
    yield app.server.test_client(), orch, len(inside)
    orch.stop()


def test_the_api_leaves_in_sample_predictions_out_and_counts_them(trained):
    http, _, inside = trained
    body = http.get(URL).get_json()
    assert body["in_sample_excluded"] == inside == 6
    [group] = body["groups"]
    assert group["n"] == 10 and "in_sample" not in group
    both = http.get(URL + "&include_in_sample=true").get_json()
    [group] = both["groups"]
    assert group["n"] == 16 and group["in_sample"] == 6
    assert both["in_sample_excluded"] == 0 and both["in_sample_included"] == 6
    bad = http.get(URL + "&include_in_sample=maybe")
    assert bad.status_code == 400 and "include_in_sample" in bad.get_json()["error"]


def test_the_models_tab_counts_live_and_backtest_apart(trained):
    from dashboard.panels.models_tab import LONG, SHORT, group_cards
    from predictions.accuracy import accuracy

    _, orch, _ = trained
    scored = scored_predictions(orch, SYMBOL, ("cnn",), ("live", "backtest"), False)
    rows, excluded = scored.rows, scored.excluded
    assert excluded == 6
    groups = [accuracy(rows, window, by_source=True) for window in (SHORT, LONG)]
    titles = [str(card.children[0].children[0]) for card in group_cards(*groups)]
    assert titles == ["cnn v1 · BTC/USDT · 6 resolved · backtest",
                      "cnn v1 · BTC/USDT · 4 resolved · live"]  # fmt: skip
