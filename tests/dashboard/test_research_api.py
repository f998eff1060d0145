"""Parameter searches and walk-forwards through the REST API, with the real parts: jobs, SQLite,
two worker processes, MLflow's store."""

from __future__ import annotations

import pytest

from app import create_app
from backtest.search_request import parse_search
from core.jobs import JobCancelled
from runtime.config import config_from_dict
from tests.helpers import market_data as fixtures_market
from tests.helpers.research import store_frame
from tests.helpers.waiting import wait_for

market_candles = fixtures_market.market_candles
GOOG = market_candles("GOOG")

GRID = {"symbol": "GOOG", "timeframe": "1d", "strategy": "sma_cross",
        "params": {"fast": "5:50:5", "slow": "20:200:10"}, "constraint": "fast < slow",
        "maximize": "Sharpe Ratio", "commission": 0.002, "fractional_unit": 1,
        "start": int(GOOG.index[0]), "end": int(GOOG.index[-1])}  # fmt: skip


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    base = tmp_path_factory.mktemp("research_api")
    config = config_from_dict(
        {"data_dir": str(base / "data"), "compute": {"workers": 2}}, base_dir=base
    )
    app = create_app(config=config)
    orch = app.server.extensions["orchestrator"]
    store_frame(orch, "GOOG", "1d", GOOG)
    yield app
    orch.stop()


@pytest.fixture
def client(app):
    return app.server.test_client()


@pytest.fixture
def orch(app):
    return app.server.extensions["orchestrator"]


def _wait(client, path: str, timeout: float = 120) -> dict:
    def ended():
        run = client.get(path).get_json()
        return run if run["status"] in ("done", "failed", "cancelled") else None

    return wait_for(ended, timeout=timeout)


