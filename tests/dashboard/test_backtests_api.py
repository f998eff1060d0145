"""Backtests through the REST API with the real parts: jobs, SQLite, MLflow's store, predictions."""

from __future__ import annotations

import numpy as np
import pytest

from app import create_app
from backtest import strategies as registry
from backtest.engine import TRADE_COLUMNS
from backtest.rules import Signals, Strategy
from backtest.stats import STAT_KEYS
from runtime.config import config_from_dict
from tests.helpers import backtests as backtest_helpers
from tests.helpers.backtest_queue import settle
from tests.helpers.candles import make_candles
from tests.helpers.waiting import wait_for

Blocking = backtest_helpers.Blocking
blocking = backtest_helpers.blocking

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000
N = 3000


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    # one app (and one MLflow store, whose creation takes seconds) for the module's tests
    base = tmp_path_factory.mktemp("backtests_api")
    app = create_app(config=config_from_dict({"data_dir": str(base / "data")}, base_dir=base))
    orch = app.server.extensions["orchestrator"]
    orch.store.merge_history("BTC/USDT", "1m", make_candles(N, start=T0, frame_ms=60_000, seed=4))
    yield app
    orch.stop()


@pytest.fixture
def client(app):
    return app.server.test_client()


def _wait(client, run_id: str, timeout: float = 60) -> dict:
    def finished() -> dict | None:
        run = client.get(f"/api/backtests/{run_id}").get_json()
        return run if run["status"] in ("done", "failed", "cancelled") else None

    return wait_for(finished, timeout=timeout)


def test_a_run_goes_from_202_to_done_with_stats_trades_and_equity(client, app):
    body = {"symbol": "BTC/USDT", "timeframe": "1m", "start": T0, "end": T0 + N * 60_000,
            "strategy": "sma_cross", "params": {"fast": 5, "slow": 30}, "cash": 5000}  # fmt: skip
    answer = client.post("/api/backtests", json=body)
    assert answer.status_code == 202
    run = _wait(client, answer.get_json()["id"])
    assert run["status"] == "done", run.get("error")
    assert list(run["stats"]) == list(STAT_KEYS)
    assert run["stats"]["# Trades"] == len(run["trades"]) > 10
    assert run["stats"]["Start"].startswith("2023-11-14")
    assert run["params"]["cash"] == 5000 and run["params"]["params"] == {"fast": 5, "slow": 30}
    assert run["in_sample"] is False
    assert 0 < len(run["equity"]) <= 2000
    assert run["equity"][0]["equity"] == 5000
    assert run["equity"][-1]["equity"] == pytest.approx(run["stats"]["Equity Final [$]"])
    first = run["trades"][0]
    assert list(first) == list(TRADE_COLUMNS)
    listed = client.get("/api/backtests").get_json()
    assert listed[0]["id"] == run["id"] and listed[0]["status"] == "done"
    assert listed[0]["stats"]["# Trades"] == run["stats"]["# Trades"]
    # logged to MLflow: params, metrics, the trades as an artifact
    from mlflow import MlflowClient

    orch = app.server.extensions["orchestrator"]
    tracking = f"sqlite:///{orch.config.data_path / 'mlflow.db'}"
    mlflow_run = MlflowClient(tracking_uri=tracking).get_run(run["mlflow_run_id"])
    assert mlflow_run.data.params["strategy"] == "sma_cross"
    assert mlflow_run.data.metrics["n Trades"] == run["stats"]["# Trades"]
    artifacts = MlflowClient(tracking_uri=tracking).list_artifacts(run["mlflow_run_id"], "backtest")
    assert {a.path for a in artifacts} == {"backtest/trades.csv", "backtest/equity.csv"}


