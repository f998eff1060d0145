"""Long work (auto-labelling, training, backtests, imports) as background scheduler jobs.

Each job reports progress and its current stage, can be cancelled, and ends as done, failed (with
its error) or cancelled. One job of a kind runs at a time. The scheduler is APScheduler's
``BackgroundScheduler`` with a small thread pool, started on first use, never at import.

The one state machine of every kind of job (auto-label, training, neural training, backtests,
searches), all transitions under the manager's lock:

    running --cancel()--> running, cancel requested --end--> cancelled
    running --commit()--> committing (cancel() now refused: too late) --end--> done | failed
    running --end--> done | failed

- ``cancel(id)`` is accepted (True) only while the job runs and has not committed.
- ``JobContext.commit()`` marks the point of no return (e.g. just before a model is registered):
  it returns False, and the job must stop, when a cancel was accepted before it.
- When the job's function returns, one atomic check decides its end: a job whose cancel was
  accepted ends ``cancelled`` (its result dropped), whatever its function did afterwards.
So a Cancel the app accepted always ends the job cancelled, and one it refused never does.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"


class JobCancelled(Exception):
    """Raised inside a job when its Cancel button was pressed."""


class JobBusy(RuntimeError):
    """A job of the same kind is already running."""


class QueueFull(RuntimeError):
    """As many jobs wait as ``limits.queued_jobs`` allows: a new one is refused (an API 429)."""


@dataclass
class JobState:
    id: str
    kind: str
    title: str
    status: str = RUNNING
    progress: float = 0.0
    stage: str = "queued"
    message: str = ""
    result: Any = None
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    details: dict = field(default_factory=dict)  # what a job publishes as it runs (loss curve)
    committed: bool = False  # past the point of no return: a cancel is refused from here on
    cancel_requested: bool = False  # a cancel was accepted: the job ends cancelled
    started_by: str = ""  # the person who started it ("" for the app itself: schedule, start-up)


class JobContext:
    """What a running job sees: report progress, check for cancellation."""

    def __init__(
        self,
        state: JobState,
        cancel: threading.Event,
        commit: Callable[[], bool] | None = None,
    ):
        self._state = state
        self._cancel = cancel
        self._commit = commit

    def progress(self, fraction: float, stage: str | None = None) -> None:
        self._state.progress = max(0.0, min(1.0, float(fraction)))
        if stage:
            self._state.stage = stage
        self.check()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def details(self) -> dict:
        return self._state.details

    def check(self) -> None:
        if self._cancel.is_set():
            raise JobCancelled()

    def commit(self) -> bool:
        """The point of no return (e.g. just before registering a model): False when a cancel
        was accepted before it (the job must then stop without its side effect); True, and
        cancels are refused from now on, otherwise. One atomic check, under the manager's lock."""
        if self._commit is None:
            if self._cancel.is_set():
                return False
            self._state.committed = True
            return True
        return self._commit()