def test_a_grid_search_runs_stores_its_trials_and_reruns_the_best(client, orch):
    answer = client.post("/api/searches", json=GRID)
    assert answer.status_code == 202
    run = _wait(client, f"/api/searches/{answer.get_json()['id']}")
    assert run["status"] == "done", run["error"]
    assert len(run["trials"]) == 174
    assert all(t["params"]["fast"] < t["params"]["slow"] for t in run["trials"])
    best = run["result"]["best"]
    top = max((t for t in run["trials"] if t["value"] is not None), key=lambda t: t["value"])
    assert best["params"] == top["params"] and best["value"] == top["value"]
    assert best["stats"]["Sharpe Ratio"] == pytest.approx(top["value"])
    assert best["stats"]["# Trades"] == len(best["trades"]) > 0
    assert 0 < len(best["equity"]) <= 2000
    listed = client.get("/api/searches").get_json()
    assert listed[0]["id"] == run["id"] and listed[0]["trials_count"] == 174
    assert listed[0]["best"]["params"] == best["params"]
    csv = client.get(f"/api/searches/{run['id']}/trials?format=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    header = csv.get_data(as_text=True).splitlines()[0].split(",")
    assert header[:4] == ["fast", "slow", "value", "trades"] and "Sharpe Ratio" in header
    assert len(csv.get_data(as_text=True).strip().splitlines()) == 175
    # MLflow: one parent run with the request, the best statistics and the trials as a table
    from mlflow import MlflowClient

    tracking = f"sqlite:///{orch.config.data_path / 'mlflow.db'}"
    mlflow = MlflowClient(tracking_uri=tracking)
    parent = mlflow.get_run(run["mlflow_run_id"])
    assert parent.data.params["maximize"] == "Sharpe Ratio"
    assert parent.data.params["param.fast"] == "5:50:5"
    assert parent.data.metrics["Sharpe Ratio"] == pytest.approx(top["value"])
    artifacts = {a.path for a in mlflow.list_artifacts(run["mlflow_run_id"], "search")}
    assert {"search/trials.json", "search/trials.csv", "search/best_trades.csv"} <= artifacts
    children = mlflow.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert len(children) == 0  # no child run per trial (see bench/search.py)


BAD = [
    ({**GRID, "params": {"fast": "5:50", "slow": 20}}, 400, "params.fast"),
    ({**GRID, "params": {"fast": "0:50:5", "slow": 200}}, 400, "params.fast"),
    ({**GRID, "params": {"fast": 5, "slow": 20}}, 400, "params"),
    ({**GRID, "params": {"fastest": "1:5:1"}}, 400, "params.fastest"),
    ({**GRID, "constraint": "fast ** 2 < slow"}, 400, "constraint"),
    ({**GRID, "constraint": "__import__('os')"}, 400, "constraint"),
    ({**GRID, "constraint": "fast > 1000"}, 400, "constraint"),
    ({**GRID, "maximize": "Start"}, 400, "maximize"),
    ({**GRID, "maximize": "Happiness"}, 400, "maximize"),
    ({**GRID, "method": "sambo"}, 400, "method"),
    ({**GRID, "max_tries": 0}, 400, "max_tries"),
    ({**GRID, "min_trades": -1}, 400, "min_trades"),
    ({**GRID, "symbol": "NOPE"}, 404, "symbol"),
    ({**GRID, "cash": -5}, 400, "cash"),
    ({**GRID, "is_bars": 100}, 400, "is_bars"),
]


@pytest.mark.parametrize("body, status, field", BAD)
def test_bad_searches_are_refused_naming_the_field(client, body, status, field):
    answer = client.post("/api/searches", json=body)
    assert answer.status_code == status, answer.get_json()
    assert answer.get_json()["error"].startswith(f"{field}:")


def test_the_constraint_refusal_names_the_part_refused(client):
    answer = client.post("/api/searches", json={**GRID, "constraint": "fast < slow.real"})
    assert "'slow.real'" in answer.get_json()["error"]


def test_the_paths_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for collection in ("searches", "walkforwards"):
        assert {f"/api/{collection}", f"/api/{collection}/{{id}}",
                f"/api/{collection}/{{id}}/cancel"} <= set(paths)  # fmt: skip
    assert "post" in paths["/api/searches"] and "get" in paths["/api/searches"]
    assert client.get("/api/searches/nope").status_code == 404
    assert client.post("/api/searches/nope/cancel", json={}).status_code == 404


class _StopAfter:
    """A job whose Cancel is pressed once ``count`` trials are stored."""

    def __init__(self, orch, run_id: str, count: int):
        self.orch, self.run_id, self.count = orch, run_id, count

    def progress(self, fraction, stage=None):
        if self.orch.research.store.count_trials(self.run_id) >= self.count:
            raise JobCancelled()

    def check(self):
        return None

    def commit(self):
        return True

    def cancelled(self):
        return False


@pytest.mark.parametrize("method", ["grid", "tpe"])
def test_a_cancelled_search_keeps_its_trials_and_resumes_to_the_same_result(orch, method):
    body = {**GRID, "method": method, "max_tries": 40 if method == "tpe" else None, "seed": 4}
    request = parse_search({k: v for k, v in body.items() if v is not None}, orch)
    research = orch.research
    whole = research.run_now("search", request)
    assert whole["status"] == "done"

    run_id = research.store.create("search", request.to_dict())
    with pytest.raises(JobCancelled):
        research.execute(run_id, "search", request, _StopAfter(orch, run_id, 12))
    stopped = research.get(run_id)
    assert stopped["status"] == "cancelled"
    kept = len(stopped["trials"])
    assert 12 <= kept < len(whole["trials"])
    assert research.resume(run_id)
    resumed = wait_for(lambda: research.get(run_id)["status"] == "done" and research.get(run_id),
                       timeout=120)  # fmt: skip
    pairs = [(t["params"], t["value"], t["trades"]) for t in resumed["trials"]]
    assert pairs == [(t["params"], t["value"], t["trades"]) for t in whole["trials"]]
    assert resumed["result"]["best"]["params"] == whole["result"]["best"]["params"]


def test_a_cancel_accepted_ends_the_search_cancelled(client, orch):
    big = {**GRID, "params": {"fast": "2:60:1", "slow": "10:250:2"}}
    first = client.post("/api/searches", json=big).get_json()["id"]
    queued = client.post("/api/searches", json=GRID).get_json()["id"]
    assert client.post(f"/api/searches/{queued}/cancel", json={}).status_code == 202
    assert client.get(f"/api/searches/{queued}").get_json()["status"] == "cancelled"
    wait_for(lambda: orch.research.store.count_trials(first) > 0, timeout=60)
    assert client.post(f"/api/searches/{first}/cancel", json={}).status_code == 202
    run = _wait(client, f"/api/searches/{first}")
    assert run["status"] == "cancelled"
    assert 0 < len(run["trials"]) < 3000
    assert client.post(f"/api/searches/{first}/cancel", json={}).status_code == 409
    # an interrupted run (the app stopped) is marked failed at the next start, then resumes
    orch.research.store.update(first, status="running")
    orch.research.recover()
    assert "interrupted" in client.get(f"/api/searches/{first}").get_json()["error"]
    assert client.post(f"/api/searches/{first}/resume", json={}).status_code == 202
    assert client.post(f"/api/searches/{first}/cancel", json={}).status_code == 202
    assert _wait(client, f"/api/searches/{first}")["status"] == "cancelled"


def test_a_walkforward_reports_folds_oos_equity_and_efficiency(client):
    body = {**GRID, "is_bars": 500, "oos_bars": 250, "gap_bars": 5}
    answer = client.post("/api/walkforwards", json=body)
    assert answer.status_code == 202, answer.get_json()
    run = _wait(client, f"/api/walkforwards/{answer.get_json()['id']}", timeout=180)
    assert run["status"] == "done", run["error"]
    result = run["result"]
    folds = result["folds"]
    assert len(folds) == (2148 - 500 - 5) // 250
    for fold in folds:
        assert fold["is"][1] < fold["oos"][0]
        assert set(fold["params"]) == {"fast", "slow"}
        assert fold["oos_stats"]["Start"] and fold["is_stats"]["Return [%]"] is not None
    # compounded: each fold starts from the previous fold's ending equity
    equity = result["oos_equity"]
    assert equity[0]["equity"] == pytest.approx(10_000)
    assert equity[-1]["equity"] == pytest.approx(result["oos_stats"]["Equity Final [$]"])
    assert result["efficiency"] is None or isinstance(result["efficiency"], float)
    assert set(result["stability"]) == {"fast", "slow"}
    assert client.get("/api/walkforwards").get_json()[0]["id"] == run["id"]
