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
