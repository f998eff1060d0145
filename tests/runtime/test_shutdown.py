"""Graceful shutdown: SIGTERM and SIGINT end the served app with status 0 within 10 s; open
MLflow runs are marked KILLED, temporary folders removed, the last candles written."""

import os
import signal
import threading
import time

import pytest

from bench.harness import Server
from runtime import lifecycle
from runtime.config import config_from_dict
from runtime.orchestrator import Orchestrator
from training.tracking import ACTIVE_RUNS, Tracker

pytestmark = pytest.mark.slow  # seconds each: `pytest -m 'not slow and not browser'` skips them

FAST = {"feed": {"backfill_1m_hours": 1, "backfill_1s_minutes": 2}}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_served_app_with_status_0_within_10_s(tmp_path, signum):
    server = Server(tmp_path, FAST).start()
    assert server.health()["status"] == "ok"
    code, seconds = server.stop(signum)
    assert code == 0 and seconds < 10, server.tail()
    # The database was closed: the last connection's close checkpoints and removes the WAL.
    assert (tmp_path / "data" / "tradedash.db").is_file()
    assert not (tmp_path / "data" / "tradedash.db-wal").exists()


def test_shutdown_kills_open_runs_removes_temp_folders_and_closes(tmp_path, monkeypatch):
    monkeypatch.setattr(lifecycle, "JOB_GRACE_S", 0.5)
    config = config_from_dict({"data_dir": str(tmp_path / "data"), **FAST}, base_dir=tmp_path)
    orch = Orchestrator(config)
    orch.start()
    tracker = Tracker(config.data_path, None, "shutdown-test")
    opened, release = threading.Event(), threading.Event()
    run_ids = []

    def stubborn(job):  # ignores Cancel, like a long fit that never checks
        with tracker.start_run("stubborn") as run_id:
            run_ids.append(run_id)
            opened.set()
            release.wait(30)

    orch.jobs.submit("train:stubborn", "a job that won't stop", stubborn)
    assert opened.wait(60)
    leftovers = [
        config.data_path / ".download-abc",
        config.data_path / "model_cache" / f".run1.tmp-{os.getpid()}-x",
        config.data_path / "datasets" / f".v1.tmp-{os.getpid()}-1",
    ]
    for folder in leftovers:
        folder.mkdir(parents=True)
    workers = [w._thread for w in (orch.live_patterns, orch.live_neural, orch.outcomes,
                                   orch.alert_worker, orch.webhooks)]  # fmt: skip
    assert orch.alert_worker._thread.is_alive()
    began = time.monotonic()
    lifecycle.shutdown(orch)
    assert time.monotonic() - began < 10
    assert tracker.client.get_run(run_ids[0]).info.status == "KILLED"
    release.set()  # (in a real stop the process exits here)
    assert run_ids[0] not in ACTIVE_RUNS
    assert not any(folder.exists() for folder in leftovers)
    assert orch.store.pending_writes() == 0
    with pytest.raises(Exception, match="closed"):
        orch.db.query("SELECT 1")
    # Nothing reads the closed database afterwards: every worker thread has stopped.
    assert not [t.name for t in workers if t is not None and t.is_alive()]


def test_jobs_are_cancelled_before_the_feed_stops_and_wind_down_meanwhile(tmp_path):
    """A job told to stop winds down while the feed and workers stop, not after them: their
    graces overlap, so the steps together stay clear of the 9.5 s watchdog on a busy machine."""
    config = config_from_dict({"data_dir": str(tmp_path / "data"), **FAST}, base_dir=tmp_path)
    orch = Orchestrator(config)
    orch.start()
    running = threading.Event()

    def winding_down(job):  # ends at its next batch once cancelled, as a fit does
        running.set()
        while not job.cancelled():
            time.sleep(0.01)

    job = orch.jobs.submit("train:batches", "a job that stops at its next batch", winding_down)
    assert running.wait(60)
    feed_stop, asked_before_feed_stop = orch._runner.stop, []

    def stop_feed(timeout):  # a feed whose last poll takes a while to end
        asked_before_feed_stop.append(job.cancel_requested)
        time.sleep(0.3)
        feed_stop(timeout=timeout)

    job_wait, waited = orch.jobs.wait, []

    def wait(timeout):
        waited.append(timeout)
        return job_wait(timeout)

    orch._runner.stop, orch.jobs.wait = stop_feed, wait
    lifecycle.shutdown(orch)
    assert asked_before_feed_stop == [True]
    # The jobs' grace counts from their cancel: the feed's stop has used some of it.
    assert len(waited) == 1 and waited[0] <= lifecycle.JOB_GRACE_S - 0.3
    assert job.status == "cancelled"
