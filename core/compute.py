"""Where long work runs, through two executor APIs that live side by side here.

**Ray hook** (issue 16; ``compute.backend``/``compute.address``): ``RayCluster`` with ``share``,
``submit``, ``as_completed``, ``cancel`` and ``run``; training jobs and long backtests use it when
``compute.backend`` is ``ray``.

**Trial executor** (issue 15; ``compute.workers``): ``make_executor`` / ``Executor.map``, what
parameter searches and walk-forwards run their trials on: :class:`LocalExecutor` (the local
worker pool, the arrays in shared memory) with ``compute.backend: local``, and
``core.ray_executor.RayExecutor`` (the arrays in Ray's object store, chunks of trials as tasks)
with ``compute.backend: ray``.

---- the Ray hook ----

Long work runs in this process's workers (``compute.backend: local``, the default) or as
tasks on a Ray cluster (``compute.backend: ray``, ``compute.address``).

``RayCluster`` is the small executor hook the jobs and the Ray trial executor use:

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

---- the trial executor ----

Where search trials run: one small executor interface and its local worker pool.

An executor runs one *trial function* over a list of trial parameter dicts, beside a set of
numpy arrays (candles, signal inputs) that reach the workers once, never once per trial::

    with make_executor(config.compute, arrays) as executor:      # ships the arrays, once
        for index, result in executor.map(run_trial, setup, trials):
            ...                                                  # as each trial finishes

The contract, for this executor and the Ray one (``core/ray_executor.py``: ``ray.put`` the
arrays once, one remote task per chunk of trials):

- ``fn(arrays, setup, params) -> result`` is a module-level function (pickled by reference);
  ``arrays`` maps names to read-only numpy arrays, ``setup`` is one small picklable object
  shared by every trial, ``params`` is one trial's dict; the result must pickle.
- ``map`` yields ``(index into trials, result)`` in the order trials finish. A trial that raises
  yields a :class:`TrialError` as its result; the others go on.
- Stopping the iteration early (``close()`` on the generator, or leaving the ``with``) drops the
  trials not yet started: that is how a search is cancelled.

:class:`LocalExecutor` runs ``workers`` processes started with ``forkserver`` (``spawn`` where
there is none), never plain ``fork``: the server process runs waitress, APScheduler and torch
threads, which a forked child would inherit mid-step. The arrays live in one
``multiprocessing.shared_memory`` block that every worker maps read-only.
"""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import os
import socket
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing import shared_memory
from pathlib import Path
from typing import Any

import numpy as np

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
            # Whether the caller gave up waiting, or the connection came in time: decided once,
            # under the lock. A connection that completes after the caller gave up is closed
            # at once: left open, this process would be bound to that cluster (the next connect
            # refused) and a Ray driver ends its own process once it loses the cluster's GCS.
            outcome = {"gave_up": False, "connected": False}
            decided = threading.Lock()

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
                    return
                with decided:
                    outcome["connected"] = not outcome["gave_up"]
                if not outcome["connected"]:
                    log.warning("closing the late connection to the Ray cluster at %s",
                                self.address)  # fmt: skip
                    ray.shutdown()

            worker = threading.Thread(target=init, name="ray-connect", daemon=True)
            worker.start()
            worker.join(timeout_s)
            with decided:
                outcome["gave_up"] = not outcome["connected"] and not failure
            if outcome["gave_up"]:
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


# ==== the trial executor (parameter searches, walk-forwards) ==============================

TrialFunction = Callable[[dict[str, np.ndarray], Any, dict], Any]
ALIGN = 64  # bytes: each array starts on a cache line


@dataclass(frozen=True)
class TrialError:
    """What a trial that raised gives back instead of its result."""

    message: str


class Executor(ABC):
    """Runs trials beside shared arrays; see the module docstring."""

    workers: int

    @abstractmethod
    def map(
        self, fn: TrialFunction, setup: Any, trials: Sequence[dict]
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, result)`` as each trial finishes."""

    def close(self) -> None:  # noqa: B027 (an optional hook)
        """Stop the workers and free the arrays."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def make_executor(compute, arrays: dict[str, np.ndarray], preload: Sequence[str] = ()) -> Executor:
    """The executor ``compute`` (the ``compute:`` section) names, holding ``arrays``.
    ``preload``: modules the workers import before their first trial (the trial function's).
    With ``backend: ray`` an unreachable cluster raises :class:`ComputeError` at once."""
    if compute.backend == "ray":
        from core.ray_executor import RayExecutor  # it builds on this module

        return RayExecutor(ray_cluster(compute.address), arrays, preload)
    return LocalExecutor(compute.workers, arrays, preload)