SMA = {"symbol": "BTC/USDT", "strategy": "sma_cross"}


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({**SMA, "symbol": "NOPE/USDT"}, 404, "symbol"),
        ({**SMA, "strategy": "magic"}, 400, "strategy"),
        ({**SMA, "params": {"fast": "x"}}, 400, "params.fast"),
        ({**SMA, "params": {"fast": 40}}, 400, "params.fast"),
        ({**SMA, "cash": -1}, 400, "cash"),
        ({**SMA, "commission": 0.5}, 400, "commission"),
        ({**SMA, "commission": "lots"}, 400, "commission"),
        ({**SMA, "start": "yesterday-ish"}, 400, "start"),
        ({**SMA, "start": T0 + 10**9, "end": T0}, 400, "start"),
        ({**SMA, "start": 0, "end": 1000}, 400, "start"),
        ({**SMA, "start": 2**53}, 400, "start"),  # past any date: a 400, not a 500
        ({**SMA, "end": "99999-01-01"}, 400, "end"),
        ({**SMA, "timeframe": "5m"}, 400, "timeframe"),
        ({**SMA, "size": 2}, 400, "size"),
        ({**SMA, "leverage": 2}, 400, "leverage"),
    ],
)
def test_bad_requests_name_the_field(client, body, status, field):
    answer = client.post("/api/backtests", json=body)
    assert answer.status_code == status
    assert answer.get_json()["error"].startswith(f"{field}:")


def test_unknown_run_is_404_and_openapi_lists_the_paths(client):
    assert client.get("/api/backtests/nope").status_code == 404
    assert client.post("/api/backtests/nope/cancel", json={}).status_code == 404
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"/api/backtests", "/api/backtests/{id}", "/api/backtests/{id}/cancel"} <= set(paths)


def test_a_failing_run_says_why_and_the_server_carries_on(client):
    # no pattern model is registered: the run is accepted, then fails with the reason
    answer = client.post("/api/backtests", json={"symbol": "BTC/USDT", "strategy": "pattern"})
    run = _wait(client, answer.get_json()["id"])
    assert run["status"] == "failed"
    assert "no pattern model is registered" in run["error"]
    assert client.get("/api/health").status_code == 200
    ok = client.post("/api/backtests", json={"symbol": "BTC/USDT", "strategy": "buy_and_hold"})
    assert _wait(client, ok.get_json()["id"])["status"] == "done"


def test_queued_runs_wait_their_turn_and_cancel(client, blocking):
    body = {"symbol": "BTC/USDT", "strategy": "buy_and_hold"}
    long_run = client.post("/api/backtests", json={**body, "strategy": Blocking.name})
    first = client.post("/api/backtests", json=body).get_json()["id"]
    second = client.post("/api/backtests", json=body).get_json()["id"]
    long_id = long_run.get_json()["id"]
    wait_for(lambda: client.get(f"/api/backtests/{long_id}").get_json()["status"] == "running")
    assert client.get(f"/api/backtests/{first}").get_json()["status"] == "queued"
    assert client.post(f"/api/backtests/{first}/cancel", json={}).status_code == 202
    assert client.get(f"/api/backtests/{first}").get_json()["status"] == "cancelled"
    blocking.set()
    assert _wait(client, second)["status"] == "done"
    assert _wait(client, long_run.get_json()["id"])["status"] == "done"
    assert client.post(f"/api/backtests/{second}/cancel", json={}).status_code == 409


class _Forecaster(Strategy):
    """A test strategy that emits a CNN-style prediction per bar: long when the close rose."""

    name = "test_forecaster"

    def signals(self, candles):
        close = candles["close"].to_numpy()
        up = np.r_[False, close[1:] > close[:-1]]
        predictions = [
            ("cnn", {"timestamp": int(t), "confidence": 0.6, "direction": "UP" if u else "DOWN",
                     "current_price": float(c), "target_price": float(c) * (1.01 if u else 0.99),
                     "horizon_minutes": 5})
            for t, c, u in zip(candles.index[-30:], close[-30:], up[-30:], strict=True)
        ]  # fmt: skip
        return Signals(np.where(up, 1.0, -1.0), predictions=predictions,
                       trained_on={"start": int(candles.index[-100]), "end": 2**60,
                                   "symbols": ["BTC/USDT"]})  # fmt: skip


