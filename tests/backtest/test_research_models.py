"""Searches and walk-forwards of model strategies, and the walk-forward's promise: fold k's chosen
parameters (and trained model) depend on its in-sample window only.

- A search over a neural strategy uses the chosen model version read-only, its calls computed
  once: each trial scores what a plain backtest with those parameters scores.
- A walk-forward of a neural strategy trains one model per fold on that fold's in-sample window,
  logs it to MLflow under the walk-forward's run, and never registers it.
- Changing the candles of fold k's out-of-sample window changes nothing of fold k (rule and model
  strategies alike).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml

from app import create_app
from backtest.request import parse_request
from backtest.search_request import parse_search
from core.candles import frame_to_candles
from runtime.config import load_config
from runtime.neural_jobs import train_kind
from tests.helpers import market_data as fixtures_market
from tests.helpers.neural_data import SMALL_SPEC, TINY_PARAMS, wave_candles

pytestmark = pytest.mark.slow  # trainings and worker pools: seconds each

torch.set_num_threads(1)

SYMBOL, OTHER = "BTC/USDT", "ETH/USDT"
N, TRAIN = 700, 320
NEURAL = {"window": 8, "horizon": 3, "features": SMALL_SPEC.to_dict(), "bootstrap": False,
          "params": {**TINY_PARAMS, "cnn": {**TINY_PARAMS["cnn"], "epochs": 6,
                                             "batch_size": 32}}}  # fmt: skip
FOLDS = {"is_bars": 250, "oos_bars": 120}  # 3 rolling folds over 700 bars


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("research_models")
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump({
        "data_dir": str(folder / "data"), "symbols": [SYMBOL, OTHER], "neural": NEURAL,
        "compute": {"workers": 2}, "training": {"threads": 1},
    }))  # fmt: skip
    app = create_app(config=load_config(str(path)))
    orch = app.server.extensions["orchestrator"]
    candles = wave_candles(N, seed=3)
    orch.store.merge_history(SYMBOL, "1m", frame_to_candles(candles))
    # the same candles, but for fold 1's out-of-sample window (bars 370..489)
    changed = candles.copy()
    rng = np.random.default_rng(1)
    fold1 = slice(250 + 120, 250 + 240)
    scale = rng.uniform(0.9, 1.1, (120, 1))
    changed.iloc[fold1, :4] = changed.iloc[fold1, :4].to_numpy() * scale
    changed["high"] = changed[["open", "high", "low", "close"]].max(axis=1)
    changed["low"] = changed[["open", "high", "low", "close"]].min(axis=1)
    orch.store.merge_history(OTHER, "1m", frame_to_candles(changed))
    train_kind(orch, "cnn", symbols=[SYMBOL], end=int(candles.index[TRAIN - 1]) + 1)
    yield app, orch, candles
    orch.stop()


def _body(symbol: str, candles, **extra) -> dict:
    return {"symbol": symbol, "timeframe": "1m", "start": int(candles.index[0]),
            "end": int(candles.index[-1]), "commission": 0.0005, "fractional_unit": 1e-6,
            **extra}  # fmt: skip


def test_a_search_over_a_neural_strategy_scores_what_a_backtest_scores(app):
    _, orch, candles = app
    body = _body(SYMBOL, candles, strategy="cnn", maximize="Return [%]",
                 params={"min_confidence": [0, 0.4, 0.5], "sl_pct": "0:1:1"})  # fmt: skip
    run = orch.research.run_now("search", parse_search(body, orch))
    assert run["status"] == "done", run["error"]
    assert len(run["trials"]) == 6
    assert run["result"]["model"]["kind"] == "cnn" and run["result"]["in_sample"]
    for trial in run["trials"][::2]:
        backtest = {k: v for k, v in body.items() if k not in ("maximize",)}
        backtest["params"] = trial["params"]
        single = orch.backtests.run_now(parse_request(backtest, orch))
        assert single["stats"]["# Trades"] == trial["trades"]
        if trial["value"] is not None:
            assert single["stats"]["Return [%]"] == pytest.approx(trial["value"], rel=1e-12)


def _walkforward(orch, symbol, candles, **extra):
    body = _body(symbol, candles, **{**FOLDS, **extra})
    run = orch.research.run_now("walkforward", parse_search(body, orch, walkforward=True))
    assert run["status"] == "done", run["error"]
    return run["result"]


def test_a_neural_walkforward_trains_one_unregistered_model_per_fold(app):
    _, orch, candles = app
    from mlflow import MlflowClient

    tracking = f"sqlite:///{orch.config.data_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=tracking, registry_uri=tracking)
    versions_before = client.search_model_versions("name='neural-cnn'")
    result = _walkforward(orch, SYMBOL, candles, strategy="cnn",
                          params={"min_confidence": [0, 0.5]})  # fmt: skip
    folds = result["folds"]
    assert len(folds) == 3
    runs = []
    for fold in folds:
        model = fold["model"]
        assert model["registered"] is False and model["kind"] == "cnn"
        # trained on the fold's in-sample window only
        assert fold["is"][0] <= model["trained_on"]["start"] < model["trained_on"]["end"]
        assert model["trained_on"]["end"] <= fold["is"][1] < fold["oos"][0]
        runs.append(client.get_run(model["run_id"]))
    parent = {r.data.tags["mlflow.parentRunId"] for r in runs}
    assert len(parent) == 1
    assert client.get_run(parent.pop()).data.tags["kind"] == "walkforward"
    assert all(r.data.tags["registered"] == "false" for r in runs)
    # nothing registered, no alias moved
    assert len(client.search_model_versions("name='neural-cnn'")) == len(versions_before)
    assert str(client.get_model_version_by_alias("neural-cnn", "champion").version) == "1"


@pytest.mark.parametrize("strategy, params", [
    ("sma_cross", {"fast": "2:10:2", "slow": "12:40:4"}),
    ("cnn", {"min_confidence": [0, 0.4, 0.5], "sl_pct": [0, 1]}),
])  # fmt: skip
def test_changing_fold_ks_out_of_sample_candles_changes_nothing_of_fold_k(app, strategy, params):
    _, orch, candles = app
    extra = {"strategy": strategy, "params": params, "maximize": "Return [%]"}
    if strategy == "sma_cross":
        extra["constraint"] = "fast < slow"
    first = _walkforward(orch, SYMBOL, candles, **extra)["folds"]
    second = _walkforward(orch, OTHER, candles, **extra)["folds"]
    k = 1  # its out-of-sample window is what differs
    assert first[k]["oos_stats"]["Return [%]"] != second[k]["oos_stats"]["Return [%]"] or \
        first[k]["oos_stats"]["# Trades"] != second[k]["oos_stats"]["# Trades"]  # fmt: skip
    for i in (0, k):  # fold 0 and fold k saw none of it
        assert first[i]["params"] == second[i]["params"]
        assert first[i]["is_stats"] == second[i]["is_stats"]
        if strategy == "cnn":  # the same model: the same evaluation in training
            from mlflow import MlflowClient

            tracking = f"sqlite:///{orch.config.data_path / 'mlflow.db'}"
            client = MlflowClient(tracking_uri=tracking)
            a, b = (client.get_run(f[i]["model"]["run_id"]).data.metrics for f in (first, second))
            assert a["val_score"] == b["val_score"]
            assert a["train_loss"] == b["train_loss"]


def test_random_candles_helper_is_deterministic():
    a = fixtures_market.random_candles(10, seed=2)
    b = fixtures_market.random_candles(10, seed=2)
    assert a.equals(b)


@pytest.fixture(scope="module")
def patterns(tmp_path_factory):
    from core.spans import Span
    from runtime.config import config_from_dict
    from tests.helpers.pattern_data import SMALL_SPEC as PATTERN_SPEC
    from tests.helpers.pattern_data import pattern_series

    base = tmp_path_factory.mktemp("research_patterns")
    config = config_from_dict({
        "data_dir": str(base / "data"), "features": PATTERN_SPEC.to_dict(),
        "training": {"window": 4, "params": {"xgboost": {"n_estimators": 10, "max_depth": 3}}},
        "backtest": {"label_directions": {"bull_run": 1, "bear_run": -1}},
        "compute": {"workers": 1},
    }, base_dir=base)  # fmt: skip
    app = create_app(config=config)
    orch = app.server.extensions["orchestrator"]
    candles, runs = pattern_series(700, seed=10)
    orch.store.merge_history(SYMBOL, "1m", frame_to_candles(candles))
    for start, end, label in runs:
        orch.annotations.create(Span(None, SYMBOL, "1m", start, end, label, "human", "accepted"))
    yield orch, candles
    orch.stop()


def test_a_pattern_walkforward_trains_its_classifier_on_each_in_sample_window(patterns):
    orch, candles = patterns
    result = _walkforward(orch, SYMBOL, candles, strategy="pattern", is_bars=300,
                          oos_bars=150, params={"min_confidence": [0, 0.6]})  # fmt: skip
    folds = result["folds"]
    assert len(folds) == 2
    for fold in folds:
        model = fold["model"]
        assert model["kind"] == "pattern" and model["registered"] is False and model["spans"] > 5
        assert model["trained_on"]["end"] <= fold["is"][1] < fold["oos"][0]
        assert fold["oos_stats"]["# Trades"] > 0
    from mlflow import MlflowClient

    tracking = f"sqlite:///{orch.config.data_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=tracking, registry_uri=tracking)
    assert client.search_registered_models() == []  # trained twice, registered never
