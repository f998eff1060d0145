"""``compute.backend: ray`` against a real local Ray head (``ray start --head``): a training job
runs as a Ray task with its data through the object store, reports progress and registers its
model; the executor hook gives results as they finish and cancels; an address nobody answers
fails at once, saying so."""

from __future__ import annotations

import os
import sys
import time

import pytest

from core.compute import ComputeCancelled, ComputeError, RayCluster, ray_cluster
from core.jobs import CANCELLED, DONE, FAILED
from runtime.config import config_from_dict
from runtime.orchestrator import Orchestrator
from runtime.training_jobs import start_training
from tests.helpers.pattern_data import build_pattern_dataset
from tests.helpers.postgres import free_port
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.slow  # a Ray head and a training on it: about 20 s


def square_plus(shared: list[int], x: int) -> int:
    return sum(shared) + x * x


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_an_unreachable_cluster_fails_at_once_with_the_reason():
    began = time.monotonic()
    with pytest.raises(ComputeError, match="cannot reach the Ray cluster at 127.0.0.1:"):
        RayCluster(f"127.0.0.1:{free_port()}").connect()
    assert time.monotonic() - began < 10


def test_a_training_job_runs_as_a_ray_task_and_the_hook_runs_and_cancels_tasks(tmp_path, head):
    config = config_from_dict({
        "data_dir": str(tmp_path / "data"), "neural": {"bootstrap": False},
        "compute": {"backend": "ray", "address": head.address},
        "training": {"window": 4, "params": {"random_forest": {"n_estimators": 3}}},
    }, base_dir=tmp_path)  # fmt: skip
    orch = Orchestrator(config)
    try:
        build_pattern_dataset(config.datasets_path, window=4)
        job = start_training(orch, "random_forest", started_by="olga")
        stages = set()

        def finished():
            state = orch.jobs.get(job.id)
            stages.add(state.stage)
            return state.status in (DONE, FAILED, CANCELLED) and state

        state = wait_for(finished, timeout=180, interval=0.1)
        assert state.status == DONE, state.message
        assert state.result["model_version"] == "1"
        assert orch.last_compute["pid"] != os.getpid()  # it ran in a Ray worker
        assert stages & {"fitting", "evaluating", "registering", "windows", "loading"}
        assert orch.patterns.refresh() is not None and orch.patterns.current().info["version"]
    finally:
        orch.stop()
        orch.db.close()

    import ray.cloudpickle

    # The workers get the project's packages, not the tests: ship these functions by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    cluster = ray_cluster(head.address)
    shared = cluster.share([1, 2, 3])
    tasks = [cluster.submit(square_plus, shared, x) for x in range(4)]
    assert sorted(result for _, result in cluster.as_completed(tasks)) == [6, 7, 10, 15]
    slow = cluster.submit(nap, 60)
    cluster.cancel(slow)
    began = time.monotonic()
    with pytest.raises(ComputeCancelled, match="cancelled"):
        list(cluster.as_completed([slow], timeout_s=30))
    assert time.monotonic() - began < 30