def test_model_predictions_replace_the_earlier_backtest_ones_and_in_sample_is_marked(
    client, app, monkeypatch
):
    monkeypatch.setitem(registry.STRATEGIES, _Forecaster.name, _Forecaster)
    orch = app.server.extensions["orchestrator"]
    live = {"timestamp": T0, "confidence": 0.5, "direction": "UP", "current_price": 1.0,
            "target_price": 2.0, "horizon_minutes": 5}  # fmt: skip
    orch.store_cnn_prediction("BTC/USDT", live)
    orch.store_cnn_prediction("BTC/USDT", {**live, "source": "backtest"})
    body = {"symbol": "BTC/USDT", "strategy": _Forecaster.name, "start": T0}
    run = _wait(client, client.post("/api/backtests", json=body).get_json()["id"])
    assert run["status"] == "done", run.get("error")
    kept = list(orch.recent_cnn_predictions["BTC/USDT"])
    sources = [p["source"] for p in kept]
    assert sources.count("live") == 1 and sources.count("backtest") == 30
    assert all(p["backtest_id"] == run["id"] for p in kept if p["source"] == "backtest")
    assert [p["kind"] for p in run["predictions"]] == ["cnn"] * 30
    assert {p["call"] for p in run["predictions"]} <= {"UP", "DOWN"}
    overlap = run["in_sample"]
    assert overlap["start"] == T0 + (N - 100) * 60_000 and overlap["end"] == T0 + (N - 1) * 60_000


def test_runs_survive_a_restart_and_an_interrupted_one_says_so(make_config):
    config = make_config(feed={"backfill_1m_hours": 1, "backfill_1s_minutes": 1})
    app = create_app(config=config)
    orch = app.server.extensions["orchestrator"]
    orch.store.merge_history("BTC/USDT", "1m", make_candles(300, start=T0, frame_ms=60_000))
    client = app.server.test_client()
    done = _wait(client, client.post("/api/backtests", json=SMA).get_json()["id"])
    stuck = orch.backtests.store.create({**SMA, "timeframe": "1m"})
    orch.backtests.store.update(stuck, status="running")
    orch.stop()
    # the CLI builds an orchestrator while the app may run: that must not touch the runs
    create_app(config=config)
    assert orch.backtests.store.status(stuck)["status"] == "running"
    again = create_app(config=config)
    again.server.extensions["orchestrator"].start()  # what serving does
    try:
        client = again.server.test_client()
        assert client.get(f"/api/backtests/{done['id']}").get_json()["stats"] == done["stats"]
        interrupted = client.get(f"/api/backtests/{stuck}").get_json()
        assert interrupted["status"] == "failed" and "interrupted" in interrupted["error"]
    finally:
        again.server.extensions["orchestrator"].stop()


# ---- issue 19, finding 7: the queue is bounded ----------------------------------------------


def _capped_app(tmp_path, **limits):
    config = {"data_dir": str(tmp_path / "data")}
    if limits:
        config["limits"] = limits
    app = create_app(config=config_from_dict(config, base_dir=tmp_path))
    orch = app.server.extensions["orchestrator"]
    orch.store.merge_history("BTC/USDT", "1m", make_candles(300, start=T0, frame_ms=60_000))
    return app, orch


def _running(client, run_id):
    from tests.helpers.waiting import wait_for

    wait_for(lambda: client.get(f"/api/backtests/{run_id}").get_json()["status"] == "running")


def test_past_limits_queued_jobs_a_backtest_is_refused_with_a_429(tmp_path, blocking):
    app, orch = _capped_app(tmp_path, queued_jobs=2)
    client = app.server.test_client()
    body = {"symbol": "BTC/USDT", "strategy": "buy_and_hold"}
    try:
        long_run = client.post("/api/backtests", json={**body, "strategy": Blocking.name})
        _running(client, long_run.get_json()["id"])
        waiting = [client.post("/api/backtests", json=body) for _ in range(2)]
        assert [w.status_code for w in waiting] == [202, 202]
        refused = client.post("/api/backtests", json=body)
        assert refused.status_code == 429
        error = refused.get_json()["error"]
        assert "2 backtests are already waiting" in error and "limits.queued_jobs" in error
        listed = client.get("/api/backtests").get_json()
        assert len(listed) == 3  # the refused one left no run behind
        first = waiting[0].get_json()["id"]
        assert client.post(f"/api/backtests/{first}/cancel", json={}).status_code == 202
        assert client.post("/api/backtests", json=body).status_code == 202  # room again
    finally:
        settle(orch, blocking)
        orch.stop()


