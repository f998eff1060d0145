"""The CNN, transformer and DQN strategies with tiny real models (MLflow's store and registry,
SQLite candles, the real runner): trades from the model's signals, its predictions stored with
source backtest and the run's id, in-sample marking, no look-ahead, a missing model refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from app import create_app, main
from backtest.engine import BacktestSettings, run_backtest
from backtest.request import RequestError, parse_request
from backtest.strategies import StrategyContext, make_strategy
from core.candles import frame_to_candles
from predictions.queries import stored
from runtime.config import load_config
from runtime.neural_jobs import train_kind
from serving.neural_inference import load_neural
from tests.helpers.neural_data import SMALL_SPEC, TINY_PARAMS, wave_candles

pytestmark = pytest.mark.slow  # seconds each: `pytest -m 'not slow and not browser'` skips them

torch.set_num_threads(1)

SYMBOL = "BTC/USDT"
KINDS = ("cnn", "transformer", "dqn")
MINUTE = 60_000
N, TRAIN = 700, 320  # candles stored; the first TRAIN of them are the training data
NEURAL = {
    "window": 8,
    "horizon": 3,
    "features": SMALL_SPEC.to_dict(),
    # a few more CNN epochs than the tiny default, so it calls both directions on the wave
    "params": {**TINY_PARAMS, "cnn": {**TINY_PARAMS["cnn"], "epochs": 12, "batch_size": 32}},
    "bootstrap": False,
}
# tiny models are rarely sure: trade every call
PARAMS = {"cnn": {"min_confidence": 0}, "transformer": {"min_confidence": 0}, "dqn": {}}


def _app(folder):
    """The app, on a config file the CLI can read too."""
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(folder / "data"), "symbols": [SYMBOL],
                                    "neural": NEURAL}))  # fmt: skip
    app = create_app(config=load_config(str(path)))
    return app, app.server.extensions["orchestrator"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    app, orch = _app(tmp_path_factory.mktemp("backtest_neural"))
    candles = wave_candles(N, seed=3)
    orch.store.merge_history(SYMBOL, "1m", frame_to_candles(candles))
    end = int(candles.index[TRAIN - 1])
    results = {kind: train_kind(orch, kind, end=end + 1) for kind in KINDS}
    yield app, orch, candles, results
    orch.stop()


def test_the_cli_runs_a_neural_strategy_and_warns_when_in_sample(trained, capsys):
    app, orch, candles, _ = trained
    config = str(orch.config.data_path.parent / "config.yaml")
    args = ["--config", config, "backtest", "--symbol", SYMBOL, "--strategy", "dqn"]
    start = pd.Timestamp(int(candles.index[TRAIN]), unit="ms").strftime("%Y-%m-%d %H:%M")
    assert main([*args, "--from", start, "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["status"] == "done" and body["in_sample"] is False
    assert body["model"]["kind"] == "dqn" and body["stats"]["# Trades"] == len(body["trades"])
    assert main([*args, "--strategy", "cnn", "--param", "min_confidence=0"]) == 0
    table = capsys.readouterr().out
    assert "# Trades" in table and "warning: in-sample: the model was trained on data" in table


def _run(orch, kind, start, end=None, **params):
    body = {"symbol": SYMBOL, "strategy": kind, "start": int(start),
            "params": {**PARAMS[kind], **params}}  # fmt: skip
    if end is not None:
        body["end"] = int(end)
    return orch.backtests.run_now(parse_request(body, orch))


def _signals(orch, kind, candles):
    context = StrategyContext(orch.config, SYMBOL, "1m")
    return make_strategy(kind, PARAMS[kind], context).signals(candles)


@pytest.mark.parametrize("kind", KINDS)
def test_a_run_trades_on_the_models_calls_and_stores_its_predictions(trained, kind):
    _, orch, candles, results = trained
    trained_on = results[kind].trained_on
    start = int(candles.index[100])
    run = _run(orch, kind, start)
    assert run["status"] == "done", run["error"]
    assert run["model"] == {"kind": kind, "name": f"neural-{kind}", "version": "1",
                            "run_id": results[kind].run_id}  # fmt: skip
    # the training data overlaps the period: in-sample, with the overlap
    overlap = run["in_sample"]
    assert (overlap["start"], overlap["end"]) == (max(start, trained_on["start"]),
                                                  trained_on["end"])  # fmt: skip
    assert overlap["trained_on"]["symbols"] == [SYMBOL]

    # every trade follows a call of the model: its entry fills at the open after a bar whose
    # target is the trade's side, its exit at the open after a bar that asked for something else
    period = orch.store.history(SYMBOL, "1m", start, run["params"]["end"] + 1)
    targets = _signals(orch, kind, period).targets
    trades = run["trades"]
    assert len(trades) == run["stats"]["# Trades"] > 3
    for trade in trades:
        bar = trade["EntryBar"]
        assert targets[bar - 1] == np.sign(trade["Size"]), trade
        assert trade["EntryPrice"] == pytest.approx(period["open"].iloc[bar])
        if trade["ExitBar"] < len(period) - 1:
            assert targets[trade["ExitBar"] - 1] != np.sign(trade["Size"]), trade

    # one prediction per bar with a complete window, stored with source backtest and the run id
    mine = [p for p in stored(orch.db, SYMBOL, (kind,)) if p.get("backtest_id") == run["id"]]
    assert len(mine) == len(run["predictions"]) == np.count_nonzero(~np.isnan(targets))
    assert len(mine) == len(period) - load_neural(orch.config, kind).min_candles + 1
    assert {p["source"] for p in mine} == {"backtest"}
    assert {(p["model"], p["model_version"], p["run_id"]) for p in mine} == {
        (f"neural-{kind}", "1", results[kind].run_id)
    }
    assert {p["timestamp"] for p in mine} <= set(period.index)
    call = "action" if kind == "dqn" else "direction"
    assert {p[call] for p in mine} <= {"BUY", "SELL", "HOLD", "UP", "DOWN", "STABLE"}


@pytest.mark.parametrize("kind", KINDS)
def test_a_period_after_the_training_data_is_out_of_sample(trained, kind):
    _, orch, candles, _ = trained
    run = _run(orch, kind, candles.index[TRAIN], version="1")
    assert run["status"] == "done", run["error"]
    assert run["in_sample"] is False
    assert run["stats"]["# Trades"] > 0


@pytest.mark.parametrize("kind", KINDS)
def test_signals_and_fills_use_only_candles_up_to_each_bar(trained, kind):
    _, orch, candles, _ = trained
    period = candles.iloc[300:].copy()
    cut = 200
    changed = period.copy()
    changed.iloc[cut:, :4] = changed.iloc[cut:, :4].to_numpy()[::-1]  # the future reversed
    changed["high"] = changed[["open", "high", "low", "close"]].max(axis=1)
    changed["low"] = changed[["open", "high", "low", "close"]].min(axis=1)
    before, after = _signals(orch, kind, period), _signals(orch, kind, changed)
    np.testing.assert_array_equal(before.targets[:cut], after.targets[:cut])
    assert before.predictions[: cut - before.warmup] == after.predictions[: cut - after.warmup]
    assert not np.array_equal(before.targets[cut:], after.targets[cut:], equal_nan=True)

    def fills(frame, signals):
        times = frame.index.to_numpy(dtype=np.int64)
        result = run_backtest(frame["open"].to_numpy(), frame["close"].to_numpy(), times,
                              signals.targets, BacktestSettings(), signals.warmup)  # fmt: skip
        trades = result.trades
        early = trades["EntryBar"] < cut
        return {k: trades[k][early].tolist() for k in ("Size", "EntryBar", "EntryPrice")}, {
            k: trades[k][trades["ExitBar"] < cut].tolist() for k in ("ExitBar", "ExitPrice")
        }

    assert fills(period, before) == fills(changed, after)
    assert fills(period, before)[0]["EntryBar"]  # some trades were entered before the cut


def test_a_missing_model_is_refused_with_how_to_train_one(tmp_path):
    app, orch = _app(tmp_path)
    orch.store.merge_history(SYMBOL, "1m", frame_to_candles(wave_candles(200, seed=1)))
    client = app.server.test_client()
    try:
        for kind in KINDS:
            answer = client.post("/api/backtests", json={"symbol": SYMBOL, "strategy": kind})
            assert answer.status_code == 400
            error = answer.get_json()["error"]
            assert error.startswith(f"strategy: no {kind} model registered yet")
            assert f"python app.py train --model {kind}" in error
        # a pinned version that is not registered: the run fails and says why
        request = parse_request({"symbol": SYMBOL, "strategy": "cnn",
                                 "params": {"version": "7"}}, orch)  # fmt: skip
        run = orch.backtests.run_now(request)
        assert run["status"] == "failed"
        assert "neural-cnn version 7 is not in the registry" in run["error"]
        # and the server carries on
        answer = client.post("/api/backtests", json={"symbol": SYMBOL, "strategy": "sma_cross"})
        assert answer.status_code == 202
        schema = client.get("/api/openapi.json").get_json()["paths"]["/api/backtests"]["post"]
        body = schema["requestBody"]["content"]["application/json"]["schema"]
        assert {"cnn", "transformer", "dqn"} <= set(body["properties"]["strategy"]["enum"])
    finally:
        orch.stop()


def test_a_bad_confidence_threshold_names_the_param(trained):
    _, orch, *_ = trained
    with pytest.raises(RequestError, match=r"params.min_confidence: must be <= 1"):
        parse_request({"symbol": SYMBOL, "strategy": "cnn", "params": {"min_confidence": 2}},
                      orch)  # fmt: skip
    with pytest.raises(RequestError, match="params.min_confidence: unknown parameter of dqn"):
        parse_request({"symbol": SYMBOL, "strategy": "dqn", "params": {"min_confidence": 1}},
                      orch)  # fmt: skip


def test_calls_map_to_target_positions():
    frame = pd.DataFrame({
        "direction": ["UP", "DOWN", "STABLE", "UP", "DOWN"],
        "confidence": [0.9, 0.7, 0.6, 0.59, 0.2],
    })  # fmt: skip
    for kind in ("cnn", "transformer"):
        targets = make_strategy(kind, {"min_confidence": 0.6}, None).targets(frame)
        np.testing.assert_array_equal(targets, [1, -1, 0, np.nan, np.nan])
    # the DQN's position after each decision: BUY long, SELL short, HOLD keeps the last one
    agent = pd.DataFrame({"action": ["BUY", "HOLD", "SELL", "HOLD", "BUY"],
                          "position": [1.0, 1.0, -1.0, -1.0, 1.0]})  # fmt: skip
    np.testing.assert_array_equal(make_strategy("dqn", {}, None).targets(agent), [1, 1, -1, -1, 1])
