"""Searches, walk-forwards and long backtests with ``compute.backend: ray``, against one real
local Ray head (``ray start --head``) shared by the module: the trials and their values are those
of the local workers (grid, and tpe with a seed), a Cancel ends a search cancelled and stops its
tasks, an address nobody answers fails the search with the reason, a walk-forward searches its
folds on the cluster, a long backtest runs as a task with the local run's result and can be
cancelled, and (end to end) a model trained on the cluster through a real MLflow server is
searched over on the cluster."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace

import pytest

from app import create_app
from backtest.request import parse_request
from backtest.research import Research
from backtest.search import Searcher
from backtest.search_request import SearchRequest, parse_search
from backtest.trials import TrialSetup, candle_arrays
from core.candles import frame_to_candles
from core.compute import LocalExecutor, ray_cluster
from core.ray_executor import RayExecutor
from runtime.config import config_from_dict
from runtime.training_jobs import start_training
from tests.helpers import market_data as fixtures_market
from tests.helpers.mlflow_server import MlflowServer
from tests.helpers.pattern_data import build_pattern_dataset, pattern_series
from tests.helpers.postgres import free_port
from tests.helpers.research import store_frame, wait_research
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.slow  # one Ray head (about 15 s) and searches on it

GOOG = fixtures_market.market_candles("GOOG")
GRID = {"symbol": "GOOG", "timeframe": "1d", "strategy": "sma_cross",
        "params": {"fast": "5:50:5", "slow": "20:200:10"}, "constraint": "fast < slow",
        "maximize": "Sharpe Ratio", "commission": 0.002, "fractional_unit": 1,
        "start": int(GOOG.index[0]), "end": int(GOOG.index[-1])}  # fmt: skip


def nap_trial(arrays, setup, params) -> float:
    """A trial that takes ``params["sleep"]`` seconds (a stand-in for a long backtest)."""
    time.sleep(params["sleep"])
    return params["sleep"]


@pytest.fixture(scope="module")
def app(head, tmp_path_factory):
    base = tmp_path_factory.mktemp("ray_research")
    config = config_from_dict(
        {"data_dir": str(base / "data"), "neural": {"bootstrap": False},
         "compute": {"backend": "ray", "address": head.address, "workers": 2,
                     "ray_backtest_bars": 1000}},
        base_dir=base,
    )  # fmt: skip
    app = create_app(config=config)
    orch = app.server.extensions["orchestrator"]
    store_frame(orch, "GOOG", "1d", GOOG)
    yield app
    orch.stop()
    orch.db.close()


@pytest.fixture
def client(app):
    return app.server.test_client()


@pytest.fixture
def orch(app):
    return app.server.extensions["orchestrator"]


def _search(request: SearchRequest, executor) -> list[tuple]:
    setup = TrialSetup(request.strategy, request.settings, request.maximize, request.min_trades)
    searcher = Searcher(request, executor, setup, on_trial=lambda *a: None,
                        progress=lambda f: None, done={})  # fmt: skip
    return [(t["params"], t["value"], t["trades"]) for t in searcher.run()]


def _request(**extra) -> SearchRequest:
    return SearchRequest(
        "GOOG", "1d", GRID["start"], GRID["end"], "sma_cross",
        {"fast": "5:50:5", "slow": "20:200:10"}, constraint="fast < slow",
        maximize="Sharpe Ratio", commission=0.002, fractional_unit=1.0,
        space={"fast": list(range(5, 55, 5)), "slow": list(range(20, 210, 10))}, **extra,
    )  # fmt: skip


def test_a_search_on_ray_gives_the_trials_and_values_of_local_workers(head):
    arrays = candle_arrays(GOOG)
    grid, tpe = _request(), _request(method="tpe", max_tries=24, seed=3)
    with LocalExecutor(2, arrays, ("backtest.trials",)) as local:
        expected = [_search(grid, local), _search(tpe, local)]
    with RayExecutor(ray_cluster(head.address), arrays, ("backtest.trials",)) as remote:
        assert remote.workers == 2  # the head's CPUs
        got = [_search(grid, remote), _search(tpe, remote)]
    assert len(got[0]) == 174 and 12 <= len(got[1]) <= 24  # tpe runs a repeated ask once
    assert any(value is not None for _, value, _ in got[0])
    assert got == expected


def test_a_cancel_ends_a_search_on_ray_cancelled_with_its_trials_kept(client, orch):
    big = {**GRID, "params": {"fast": "2:60:1", "slow": "10:250:2"}}
    run_id = client.post("/api/searches", json=big).get_json()["id"]
    wait_for(lambda: orch.research.store.count_trials(run_id) > 0, timeout=60)
    assert client.post(f"/api/searches/{run_id}/cancel", json={}).status_code == 202
    run = wait_research(orch, run_id)
    assert run["status"] == "cancelled"
    assert 0 < len(run["trials"]) < 3000


def test_an_unreachable_cluster_fails_the_search_with_the_reason(orch):
    config = orch.config
    away = replace(config, compute=replace(config.compute, address=f"127.0.0.1:{free_port()}"))
    research = Research(orch.db, orch.jobs, orch.store, orch.patterns, away)
    began = time.monotonic()
    run = research.run_now("search", _request())
    assert time.monotonic() - began < 20
    assert run["status"] == "failed"
    assert "cannot reach the Ray cluster at 127.0.0.1:" in run["error"]


def test_a_walkforward_searches_its_folds_on_ray(client, orch, monkeypatch):
    used = []
    real = Research.executor

    def spy(self, arrays):
        executor = real(self, arrays)
        used.append(type(executor))
        return executor

    monkeypatch.setattr(Research, "executor", spy)
    # 1,100 of the 2,148 candles: two folds (six over them all), enough to show one executor
    # serving every fold's search
    body = {**GRID, "end": int(GOOG.index[1099]), "is_bars": 500, "oos_bars": 250, "gap_bars": 5}
    run_id = client.post("/api/walkforwards", json=body).get_json()["id"]
    run = wait_research(orch, run_id, timeout=180)
    assert run["status"] == "done", run["error"]
    folds = run["result"]["folds"]
    assert len(folds) >= 2 and all(f["trials"] == 174 for f in folds)
    assert used == [RayExecutor]  # one executor for every fold's search, on the cluster


BACKTEST = {"symbol": "GOOG", "timeframe": "1d", "strategy": "sma_cross",
            "params": {"fast": 10, "slow": 40, "sl_pct": 5}, "commission": 0.002,
            "start": GRID["start"], "end": GRID["end"]}  # fmt: skip


def test_a_long_backtest_runs_as_a_ray_task_with_the_local_result(orch, monkeypatch):
    backtests = orch.backtests
    request = parse_request(BACKTEST, orch)
    remote = backtests.run_now(request)
    assert remote["status"] == "done", remote["error"]
    assert backtests.last_compute["pid"] != os.getpid()  # it ran in a Ray worker
    local_config = replace(orch.config, compute=replace(orch.config.compute, backend="local"))
    monkeypatch.setattr(backtests, "_config", local_config)
    backtests.last_compute = None
    local = backtests.run_now(request)
    assert backtests.last_compute is None
    assert remote["trades"] == local["trades"] and len(local["trades"]) > 5
    assert remote["stats"] == local["stats"]
    assert remote["equity"] == local["equity"]


def test_a_long_backtest_on_ray_shows_progress_and_cancels(client, orch):
    run_id = client.post("/api/backtests", json=BACKTEST).get_json()["id"]
    job_id = orch.backtests._jobs[run_id]
    stage = wait_for(lambda: "Ray cluster" in (orch.jobs.get(job_id).stage or "") and
                     orch.jobs.get(job_id).stage, timeout=60, interval=0.02)  # fmt: skip
    assert "Ray cluster" in stage
    assert client.post(f"/api/backtests/{run_id}/cancel", json={}).status_code == 202
    run = wait_for(lambda: (r := orch.backtests.get(run_id))["status"] in ("done", "failed",
                   "cancelled") and r, timeout=60)  # fmt: skip
    assert run["status"] == "cancelled"


def test_a_model_trained_through_the_mlflow_server_is_searched_on_the_ray_head(
    tmp_path, head, postgres_server
):
    """End to end (issue 16): PostgreSQL, an MLflow server and the Ray head together."""
    tracking = MlflowServer(postgres_server).start()
    try:
        config = config_from_dict(
            {
                "data_dir": str(tmp_path / "data"),
                "datasets_dir": str(tmp_path / "shared" / "datasets"),
                "storage": {"url": postgres_server.create_schema()},
                "neural": {"bootstrap": False},
                "compute": {"backend": "ray", "address": head.address},
                "training": {"window": 4, "tracking_uri": tracking.url,
                             "params": {"random_forest": {"n_estimators": 3}}},
                "backtest": {"label_directions": {"bull_run": 1, "bear_run": -1}},
            },
            base_dir=tmp_path,
        )  # fmt: skip
        orch = create_app(config=config).server.extensions["orchestrator"]
        try:
            build_pattern_dataset(config.datasets_path, window=4)
            job = start_training(orch, "random_forest", started_by="olga")
            state = wait_for(lambda: orch.jobs.get(job.id).status in ("done", "failed",
                             "cancelled") and orch.jobs.get(job.id), timeout=180)  # fmt: skip
            assert state.status == "done", state.message
            assert state.result["model_version"] == "1"
            seen, _ = pattern_series(700, seed=10)
            orch.store.merge_history("BTC/USDT", "1m", frame_to_candles(seen))
            body = {"symbol": "BTC/USDT", "timeframe": "1m", "strategy": "pattern",
                    "start": int(seen.index[0]), "end": int(seen.index[-1]),
                    "params": {"version": "1", "min_confidence": "0:0.8:0.2"},
                    "maximize": "Return [%]"}  # fmt: skip
            run = orch.research.run_now("search", parse_search(body, orch))
            assert run["status"] == "done", run["error"]
            assert len(run["trials"]) == 5 and run["result"]["model"]["version"] == "1"
        finally:
            orch.stop()
            orch.db.close()
    finally:
        tracking.stop()


# Last in the module: its sleeping tasks are stopped by force, which ends their worker
# processes, and a test after it would wait for new workers (seconds of imports each).
def test_leaving_the_executor_cancels_the_tasks_not_finished(head, monkeypatch):
    import ray
    import ray.cloudpickle

    # A task asleep in time.sleep never sees the gentle cancel: it is the one stopped by force,
    # after the grace (5 s in the app; the path is the same with a shorter one).
    monkeypatch.setattr("core.ray_executor.CANCEL_GRACE_S", 0.5)
    # The workers get the project's packages, not the tests: ship this module's trial by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    trials = [{"sleep": 0.0}] * 2 + [{"sleep": 60.0}] * 14  # chunks of 2: the first is quick
    with RayExecutor(ray_cluster(head.address), {"x": GOOG["close"].to_numpy()}) as executor:
        stream = executor.map(nap_trial, None, trials)
        first = next(stream)
        stream.close()
    assert first[1] == 0.0
    # the sleeping tasks were stopped: the head's two CPUs are free long before a minute
    began = time.monotonic()
    wait_for(lambda: ray.available_resources().get("CPU", 0) == 2, timeout=30, interval=0.2)
    assert time.monotonic() - began < 30
