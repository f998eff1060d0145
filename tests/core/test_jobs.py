import threading
import time

import pytest

from core.jobs import JobBusy, JobManager


def test_a_manager_shutting_down_refuses_new_jobs_so_a_chain_cannot_start_its_next():
    jobs = JobManager()
    try:
        jobs.stop_accepting()
        with pytest.raises(JobBusy, match="shutting down"):
            jobs.submit("train", "train cnn", lambda job: None)
        assert jobs.list() == []
    finally:
        jobs.shutdown()


def test_a_job_keeps_who_started_it():
    jobs = JobManager()
    try:
        job = jobs.submit("train", "train cnn", lambda job: None, started_by=" olga ")
        assert jobs.get(job.id).started_by == "olga"
        assert jobs.submit("dataset", "build", lambda job: None).started_by == ""
    finally:
        jobs.shutdown()


def test_shutting_down_while_jobs_start_never_kills_the_scheduler_thread(monkeypatch):
    """APScheduler 3 marks itself stopped before taking its job-store lock: a shutdown during a
    pass that had just started a one-off job made that pass fail to remove it, and the
    scheduler's thread died (JobLookupError): 40 times in these 150 rounds before the fix."""
    deaths = []
    monkeypatch.setattr(threading, "excepthook", lambda args: deaths.append(args.exc_value))
    for round_ in range(150):
        jobs = JobManager()
        for kind in range(5):
            jobs.submit(f"kind{kind}", "quick", lambda job: None)
        time.sleep(0.0005 * (round_ % 7))  # shut down at different points of the pass
        jobs.shutdown()  # joins the scheduler's thread: a death is reported by now
    assert deaths == []
