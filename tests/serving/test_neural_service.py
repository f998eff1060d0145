"""The neural models through the real parts: SQLite candles, MLflow's store and registry, the
orchestrator's live worker and deques, the REST API and the CLI (tiny models, 2 symbols)."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import yaml

from app import create_app, main
from core.candles import frame_to_candles
from runtime.config import load_config
from runtime.neural_jobs import NeuralJobHooks, train_kind
from runtime.orchestrator import Orchestrator
from serving.neural_live import NeuralService
from tests.helpers.neural_data import SMALL_SPEC, TINY_PARAMS, wave_candles
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.slow  # seconds each: `pytest -m 'not slow and not browser'` skips them

torch.set_num_threads(1)

SYMBOLS = ["AAA/USDT", "BBB/USDT"]
KINDS = ("dqn", "cnn", "transformer")


def write_config(folder, **neural) -> str:
    data = {
        "symbols": SYMBOLS,
        "data_dir": str(folder / "data"),
        "neural": {
            "window": 8,
            "horizon": 3,
            "features": SMALL_SPEC.to_dict(),
            "params": TINY_PARAMS,
            "bootstrap": False,
            **neural,
        },
    }
    path = folder / f"config-{'-'.join(sorted(neural)) or 'base'}.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("neural")
    path = write_config(folder)
    orch = Orchestrator(load_config(path))
    for i, symbol in enumerate(SYMBOLS):
        orch.store.merge_history(symbol, "1m", frame_to_candles(wave_candles(320, seed=i)))
    results, hooks = {}, {}
    for kind in KINDS:
        hooks[kind] = NeuralJobHooks(orch, kind, None)
        results[kind] = train_kind(orch, kind, hooks=hooks[kind])
    yield orch, results, hooks, path, folder
    orch.stop()


def test_the_first_version_of_each_kind_becomes_its_champion_and_is_served(trained):
    orch, results, *_ = trained
    for kind, result in results.items():
        assert result.registered_model == f"neural-{kind}"
        assert result.model_version == "1"
        assert result.champion.promoted
    status = orch.neural.status()
    assert {k: status[k]["status"] for k in KINDS} == dict.fromkeys(KINDS, "ok")
    assert orch.neural.models()["cnn"].run_id == results["cnn"].run_id


def test_training_draws_predictions_with_source_training(trained):
    orch, results, hooks, *_ = trained
    for kind in KINDS:
        assert hooks[kind].stored >= len(SYMBOLS)
        for symbol in SYMBOLS:
            drawn = [p for p in orch.predictions.deques(kind)[symbol] if p["source"] == "training"]
            assert drawn, (kind, symbol)
            assert {p["run_id"] for p in drawn} == {results[kind].run_id}
            assert all(p["model"] == f"neural-{kind}" for p in drawn)


def test_each_champion_predicts_live_on_a_closed_candle(trained):
    orch, results, *_ = trained
    assert orch.live_neural.predict("AAA/USDT", "1m") == 3
    last = orch.store.tail("AAA/USDT", "1m", 1)[0]
    for kind in KINDS:
        live = [p for p in orch.predictions.deques(kind)["AAA/USDT"] if p["source"] == "live"]
        assert len(live) == 1
        p = live[0]
        assert p["timestamp"] == last.time
        assert (p["model"], p["model_version"], p["run_id"]) == (
            f"neural-{kind}",
            "1",
            results[kind].run_id,
        )
        if kind == "dqn":
            assert p["action"] in ("BUY", "SELL", "HOLD") and p["price"] == last.close
        else:
            assert p["direction"] in ("UP", "DOWN", "STABLE") and p["current_price"] == last.close
            assert p["horizon_minutes"] == 3
    assert orch.live_neural.predict("AAA/USDT", "1m") == 0  # the same candle is not predicted twice


def test_api_models_lists_every_kind_with_baselines_and_training_range(trained):
    orch, results, _, path, _ = trained
    app = create_app(config=orch.config)
    client = app.server.test_client()
    body = client.get("/api/models").get_json()
    assert set(body) == {"pattern", *KINDS}
    assert body["pattern"]["status"] == "missing"
    cnn = body["cnn"]
    assert (cnn["name"], cnn["version"], cnn["run_id"]) == (
        "neural-cnn",
        "1",
        results["cnn"].run_id,
    )
    assert {
        "accuracy",
        "majority_accuracy",
        "chance_accuracy",
        "mae",
        "naive_mae",
        "mae_skill",
    } <= set(cnn["metrics"]["val"])
    assert {
        "return",
        "buy_and_hold_return",
        "flat_return",
        "trades",
        "actions",
        "degenerate",
    } <= set(body["dqn"]["metrics"]["val"])
    assert cnn["trained_on"]["start"] < cnn["trained_on"]["end"]
    assert "/api/models" in client.get("/api/openapi.json").get_json()["paths"]
    health = client.get("/api/health").get_json()
    assert health["models"]["neural"]["dqn"]["status"] == "ok"


def test_a_later_version_takes_over_only_when_better_cli(trained, capsys):
    orch, results, _, _, folder = trained
    strict = write_config(folder, min_improvement=10.0)  # nothing can beat the champion by 10
    assert main(["--config", strict, "train", "--model", "cnn", "--symbol", "AAA/USDT"]) == 0
    out = capsys.readouterr().out
    assert "neural-cnn version 2" in out
    assert "vs majority class" in out and "vs last-price" in out
    assert "champion: unchanged" in out
    orch.neural.refresh(("cnn",))
    assert orch.neural.models()["cnn"].version == "1"
    # the new run (another process) cleared the first run's training predictions of that symbol
    reloaded = Orchestrator(orch.config)
    drawn = [p for p in reloaded.predictions.deques("cnn")["AAA/USDT"] if p["source"] == "training"]
    assert drawn and results["cnn"].run_id not in {p["run_id"] for p in drawn}
    kept = [p for p in reloaded.predictions.deques("cnn")["BBB/USDT"] if p["source"] == "training"]
    assert {p["run_id"] for p in kept} == {results["cnn"].run_id}  # another symbol: untouched


def test_cli_refuses_an_unknown_symbol(trained, caplog):
    _, _, _, path, _ = trained
    assert main(["--config", path, "train", "--model", "dqn", "--symbol", "ZZZ/USDT"]) == 2
    assert "unknown symbol 'ZZZ/USDT'" in caplog.text


def test_a_broken_model_is_reported_and_skipped_while_the_others_predict(trained):
    orch, results, *_ = trained
    # The model cache is keyed by run id.
    cache = orch.config.data_path / "model_cache" / results["transformer"].run_id
    (weights,) = cache.rglob("model.pt")
    saved = weights.read_bytes()
    try:
        weights.write_bytes(b"not a torch file")
        other = Orchestrator(orch.config)
        other.neural.refresh()
        status = other.health()["models"]["neural"]
        assert status["transformer"]["status"] == "error"
        assert status["cnn"]["status"] == "ok"
        assert other.live_neural.predict("BBB/USDT", "1m") == 2
        other.stop()
    finally:
        weights.write_bytes(saved)


def test_without_a_registered_model_every_kind_says_missing(make_config):
    config = make_config(symbols=SYMBOLS)
    service = NeuralService(config)
    service.refresh()
    assert {s["status"] for s in service.status().values()} == {"missing"}
    assert not (config.data_path / "mlflow.db").exists()  # checked without creating a store
    assert (
        load_config().neural.bootstrap
    )  # the shipped config trains at first start when none exists


def test_the_registered_model_loads_through_mlflow_as_our_own_model_code(trained):
    import mlflow.pyfunc
    import numpy as np

    from models.neural_pyfunc import flatten_windows
    from training.tracking import Tracker

    orch, *_ = trained
    served = orch.neural.models()["transformer"]
    Tracker(orch.config.data_path).activate()
    pyfunc = mlflow.pyfunc.load_model("models:/neural-transformer/1")
    data = served.windows(orch.store.history("AAA/USDT", "1m")).take(np.arange(5))
    out = pyfunc.predict(flatten_windows(data.X, data.features))
    proba = served.predictor.predict_proba(data.X)
    np.testing.assert_allclose(out["confidence"].to_numpy(), proba.max(axis=1), rtol=1e-6)
    assert list(out["label"]) == list(served.predictor.predict(data.X))
    change = served.predictor.predict_change(data.X)
    np.testing.assert_allclose(out["change_pct"], change, rtol=1e-5)


def test_a_training_job_reports_progress_allows_one_per_kind_and_cancels(trained):
    from core.jobs import JobBusy
    from runtime.neural_jobs import start_neural_training

    _, _, _, _, folder = trained
    long = write_config(folder, params={"cnn": {"channels": 8, "epochs": 500}})
    orch = Orchestrator(load_config(long))  # the same data folder, a training long enough to cancel
    try:
        job = start_neural_training(orch, "cnn", ["AAA/USDT"])
        with pytest.raises(JobBusy):
            start_neural_training(orch, "cnn")
        wait_for(lambda: job.details.get("epoch", 0) >= 2, timeout=120)
        assert {"batch", "batches", "loss", "curve"} <= set(job.details)
        assert job.stage == "fitting"
        orch.jobs.cancel(job.id)
        wait_for(lambda: job.status != "running", timeout=120)
        assert job.status == "cancelled"
        orch.neural.refresh(("cnn",))
        assert orch.neural.models()["cnn"].version == "1"  # the champion is untouched
    finally:
        orch.stop()


def test_first_start_trains_every_missing_kind_one_at_a_time_then_predicts_live(tmp_path):
    from runtime.neural_jobs import start_background

    orch = Orchestrator(
        load_config(write_config(tmp_path, bootstrap=True, bootstrap_params=TINY_PARAMS))
    )
    for i, symbol in enumerate(SYMBOLS):
        orch.store.merge_history(symbol, "1m", frame_to_candles(wave_candles(320, seed=i)))
    orch.live_neural.start()
    try:
        start_background(orch)
        wait_for(
            lambda: all(s["status"] == "ok" for s in orch.neural.status().values()), timeout=120
        )
        # A model is served as soon as it is registered, a moment before its job ends.
        wait_for(lambda: all(j.status != "running" for j in orch.jobs.list()))
        jobs = sorted(orch.jobs.list(), key=lambda j: j.started_at)
        assert [j.kind for j in jobs] == ["train:dqn", "train:cnn", "train:transformer"]
        assert all("first start" in j.title and j.status == "done" for j in jobs)
        for earlier, later in zip(jobs, jobs[1:], strict=False):
            assert earlier.finished_at <= later.started_at  # one job at a time
        for kind in KINDS:
            wait_for(
                lambda k=kind: any(
                    p["source"] == "live" for p in orch.predictions.deques(k)["BBB/USDT"]
                ),
                timeout=120,
            )
    finally:
        orch.stop()


def test_the_retraining_schedule_covers_the_neural_kinds(tmp_path):
    from runtime.neural_jobs import start_background

    config = load_config(write_config(tmp_path))
    orch = Orchestrator(
        dataclasses.replace(
            config, training=dataclasses.replace(config.training, schedule_minutes=30)
        )
    )
    try:
        start_background(orch)
        job = orch.jobs._ensure_scheduler().get_job("retrain-neural")
        assert job is not None and job.trigger.interval.total_seconds() == 30 * 60
    finally:
        orch.stop()
