"""Graceful shutdown: what SIGTERM and SIGINT do before the process exits with status 0.

In order, each step bounded so the whole stays within the time a supervisor waits (10 s):
stop standing for leader (a held leader lock is kept until the last write), cancel the jobs,
stop the feed (its last candles are committed), stop the workers that write on their own
(closed-candle workers, alert evaluator, webhooks), give the jobs what is left of their moment
to end (they wind down while the feed and workers stop), mark MLflow runs still open in this
process as KILLED, remove this process's temporary folders under ``data/``,
write the last candles, release the leader lock, close the database.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

log = logging.getLogger(__name__)

JOB_GRACE_S = 3.0
FEED_GRACE_S = 3.0
WEBHOOK_GRACE_S = 1.0


def cancel_own_jobs(orch) -> None:
    """Cancel this process's jobs. With shared jobs (several processes on PostgreSQL)
    ``orch.jobs.list()`` also holds the other processes' jobs and the queued ones, which outlive
    this process: those are left alone."""
    local = getattr(orch.jobs, "manager", orch.jobs)
    for job in local.list():
        local.cancel(job.id)


def temp_folders(data_dir: Path, pid: int | None = None) -> list[Path]:
    """Temporary folders and files a process of ours leaves under ``data_dir`` when it stops
    mid-write: model downloads, model cache entries and datasets being written."""
    pid = os.getpid() if pid is None else pid
    if not data_dir.is_dir():
        return []
    found = list(data_dir.glob(".download-*"))
    for folder in (data_dir / "model_cache", data_dir / "datasets"):
        if folder.is_dir():
            found += folder.glob(f".*.tmp-{pid}-*")
    return found


def remove_temp_folders(data_dir: Path) -> int:
    removed = 0
    for path in temp_folders(data_dir):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed += 1
    return removed


def kill_open_runs() -> int:
    """Mark the MLflow runs this process left open as KILLED (a job that didn't end in time)."""
    from training.tracking import ACTIVE_RUNS

    killed = 0
    for run_id, uri in list(ACTIVE_RUNS.items()):
        try:
            from mlflow import MlflowClient

            MlflowClient(tracking_uri=uri).set_terminated(run_id, status="KILLED")
            killed += 1
        except Exception:
            log.exception("could not mark run %s as killed", run_id)
        ACTIVE_RUNS.pop(run_id, None)
    return killed


def shutdown(orch) -> None:
    """Stop everything ``orch`` runs and close its database (see the module docstring)."""
    began = time.monotonic()
    if orch.leadership is not None:
        # First stop standing (a follower must not take the lock while shutting down), but
        # keep a held lock until the last write below.
        orch.leadership.stand_down()
    if orch._following is not None:
        orch._following.stop()
    orch.jobs.stop_accepting()  # before cancelling: a first-start chain would start its next
    # Cancelled first, waited for last: a training job winding down (a fit ends at its next
    # batch) overlaps the feed's and workers' stops instead of adding its grace after them.
    # Beside a busy CPU the steps one after another once passed the watchdog's 9.5 s.
    cancel_own_jobs(orch)
    cancelled_at = time.monotonic()
    runner = orch._runner
    if runner is not None:
        runner.stop(timeout=FEED_GRACE_S)
    # Before the database closes below: a pass after it fails on the closed database. A webhook
    # post in flight gets a second, so the whole stop stays within the supervisor's 10 s.
    orch.stop_workers(webhook_grace_s=WEBHOOK_GRACE_S)
    if not orch.jobs.wait(max(0.0, JOB_GRACE_S - (time.monotonic() - cancelled_at))):
        log.warning("jobs still running %.1f s after their cancel: their runs are marked killed",
                    time.monotonic() - cancelled_at)  # fmt: skip
    orch.jobs.shutdown()
    killed = kill_open_runs()
    removed = remove_temp_folders(orch.config.data_path)
    try:
        orch.store.flush()
    except Exception:
        log.exception("the last candles could not be written")
    if orch.leadership is not None:
        orch.leadership.release()  # after the last write: the next leader takes over from here
    orch.db.close()
    log.info(
        "stopped in %.1f s (%d runs marked killed, %d temporary folders removed)",
        time.monotonic() - began,
        killed,
        removed,
    )