def test_thirty_posts_in_a_row_are_not_all_accepted(tmp_path, blocking):
    app, orch = _capped_app(tmp_path)
    client = app.server.test_client()
    body = {"symbol": "BTC/USDT", "strategy": "buy_and_hold"}
    try:
        long_run = client.post("/api/backtests", json={**body, "strategy": Blocking.name})
        _running(client, long_run.get_json()["id"])
        codes = [client.post("/api/backtests", json=body).status_code for _ in range(30)]
        assert codes == [202] * 20 + [429] * 10  # limits.queued_jobs: 20 by default
    finally:
        settle(orch, blocking)
        orch.stop()


def test_the_runner_refuses_a_run_past_the_limit(tmp_path, blocking):
    from backtest.request import parse_request
    from core.jobs import QueueFull

    app, orch = _capped_app(tmp_path, queued_jobs=1)
    try:
        orch.backtests.submit(parse_request({"symbol": "BTC/USDT", "strategy": Blocking.name},
                                            orch))  # fmt: skip
        orch.backtests.submit(parse_request({"symbol": "BTC/USDT", "strategy": "buy_and_hold"},
                                            orch))  # fmt: skip
        with pytest.raises(QueueFull, match="at most 1"):
            orch.backtests.submit(parse_request({"symbol": "BTC/USDT",
                                                 "strategy": "buy_and_hold"}, orch))  # fmt: skip
    finally:
        settle(orch, blocking)
        orch.stop()


def test_a_portfolio_run_carries_the_whole_and_each_symbol(client, app):
    orch = app.server.extensions["orchestrator"]
    orch.store.merge_history("ETH/USDT", "1m", make_candles(N, start=T0, frame_ms=60_000, seed=9))
    body = {"symbols": ["BTC/USDT", "ETH/USDT"], "weights": {"BTC/USDT": 1, "ETH/USDT": 3},
            "timeframe": "1m", "start": T0, "end": T0 + N * 60_000, "strategy": "sma_cross",
            "params": {"fast": 5, "slow": 30, "sl_pct": 0.5}, "spread": 0.0002}  # fmt: skip
    answer = client.post("/api/backtests", json=body)
    assert answer.status_code == 202, answer.get_json()
    run = _wait(client, answer.get_json()["id"])
    assert run["status"] == "done", run.get("error")
    assert set(run["symbols"]) == {"BTC/USDT", "ETH/USDT"}
    assert run["symbols"]["ETH/USDT"]["share"] == 0.75
    assert run["portfolio"]["stats"] == run["stats"]
    assert run["params"]["params"]["sl_pct"] == 0.5 and run["params"]["spread"] == 0.0002
    total = sum(s["stats"]["Equity Final [$]"] for s in run["symbols"].values())
    assert run["stats"]["Equity Final [$]"] == pytest.approx(total)
    assert "stats_notes" in run
    single = client.get(f"/api/backtests/{client.get('/api/backtests').get_json()[-1]['id']}")
    assert "portfolio" not in single.get_json()


def test_a_cancel_accepted_late_in_a_run_still_ends_it_cancelled(client, app, monkeypatch):
    """The review's case: a Cancel pressed while the run logs to MLflow (its results saved) used
    to end it "done". The one atomic check before done sees it."""
    import threading

    orch = app.server.extensions["orchestrator"]
    logging_now, release = threading.Event(), threading.Event()
    real = type(orch.backtests)._log_mlflow

    def slow_log(self, *args, **kwargs):
        logging_now.set()
        assert release.wait(30)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(orch.backtests), "_log_mlflow", slow_log)
    body = {"symbol": "BTC/USDT", "strategy": "sma_cross", "start": T0, "end": T0 + N * 60_000}
    run_id = client.post("/api/backtests", json=body).get_json()["id"]
    assert logging_now.wait(60)
    assert client.post(f"/api/backtests/{run_id}/cancel", json={}).status_code == 202
    release.set()
    assert _wait(client, run_id)["status"] == "cancelled"
