"""R5: a training job that crashes and a corrupt model file. The job shows as failed, the app
keeps answering, and the champion stays the champion."""

import json
import time

import pytest

from app import create_app
from bench.harness import TINY_TRAINING, predict_body, train_tiny_model
from core.jobs import FAILED, RUNNING
from models.xgboost_model import XGBoostPredictor
from runtime.config import config_from_dict
from runtime.training_jobs import start_training, train_now
from training.champion import champion_info
from training.tracking import Tracker

pytestmark = pytest.mark.slow  # seconds each: `pytest -m 'not slow and not browser'` skips them


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("broken")
    train_tiny_model(base / "data")
    config = config_from_dict(
        {"data_dir": str(base / "data"), "training": {**TINY_TRAINING, "min_improvement": 1.0}},
        base_dir=base,
    )
    app = create_app(config=config)
    orch = app.server.extensions["orchestrator"]
    tracker = Tracker(config.data_path, None, config.training.experiment)
    yield app.server.test_client(), orch, tracker
    orch.jobs.shutdown()


def predict(client, **extra):
    body = {"candles": json.loads(predict_body())["candles"], **extra}
    return client.post("/api/predict", json=body)


def wait_done(orch, job, timeout=120):
    deadline = time.monotonic() + timeout
    while orch.jobs.get(job.id).status == RUNNING and time.monotonic() < deadline:
        time.sleep(0.1)
    return orch.jobs.get(job.id)


def test_a_training_job_that_crashes_fails_alone(served, monkeypatch):
    client, orch, tracker = served
    assert predict(client).get_json()["model"]["version"] == "1"

    def crash(self, *args, **kwargs):
        raise MemoryError("the training process ran out of memory")

    monkeypatch.setattr(XGBoostPredictor, "fit", crash)
    job = wait_done(orch, start_training(orch, "xgboost"))
    assert job.status == FAILED and "out of memory" in job.message
    latest = tracker.list_runs(limit=1)[0]
    assert latest["status"] == "FAILED"
    assert champion_info(tracker, "pattern-classifier")["version"] == "1"
    assert client.get("/api/health").status_code == 200
    assert predict(client).get_json()["model"]["version"] == "1"


def test_a_corrupt_model_file_is_refused_and_the_champion_kept(served):
    client, orch, tracker = served
    result = train_now(orch, "xgboost")  # v2, not promoted (min_improvement 1.0)
    assert result.model_version == "2" and not result.champion.promoted
    folder = tracker.download_model("pattern-classifier", "2") / "artifacts" / "predictor"
    spoiled = [p for p in folder.iterdir() if p.name not in ("metadata.json", "training.json")]
    assert spoiled
    for path in spoiled:
        path.write_bytes(b"\x00garbage, not a model\xff" * 10)
    pinned = predict(client, version=2)
    assert pinned.status_code == 503 and "could not be loaded" in pinned.get_json()["error"]
    # The alias moves to the corrupt version (a promotion elsewhere): the app keeps serving v1.
    tracker.client.set_registered_model_alias("pattern-classifier", "champion", "2")
    orch.patterns.check_every_s = 0
    answer = predict(client)
    assert answer.status_code == 200 and answer.get_json()["model"]["version"] == "1"
    assert client.get("/api/health").status_code == 200
    tracker.client.set_registered_model_alias("pattern-classifier", "champion", "1")
