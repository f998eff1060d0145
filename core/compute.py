"""Where long work runs: in this process's workers (``compute.backend: local``, the default) or
as tasks on a Ray cluster (``compute.backend: ray``, ``compute.address``).

``RayCluster`` is the small executor hook the jobs use, and that parameter searches can use:

    cluster = ray_cluster("127.0.0.1:6379")
    data = cluster.share(frame)                  # once, through Ray's object store
    tasks = [cluster.submit(score, data, p) for p in grid]
    for task, result in cluster.as_completed(tasks):   # results as they finish
        ...
    cluster.cancel(task)                         # a task not needed any more

``submit`` takes any picklable function (a module-level one of this project: the workers get
the project's code through Ray's ``runtime_env``) and its inputs; a shared value passed as an
input reaches the task as the value itself. ``run`` submits one task and waits for it, reporting
progress and cancelling it when asked, as a local job would.

A cluster that cannot be reached fails at once with the reason (``ComputeError``), never hangs:
the address is checked over TCP before Ray is asked, and Ray's own connect is bounded.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PROJECT = Path(__file__).resolve().parent.parent
SCALE_EXTRA = "pip install -c constraints.txt -r requirements-scale.txt"
# What the workers need of the project: its packages, not its data, tests or environment, and
# never the config file (gitignore patterns, "/" = the project root): it holds the API tokens
# and the database password, and workers get their settings as task arguments instead.
EXCLUDES = ["/config.yaml", "/config.yml", ".env", ".venv", ".git", "data", "tests", "bench",
            "docs", "assets", "**/__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache", "mlruns",
            "*.db", "*.tar.gz"]  # fmt: skip
CONNECT_TIMEOUT_S = 30.0


class ComputeError(RuntimeError):
    """The compute backend can't run the work (unreachable cluster, missing package ...)."""


def _ray():
    try:
        import ray
    except ImportError:
        raise ComputeError(
            f"compute.backend is ray, but Ray is not installed: {SCALE_EXTRA}"
        ) from None
    return ray


def _reachable(address: str, timeout_s: float = 3.0) -> None:
    """A TCP connect to the head first: an address nobody answers fails now, with the reason."""
    if address in ("auto", "local"):
        return
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ComputeError(
            f"compute.address {address!r}: expected auto, host:port or ray://host:10001"
        )
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            pass
    except OSError as exc:
        raise ComputeError(
            f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}. Start a head "
            "(ray start --head, README: Scaling out) or fix compute.address"
        ) from None