class JobManager:
    def __init__(self, max_workers: int = 2, keep: int = 50):
        self._jobs: dict[str, JobState] = {}
        self._cancels: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._scheduler = None
        self._max_workers = max_workers
        self._keep = keep
        self._accepting = True
        self._end_listeners: list[Callable[[JobState], None]] = []

    def add_end_listener(self, listener: Callable[[JobState], None]) -> None:
        """Call ``listener(state)`` when a job ends (done, failed or cancelled); it must only
        queue work (it runs on the job's thread)."""
        self._end_listeners.append(listener)

    def stop_accepting(self) -> None:
        """Refuse new jobs from now on (shutting down: a job chain must not start its next)."""
        self._accepting = False

    def _ensure_scheduler(self):
        if self._scheduler is None:
            from apscheduler.executors.pool import ThreadPoolExecutor
            from apscheduler.schedulers.background import BackgroundScheduler

            self._scheduler = BackgroundScheduler(
                # Periodic triggers (taking up queued runs, mirroring shared jobs, retention) on
                # a pool of their own: long jobs filling the job pool never hold them back.
                executors={
                    "default": ThreadPoolExecutor(self._max_workers),
                    "periodic": ThreadPoolExecutor(2),
                },  # fmt: skip
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
                timezone="UTC",
            )
            self._scheduler.start()
        return self._scheduler

    def submit(
        self,
        kind: str,
        title: str,
        fn: Callable[[JobContext], Any],
        started_by: str = "",
        job_id: str | None = None,
    ) -> JobState:
        """Run ``fn(context)`` in the background; raises JobBusy if a ``kind`` job runs.
        ``started_by``: the person who started it; ``job_id``: the id another process gave it
        (a job queued there for this one, ``runtime/shared_jobs.py``)."""
        with self._lock:
            if not self._accepting:
                raise JobBusy(f"the app is shutting down: {title} not started")
            busy = [j for j in self._jobs.values() if j.kind == kind and j.status == RUNNING]
            if busy:
                raise JobBusy(f"a {kind} job is already running: {busy[0].title}")
            state = JobState(job_id or uuid.uuid4().hex[:12], kind, title,
                             started_by=started_by.strip())  # fmt: skip
            cancel = threading.Event()
            self._jobs[state.id] = state
            self._cancels[state.id] = cancel
            self._trim()
        self._ensure_scheduler().add_job(self._run, args=(state, cancel, fn), id=state.id)
        return state

    def schedule(self, job_id: str, minutes: int, fn: Callable[[], None]) -> None:
        """A periodic trigger (e.g. retraining); ``fn`` usually calls ``submit``."""
        self._ensure_scheduler().add_job(
            fn, "interval", minutes=minutes, id=job_id, replace_existing=True, executor="periodic"
        )

    def _run(self, state: JobState, cancel: threading.Event, fn) -> None:
        context = JobContext(state, cancel, lambda: self._commit(state, cancel))
        state.stage = "running"
        result, error, stopped = None, None, False
        try:
            result = fn(context)
        except JobCancelled:
            stopped = True  # ends cancelled below
        except Exception as exc:  # a job's failure is shown in the UI, never kills the server
            error = exc
            log.error("job %s failed: %s\n%s", state.title, exc, traceback.format_exc())
        self._finish(state, cancel, result, error, stopped)
        for listener in self._end_listeners:
            try:
                listener(state)
            except Exception:
                log.exception("a job-end listener failed for %s", state.title)

    def _commit(self, state: JobState, cancel: threading.Event) -> bool:
        with self._lock:
            if cancel.is_set():
                return False
            state.committed = True
            return True

    def _finish(self, state: JobState, cancel: threading.Event, result, error, stopped) -> None:
        """The one atomic check before a job is marked finished: a job whose cancel was accepted
        ends cancelled, whatever its function did after it."""
        with self._lock:
            if stopped or (cancel.is_set() and not state.committed):
                state.status, state.stage = CANCELLED, "cancelled"
                state.message = "cancelled by user"
            elif error is not None:
                state.status, state.stage, state.message = FAILED, "failed", f"{error}"
            else:
                state.result = result
                state.status, state.progress, state.stage = DONE, 1.0, "done"
            state.finished_at = time.time()

    def cancel(self, job_id: str) -> bool:
        """Ask a running job to stop: True when accepted (the job then ends cancelled), False
        when there is no such running job or it is past its point of no return."""
        with self._lock:
            event = self._cancels.get(job_id)
            state = self._jobs.get(job_id)
            if event is None or state is None or state.status != RUNNING or state.committed:
                return False
            event.set()
            state.cancel_requested = True
            return True

    def get(self, job_id: str) -> JobState | None:
        return self._jobs.get(job_id)

    def list(self) -> list[JobState]:
        return sorted(self._jobs.values(), key=lambda j: j.started_at, reverse=True)

    def _trim(self) -> None:
        finished = [j for j in self.list() if j.status != RUNNING]
        for job in finished[self._keep :]:
            self._jobs.pop(job.id, None)
            self._cancels.pop(job.id, None)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for running jobs to end; True when none runs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(j.status == RUNNING for j in list(self._jobs.values())):
                return True
            time.sleep(0.05)
        return not any(j.status == RUNNING for j in list(self._jobs.values()))

    def shutdown(self) -> None:
        for job_id in list(self._cancels):
            self.cancel(job_id)
        if self._scheduler is not None:
            # Paused and emptied first: APScheduler 3 marks itself stopped before it takes its
            # job-store lock, so a pass over due jobs under way could no longer remove the
            # one-off job it had just started, and its thread died (JobLookupError).
            self._scheduler.pause()
            self._scheduler.remove_all_jobs()  # under that lock: waits for a pass under way
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
