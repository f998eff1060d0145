"""One job state machine: a cancel the manager accepted always ends the job cancelled, one it
refused (the job past its point of no return) never does; every kind of job goes through it."""

import threading

from core.jobs import CANCELLED, DONE, JobManager
from tests.helpers.waiting import wait_for


def ended(jobs, job):
    wait_for(lambda: jobs.get(job.id).status != "running", timeout=10)
    return jobs.get(job.id)


def test_a_cancel_accepted_before_the_end_ends_the_job_cancelled_even_if_it_finishes():
    jobs = JobManager()
    asked, go_on = threading.Event(), threading.Event()

    def work(context):  # never looks at the cancel flag: finishes its work anyway
        asked.set()
        go_on.wait(10)
        return {"registered": "v2"}

    job = jobs.submit("train:dqn", "train dqn", work)
    asked.wait(10)
    assert jobs.cancel(job.id) is True
    go_on.set()
    state = ended(jobs, job)
    assert state.status == CANCELLED and state.result is None
    jobs.shutdown()


def test_commit_after_an_accepted_cancel_says_stop_and_a_cancel_after_commit_is_refused():
    jobs = JobManager()
    commits, cancels = [], []
    at_commit, go_on = threading.Event(), threading.Event()

    def cancelled_first(context):
        at_commit.wait(10)
        commits.append(context.commit())
        context.check()

    job = jobs.submit("a", "a", cancelled_first)
    cancels.append(jobs.cancel(job.id))
    at_commit.set()
    assert ended(jobs, job).status == CANCELLED and commits == [False] and cancels == [True]

    def committed_first(context):
        commits.append(context.commit())
        at_commit.set()
        go_on.wait(10)
        return "registered"

    at_commit.clear()
    job = jobs.submit("b", "b", committed_first)
    at_commit.wait(10)
    assert jobs.cancel(job.id) is False  # too late: it is registering
    go_on.set()
    state = ended(jobs, job)
    assert state.status == DONE and state.result == "registered" and commits[-1] is True
    jobs.shutdown()


def test_cancel_racing_the_end_never_disagrees_with_how_the_job_ended():
    jobs = JobManager(max_workers=2)
    for i in range(200):
        start = threading.Event()

        def work(context, start=start, i=i):
            start.set()
            for _ in range(i % 7):
                pass
            if context.commit():
                return "registered"
            context.check()

        job = jobs.submit(f"k{i}", f"job {i}", work)
        start.wait(10)
        accepted = jobs.cancel(job.id)
        state = ended(jobs, job)
        assert state.status == (CANCELLED if accepted else DONE), (i, accepted, state.status)
        assert (state.result == "registered") is (not accepted)
    jobs.shutdown()
