"""R1 in the test suite: a few hundred generated requests (bench/fuzz.py runs 5,000 against the
served app) to every route of /api/openapi.json, with a model trained so /api/predict runs."""

import json
import time

import pytest

from app import create_app
from bench.fuzz import Call, check, run, seeds_for
from bench.harness import TINY_TRAINING, predict_body, train_tiny_model
from runtime.config import config_from_dict
from tests.helpers import backtests as backtest_helpers

blocking = backtest_helpers.blocking  # a fixture: a backtest run that waits while the queue fills


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz")
    train_tiny_model(base / "data")
    config = config_from_dict(
        {"data_dir": str(base / "data"), "training": TINY_TRAINING,
         "feed": {"backfill_1m_hours": 1, "backfill_1s_minutes": 2}},
        base_dir=base,
    )  # fmt: skip
    app = create_app(config=config)
    orch = app.server.extensions["orchestrator"]
    orch.start()
    yield app.server.test_client()
    orch.stop()


def send_with(client):
    def send(call: Call) -> tuple[int, bytes]:
        response = client.open(
            call.path, method=call.method, query_string=call.query, data=call.body,
            content_type=call.content_type,
        )  # fmt: skip
        return response.status_code, response.data

    return send


def test_the_checker_flags_a_5xx_and_a_non_json_error():
    call = Call("GET", "/api/health", {}, None, None)
    assert check(call, 500, b"oops") and check(call, 400, b"<html>")
    assert check(call, 400, b'{"error": "symbol is required"}') is None


def test_three_hundred_generated_requests_get_no_5xx(client):
    document = client.get("/api/openapi.json").get_json()
    seeds = seeds_for(predict_body(), int(time.time() * 1000) - 60_000)
    result = run(send_with(client), document, 300, seed=7, seeds=seeds)
    assert result["5xx"] == 0 and result["problem_count"] == 0, result["problems"]
    assert set(result["by_operation"]) >= {
        "GET /api/live-updates", "GET /api/health", "POST /api/predict", "POST /api/predict/batch",
        "GET /api/model/info",
    }  # fmt: skip
    # The valid body the fuzz spoils goes past the checks. (Asked directly: which of the ~10
    # generated predict calls happen to carry it unspoiled depends on how many operations the
    # document has.)
    assert client.post("/api/predict", data=predict_body(),
                       content_type="application/json").status_code == 200  # fmt: skip
    assert client.get("/api/health").status_code == 200


# ---- issue 19: the security review's findings stay fixed -------------------------------------

PROBE_TOKEN = "fuzz-probe-token-0123456789"


def probe_with(client, token=None):
    def send(probe):
        headers = dict(probe.headers or {})
        if token and probe.bearer:
            headers.setdefault("Authorization", f"Bearer {token}")
        response = client.open(
            probe.path, method=probe.method, data=probe.body, content_type=probe.content_type,
            headers=headers,
        )  # fmt: skip
        return response.status_code, dict(response.headers), response.data

    return send


def test_the_security_probes_find_nothing(tmp_path, blocking):
    from bench.fuzz import run_probes, security_probes
    from tests.helpers.backtest_queue import settle
    from tests.helpers.backtests import Blocking
    from tests.helpers.candles import make_candles

    def app_with(folder, **server):
        data = {"data_dir": str(tmp_path / folder / "data"), "limits": {"queued_jobs": 3},
                "server": {"login_attempts": 4, **server}}  # fmt: skip
        return create_app(config=config_from_dict(data, base_dir=tmp_path / folder))

    open_app, locked_app = app_with("open"), app_with("locked", auth_token=PROBE_TOKEN)
    for app in (open_app, locked_app):
        orch = app.server.extensions["orchestrator"]
        orch.store.merge_history("BTC/USDT", "1m", make_candles(300, frame_ms=60_000))
    candles = json.loads(predict_body())["candles"]
    probes = security_probes(PROBE_TOKEN, candles, login_attempts=4,
                             slow_strategy=Blocking.name, queued_jobs=3)  # fmt: skip
    try:
        result = run_probes(
            probe_with(open_app.server.test_client(use_cookies=False)),
            probe_with(locked_app.server.test_client(use_cookies=False), PROBE_TOKEN),
            probes,
        )
    finally:
        for app in (open_app, locked_app):
            settle(app.server.extensions["orchestrator"], blocking)
            app.server.extensions["orchestrator"].stop()
    assert result["problems"] == [] and result["probes"] >= 30
    findings = {p.finding.split()[0] for p in probes}
    assert findings >= {"1", "2", "3", "4", "7", "8", "10"}


def test_the_offline_cases_find_nothing(tmp_path):
    from bench.fuzz import run_offline

    result = run_offline(seed=3, count=200, folder=tmp_path)
    assert result["problems"] == [], result["problems"][:5]