class RayCluster:
    """A connection of this process to one Ray cluster (Ray allows one per process)."""

    def __init__(self, address: str):
        self.address = address
        self._lock = threading.Lock()
        self._connected = False

    def connect(self, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        with self._lock:
            if self._connected:
                return
            ray = _ray()
            _reachable(self.address)
            if ray.is_initialized():
                raise ComputeError(
                    "this process is already connected to another Ray cluster; one per process"
                )
            failure: list[BaseException] = []

            def init() -> None:
                try:
                    ray.init(
                        address=self.address,
                        runtime_env={"working_dir": str(PROJECT), "excludes": EXCLUDES,
                                     "env_vars": {"MLFLOW_DISABLE_TELEMETRY": "true"}},
                        logging_level=logging.WARNING,
                        log_to_driver=False,
                    )  # fmt: skip
                except BaseException as exc:  # reported below, in the caller's thread
                    failure.append(exc)

            worker = threading.Thread(target=init, name="ray-connect", daemon=True)
            worker.start()
            worker.join(timeout_s)
            if worker.is_alive():
                raise ComputeError(
                    f"the Ray cluster at {self.address} did not answer within {timeout_s:g} s"
                )
            if failure:
                raise ComputeError(
                    f"cannot connect to the Ray cluster at {self.address}: {failure[0]}"
                ) from None
            self._connected = True
            log.info("connected to the Ray cluster at %s", self.address)

    # ---- the executor hook -----------------------------------------------------------------
    def share(self, value: Any):
        """Put ``value`` into the object store once; pass the result to many tasks."""
        self.connect()
        return _ray().put(value)

    def submit(self, fn: Callable, *args, num_cpus: float = 1, num_gpus: float = 0, **kwargs):
        """Run ``fn(*args, **kwargs)`` as a Ray task; returns its handle."""
        self.connect()
        ray = _ray()
        if num_gpus and ray.cluster_resources().get("GPU", 0) < num_gpus:
            raise ComputeError(
                f"the Ray cluster at {self.address} has no GPU for a task that needs "
                f"{num_gpus:g} (training.device is cuda): add a GPU node or set device to cpu"
            )
        return _remote(fn).options(num_cpus=num_cpus, num_gpus=num_gpus).remote(*args, **kwargs)

    def as_completed(self, tasks: Iterable, timeout_s: float | None = None) -> Iterator:
        """``(task, result)`` as each finishes; a task's error is raised when its turn comes."""
        ray = _ray()
        pending = list(tasks)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while pending:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, pending = ray.wait(pending, num_returns=1, timeout=left)
            if not done:
                raise ComputeError(f"{len(pending)} Ray tasks still running after {timeout_s} s")
            try:
                result = ray.get(done[0])
            except ray.exceptions.TaskCancelledError:
                raise ComputeCancelled("the Ray task was cancelled") from None
            yield done[0], result

    def cancel(self, task) -> None:
        _ray().cancel(task, force=True)

    def run(
        self,
        fn: Callable,
        *args,
        num_gpus: float = 0,
        report: Callable[[float, str | None], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
        poll_s: float = 0.5,
        grace_s: float = 15.0,
        **kwargs,
    ):
        """Run ``fn(*args, progress=RemoteProgress, **kwargs)`` as one task and wait for its
        result. The task reports through its ``progress`` (passed on to ``report``) and sees a
        cancel there (``cancelled()`` true), so it can end cleanly; after ``grace_s`` it is
        stopped by force."""
        self.connect()
        ray = _ray()
        box = _progress_class().remote()
        task = self.submit(fn, *args, num_gpus=num_gpus, progress=RemoteProgress(box), **kwargs)
        seen = None
        stop_asked = None
        try:
            while True:
                done, _ = ray.wait([task], timeout=poll_s)
                state = ray.get(box.state.remote())
                if report is not None and state != seen:
                    seen = state
                    report(*state)
                if done:
                    return ray.get(task)
                if stop_asked is None and cancelled is not None and cancelled():
                    stop_asked = time.monotonic()
                    box.request_stop.remote()
                if stop_asked is not None and time.monotonic() - stop_asked > grace_s:
                    self.cancel(task)
                    raise ComputeCancelled("cancelled; the Ray task was stopped by force")
        finally:
            ray.kill(box)


class RemoteProgress:
    """Inside a task: report progress to the job that waits for it, and hear its Cancel."""

    CHECK_EVERY_S = 0.5

    def __init__(self, box):
        self.box = box
        self._checked = 0.0
        self._stop = False

    def report(self, fraction: float, stage: str | None = None) -> None:
        self.box.report.remote(fraction, stage)  # not waited for

    def stop_requested(self) -> bool:
        now = time.monotonic()
        if not self._stop and now - self._checked >= self.CHECK_EVERY_S:
            self._checked = now
            self._stop = _ray().get(self.box.stopped.remote())
        return self._stop


@lru_cache(maxsize=1)
def _progress_class():
    ray = _ray()

    @ray.remote(num_cpus=0)
    class Progress:
        def __init__(self):
            self.fraction, self.stage, self.stop = 0.0, None, False

        def report(self, fraction, stage):
            if fraction is not None:
                self.fraction = fraction
            if stage is not None:
                self.stage = stage

        def state(self):
            return self.fraction, self.stage

        def request_stop(self):
            self.stop = True

        def stopped(self):
            return self.stop

    return Progress


class ComputeCancelled(ComputeError):
    """The work was cancelled while it ran on the cluster."""


@lru_cache(maxsize=64)
def _remote(fn: Callable):
    return _ray().remote(fn)


_CLUSTERS: dict[str, RayCluster] = {}
_CLUSTERS_LOCK = threading.Lock()


def ray_cluster(address: str) -> RayCluster:
    """This process's connection to the cluster at ``address`` (made on first use)."""
    with _CLUSTERS_LOCK:
        cluster = _CLUSTERS.get(address)
        if cluster is None:
            cluster = _CLUSTERS[address] = RayCluster(address)
        return cluster


def worker_info() -> dict:
    """Where a task runs: for results that say so."""
    return {"pid": os.getpid(), "host": socket.gethostname()}
