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
