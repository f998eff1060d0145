"""The local executor: arrays shared once (read-only in the workers), never a plain fork, results
as trials finish, a failing trial on its own, an early stop drops what has not started."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from core import compute
from core.compute import LocalExecutor, TrialError, make_executor
from core.config import ComputeConfig, default_workers


def _look(arrays, setup, params):
    """A trial: reads the shared arrays; ``write`` tries to change them; ``boom`` raises."""
    if params.get("boom"):
        raise ValueError("boom")
    if params.get("write"):
        arrays["x"][0] = 1.0
    i = params["i"]
    return {"value": float(arrays["x"][i] * setup + arrays["n"][i % 3]), "pid": os.getpid(),
            "shared": not arrays["x"].flags.owndata}  # fmt: skip


@pytest.fixture(scope="module")
def executor():
    arrays = {"x": np.arange(1000, dtype=np.float64), "n": np.array([1, 2, 3], dtype=np.int64)}
    with LocalExecutor(2, arrays) as pool:
        yield pool


def test_workers_start_with_forkserver_or_spawn_never_fork(executor):
    method = executor._pool._mp_context.get_start_method()
    assert method in ("forkserver", "spawn")


def test_trials_read_the_shared_arrays_and_come_back_as_they_finish(executor):
    trials = [{"i": i} for i in range(200)]
    results = dict(executor.map(_look, 2.0, trials))
    assert sorted(results) == list(range(200))
    assert all(results[i]["value"] == i * 2.0 + (i % 3 + 1) for i in range(200))
    assert all(r["shared"] for r in results.values())  # views on the block, not copies
    assert all(r["pid"] != os.getpid() for r in results.values())


def test_a_failing_trial_is_its_own_result_and_the_arrays_are_read_only(executor):
    results = dict(executor.map(_look, 1.0, [{"i": 1}, {"boom": True}, {"i": 2, "write": True}]))
    assert results[0]["value"] == 1.0 + 2
    assert results[1] == TrialError("ValueError: boom")
    assert isinstance(results[2], TrialError) and "read-only" in results[2].message


def test_stopping_early_drops_the_trials_not_started(executor):
    stream = executor.map(_look, 1.0, [{"i": i % 1000} for i in range(20_000)])
    first = [next(stream) for _ in range(5)]
    stream.close()
    assert len(first) == 5
    # the pool is still usable afterwards
    assert dict(executor.map(_look, 1.0, [{"i": 3}]))[0]["value"] == 3.0 + 1


def test_the_config_names_the_workers():
    assert default_workers() == max(1, (os.cpu_count() or 1) - 1)
    assert ComputeConfig().workers == default_workers()
    with make_executor(ComputeConfig(workers=1), {"x": np.zeros(3)}) as pool:
        assert pool.workers == 1
    from core.config import ConfigError, build_section

    with pytest.raises(ConfigError, match="compute.workers: must be 1..1024"):
        build_section(ComputeConfig, {"workers": 0}, "compute")


class _SlowRay:
    """Stands in for the ray module: ``init`` connects only once ``answer`` is set."""

    def __init__(self):
        self.answer, self.connected, self.done = threading.Event(), False, threading.Event()

    def is_initialized(self) -> bool:
        return self.connected

    def init(self, **_kwargs) -> None:
        self.answer.wait(10)
        self.connected = True

    def shutdown(self) -> None:
        self.connected = False
        self.done.set()


def test_a_connection_that_comes_after_the_timeout_is_closed(monkeypatch):
    """The caller gave up (a clear error); the connection that completes later is closed, so the
    process is free to connect again and no Ray driver outlives the cluster it waited for."""
    slow = _SlowRay()
    monkeypatch.setattr(compute, "_ray", lambda: slow)
    monkeypatch.setattr(compute, "_reachable", lambda address: None)
    cluster = compute.RayCluster("127.0.0.1:6379")
    with pytest.raises(compute.ComputeError, match="did not answer within 0.2 s"):
        cluster.connect(timeout_s=0.2)
    slow.answer.set()
    assert slow.done.wait(10) and not slow.connected
    cluster.connect(timeout_s=5)  # on time: kept
    assert slow.connected
