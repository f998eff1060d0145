"""R1 in the test suite: a few hundred generated requests (bench/fuzz.py runs 5,000 against the
served app) to every route of /api/openapi.json, with a model trained so /api/predict runs."""

import time

import pytest

from app import create_app
from bench.fuzz import Call, check, run, seeds_for
from bench.harness import TINY_TRAINING, predict_body, train_tiny_model
from runtime.config import config_from_dict


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
    assert 200 in result["by_operation"]["POST /api/predict"]  # it went past the checks too
    assert client.get("/api/health").status_code == 200