# ---- the local pool ---------------------------------------------------------------------------

_ARRAYS: dict[str, np.ndarray] = {}  # in a worker: the shared arrays, read-only views
_BLOCK: shared_memory.SharedMemory | None = None


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _layout(arrays: dict[str, np.ndarray]) -> tuple[dict[str, tuple[int, str, tuple]], int]:
    """Where each array sits in the block: name -> (offset, dtype, shape); and its size."""
    manifest, offset = {}, 0
    for name, array in arrays.items():
        manifest[name] = (offset, array.dtype.str, array.shape)
        offset += math.ceil(max(array.nbytes, 1) / ALIGN) * ALIGN
    return manifest, max(offset, ALIGN)


def _views(buffer, manifest) -> dict[str, np.ndarray]:
    views = {}
    for name, (offset, dtype, shape) in manifest.items():
        view = np.ndarray(shape, dtype=np.dtype(dtype), buffer=buffer, offset=offset)
        view.flags.writeable = False
        views[name] = view
    return views


def _attach(block_name: str, manifest: dict) -> None:
    """Worker initializer: map the shared block (no copy)."""
    global _BLOCK
    # the parent owns the block and unlinks it; a worker only maps it (before 3.13 the workers
    # share the parent's resource tracker, which counts the block once)
    untracked = {"track": False} if sys.version_info >= (3, 13) else {}
    _BLOCK = shared_memory.SharedMemory(name=block_name, **untracked)
    _ARRAYS.clear()
    _ARRAYS.update(_views(_BLOCK.buf, manifest))


def _run_chunk(
    fn: TrialFunction, setup: Any, chunk: list[tuple[int, dict]]
) -> list[tuple[int, Any]]:
    out = []
    for index, params in chunk:
        try:
            out.append((index, fn(_ARRAYS, setup, params)))
        except Exception as exc:  # one bad trial is its own result; the others go on
            out.append((index, TrialError(f"{type(exc).__name__}: {exc}")))
    return out


class LocalExecutor(Executor):
    """``workers`` processes on this machine, the arrays in one shared-memory block."""

    def __init__(self, workers: int, arrays: dict[str, np.ndarray], preload: Sequence[str] = ()):
        self.workers = max(1, int(workers))
        arrays = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
        manifest, size = _layout(arrays)
        self._block = shared_memory.SharedMemory(create=True, size=size)
        try:
            for name, view in _views(self._block.buf, manifest).items():
                view.flags.writeable = True
                view[...] = arrays[name]
                del view
            context = _context()
            if context.get_start_method() == "forkserver":
                # the forkserver imports these once; each worker forked from it has them
                context.set_forkserver_preload(["__main__", *preload])
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_attach,
                initargs=(self._block.name, manifest),
            )  # fmt: skip
        except BaseException:
            self._free()
            raise
        self.nbytes = size

    def map(
        self, fn: TrialFunction, setup: Any, trials: Sequence[dict]
    ) -> Iterator[tuple[int, Any]]:
        items = list(enumerate(trials))
        if not items:
            return
        # chunks small enough to spread over the workers and show progress, large enough that
        # a fast trial (a millisecond) is not all overhead
        size = max(1, min(16, len(items) // (self.workers * 8)))
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        pending: set[Future] = set()
        queue = iter(chunks)
        try:
            for chunk in queue:
                pending.add(self._pool.submit(_run_chunk, fn, setup, chunk))
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        results = future.result()
                    except BrokenProcessPool as exc:
                        raise RuntimeError(
                            "a search worker process died (out of memory?); the trials finished"
                            " so far are kept"
                        ) from exc
                    yield from results
                    chunk = next(queue, None)
                    if chunk is not None:
                        pending.add(self._pool.submit(_run_chunk, fn, setup, chunk))
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._free()

    def _free(self) -> None:
        block = getattr(self, "_block", None)
        if block is not None:
            block.close()
            with contextlib.suppress(FileNotFoundError):
                block.unlink()
            self._block = None
