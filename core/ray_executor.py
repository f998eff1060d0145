"""Search trials as Ray tasks (``compute.backend: ray``): the :class:`~core.compute.Executor`
contract of ``core/compute.py`` on a Ray cluster.

The arrays go into Ray's object store once per executor (``ray.put``); every task gets them from
there, numpy arrays as read-only views on the store's memory, never a copy per trial. Trials go
out in chunks, one remote task per chunk, sized so each task carries enough work to pay for its
scheduling (about four tasks per cluster CPU). Results come back ``(index, result)`` as tasks
finish; a trial that raises is its own :class:`~core.compute.TrialError`; stopping the iteration
or closing the executor cancels the tasks not finished (``ray.cancel``).

Which trials a search runs and in what order they are told to the sampler is the searcher's
business (``backtest/search.py``), so a seed gives the same trials here as on local workers.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import math
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

import numpy as np

from core.compute import ComputeError, Executor, RayCluster, TrialError, TrialFunction, _ray

log = logging.getLogger(__name__)

TASKS_PER_CPU = 4
CANCEL_GRACE_S = 5.0  # how long a cancelled task may take to stop before it is forced


def _chunk_task(fn: TrialFunction, arrays: dict[str, np.ndarray], setup: Any, chunk: list,
                preload: Sequence[str]) -> list[tuple[int, Any]]:  # fmt: skip
    """On a worker: one chunk of trials (``arrays`` arrives resolved from the object store)."""
    for module in preload:  # imported once per worker process; later imports are a dict hit
        importlib.import_module(module)
    out = []
    for index, params in chunk:
        try:
            out.append((index, fn(arrays, setup, params)))
        except Exception as exc:  # one bad trial is its own result; the others go on
            out.append((index, TrialError(f"{type(exc).__name__}: {exc}")))
    return out


@cache
def _chunk_remote():
    """The chunk task as a remote function, made once per process (Ray exports it once)."""
    return _ray().remote(num_cpus=1, max_retries=0)(_chunk_task)


def chunk_size(trials: int, cpus: int) -> int:
    """Trials per task: about ``TASKS_PER_CPU`` tasks per cluster CPU, at least one trial."""
    return max(1, math.ceil(trials / (TASKS_PER_CPU * max(1, cpus))))


class RayExecutor(Executor):
    """Trials as tasks on the cluster ``cluster`` connects to, the arrays in its object store."""

    def __init__(
        self, cluster: RayCluster, arrays: dict[str, np.ndarray], preload: Sequence[str] = ()
    ):
        cluster.connect()  # an unreachable cluster fails here, at once, with the reason
        ray = _ray()
        self.address = cluster.address
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._preload = tuple(preload)
        self._arrays = cluster.share({n: np.ascontiguousarray(a) for n, a in arrays.items()})
        self._remote = _chunk_remote()
        self._pending: set = set()
        self.nbytes = sum(int(a.nbytes) for a in arrays.values())

    def map(
        self, fn: TrialFunction, setup: Any, trials: Sequence[dict]
    ) -> Iterator[tuple[int, Any]]:
        if self._arrays is None:
            raise ComputeError("the Ray executor is closed")
        items = list(enumerate(trials))
        if not items:
            return
        ray = _ray()
        size = chunk_size(len(items), self.workers)
        # setup is small but shared by every task: put once rather than pickled per task
        shared_setup = ray.put(setup)
        pending = [
            self._remote.remote(fn, self._arrays, shared_setup, items[i : i + size], self._preload)
            for i in range(0, len(items), size)
        ]
        self._pending.update(pending)
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                self._pending.difference_update(done)
                try:
                    results = ray.get(done[0])
                except ray.exceptions.RayError as exc:
                    # the task itself failed (its worker died, the code could not load): not
                    # one trial's fault, so the search stops here, keeping what has finished
                    raise ComputeError(
                        f"a search task failed on the Ray cluster at {self.address}: {_reason(exc)}"
                    ) from None
                yield from results
        finally:
            self._cancel(pending)

    def _cancel(self, tasks) -> None:
        """Cancel ``tasks``: gently first (a queued task is dropped, a running one interrupted
        and its worker process kept for the next search), then by force for any still running
        after ``CANCEL_GRACE_S`` (a task deep in C code may not see the interrupt)."""
        tasks = list(tasks)
        if not tasks:
            return
        ray = _ray()
        for task in tasks:
            with contextlib.suppress(Exception):  # already finished or gone: nothing to stop
                ray.cancel(task)
        _, running = ray.wait(tasks, num_returns=len(tasks), timeout=CANCEL_GRACE_S)
        for task in running:
            log.warning("a search task did not stop within %g s: stopped by force", CANCEL_GRACE_S)
            with contextlib.suppress(Exception):
                ray.cancel(task, force=True)
        self._pending.difference_update(tasks)

    def close(self) -> None:
        if self._pending:
            self._cancel(list(self._pending))
        self._arrays = None  # the last reference here: the store frees the arrays


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__
