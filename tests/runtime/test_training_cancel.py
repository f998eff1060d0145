"""A Cancel accepted before a training job ends always ends it cancelled and registers nothing,
even when it arrives after the model's last check for it (while the run is being logged)."""

import pytest
import torch
import yaml

import training.neural_pipeline as neural_pipeline
from app import create_app
from core.candles import frame_to_candles
from core.jobs import CANCELLED, DONE
from runtime.config import load_config
from runtime.neural_jobs import start_neural_training
from serving.neural_inference import champion_version
from tests.helpers.neural_data import SMALL_SPEC, TINY_PARAMS, wave_candles
from tests.helpers.waiting import wait_for

torch.set_num_threads(1)


@pytest.fixture
def orch(tmp_path):
    path = tmp_path / "config.yaml"
    neural = {"window": 8, "horizon": 3, "features": SMALL_SPEC.to_dict(),
              "params": TINY_PARAMS, "bootstrap": False}  # fmt: skip
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "symbols": ["BTC/USDT"],
                                    "neural": neural}))  # fmt: skip
    app = create_app(config=load_config(str(path)))
    orch = app.server.extensions["orchestrator"]
    orch.store.merge_history("BTC/USDT", "1m", frame_to_candles(wave_candles(400, seed=2)))
    yield orch
    orch.stop()


def test_a_cancel_after_the_last_fit_check_ends_cancelled_and_registers_nothing(orch, monkeypatch):
    log_model = neural_pipeline._log_model
    job_ids, accepted = [], []

    def cancel_then_log(*args, **kwargs):
        # Fitting is over (no more should_stop checks): the Cancel press lands here.
        accepted.append(orch.jobs.cancel(job_ids[0]))
        return log_model(*args, **kwargs)

    monkeypatch.setattr(neural_pipeline, "_log_model", cancel_then_log)
    job = start_neural_training(orch, "dqn")
    job_ids.append(job.id)
    wait_for(lambda: orch.jobs.get(job.id).status != "running", timeout=120)
    assert accepted == [True]
    assert orch.jobs.get(job.id).status == CANCELLED
    assert champion_version(orch.config, "dqn") is None  # nothing registered

    # Without a cancel the same training registers version 1.
    monkeypatch.setattr(neural_pipeline, "_log_model", log_model)
    job = start_neural_training(orch, "dqn")
    wait_for(lambda: orch.jobs.get(job.id).status != "running", timeout=120)
    assert orch.jobs.get(job.id).status == DONE
    assert champion_version(orch.config, "dqn") == "1"
