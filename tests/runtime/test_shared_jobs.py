"""Jobs shared by app processes on one database: queued by a follower, taken up and mirrored by
the leader, cancelled from either side, failed when the process that ran them is gone. On both
backends (the table is plain SQL); the two-process path runs in ``test_followers.py``."""

from __future__ import annotations

import threading

import pytest

from core.db import Database
from core.jobs import CANCELLED, DONE, FAILED, RUNNING, JobBusy, JobManager
from runtime.shared_jobs import INTERRUPTED, QUEUED_STAGE, SharedJobs, SharedJobStore
from tests.helpers.waiting import wait_for


@pytest.fixture
def stores(db_url):
    db = Database(db_url)
    leader_manager, follower_manager = JobManager(), JobManager()
    leader = SharedJobs(leader_manager, SharedJobStore(db))
    follower = SharedJobs(follower_manager, SharedJobStore(db))
    yield leader, follower
    leader_manager.shutdown()
    follower_manager.shutdown()
    db.close()


def starter(leader: SharedJobs, release: threading.Event, seen: list):
    """What the leader's orchestrator does with a queued job: start it here under its id."""

    def start(action, args, started_by, job_id):
        seen.append((action, args, started_by, job_id))
        if action == "refused":
            raise ValueError("no such thing to run")

        def run(job):
            for _ in range(400):
                job.check()  # a Cancel ends it here
                job.progress(0.5, "halfway")
                if release.wait(0.01):
                    return {"rows": 7}
            return {"rows": 0}

        return leader.submit("train:xgboost", "train xgboost", run, started_by, job_id)

    return start


def test_a_queued_job_runs_on_the_leader_and_every_process_sees_its_end(stores):
    leader, follower = stores
    release, seen = threading.Event(), []
    job = follower.enqueue("train:xgboost", "train xgboost", "train",
                           {"model_type": "xgboost", "dataset_version": None}, " vic ")  # fmt: skip
    # the follower's page shows it at once, waiting for the leader
    assert (job.status, job.stage, job.started_by) == (RUNNING, QUEUED_STAGE, "vic")
    assert follower.get(job.id).stage == QUEUED_STAGE
    # a second start of the same kind is refused on the follower too
    with pytest.raises(JobBusy, match="already running: train xgboost"):
        follower.enqueue("train:xgboost", "train xgboost", "train", {}, "ann")

    leader.sync(starter(leader, release, seen))
    assert seen == [("train", {"model_type": "xgboost", "dataset_version": None}, "vic", job.id)]
    assert leader.manager.get(job.id).started_by == "vic"  # the same id, the same person
    wait_for(lambda: leader.manager.get(job.id).stage == "halfway")
    leader.sync(starter(leader, release, seen))
    assert follower.get(job.id).stage == "halfway" and follower.get(job.id).progress == 0.5
    release.set()
    wait_for(lambda: leader.manager.get(job.id).status == DONE)
    leader.sync(starter(leader, release, seen))
    ended = follower.get(job.id)
    assert (ended.status, ended.result, ended.progress) == (DONE, {"rows": 7}, 1.0)
    assert [j.id for j in follower.list()] == [job.id]
    assert len(seen) == 1  # taken up once


def test_a_cancel_on_the_follower_reaches_the_leaders_job(stores):
    leader, follower = stores
    release, seen = threading.Event(), []
    job = follower.enqueue("train:xgboost", "train xgboost", "train", {}, "vic")
    start = starter(leader, release, seen)
    leader.sync(start)
    wait_for(lambda: leader.manager.get(job.id).stage == "halfway")
    assert follower.cancel(job.id)  # a request, through the table
    leader.sync(start)  # passes it on
    wait_for(lambda: leader.manager.get(job.id).status == CANCELLED)
    leader.sync(start)
    assert follower.get(job.id).status == CANCELLED
    assert not follower.cancel(job.id)  # nothing left to cancel


def test_a_queued_job_cancelled_before_the_leader_takes_it_never_runs(stores):
    leader, follower = stores
    job = follower.enqueue("autolabel", "auto-label", "autolabel", {}, "vic")
    assert follower.cancel(job.id)
    seen: list = []
    leader.sync(starter(leader, threading.Event(), seen))
    assert seen == [] and follower.get(job.id).status == CANCELLED


def test_a_job_the_leader_refuses_fails_with_its_reason(stores):
    leader, follower = stores
    job = follower.enqueue("x", "something", "refused", {}, "vic")
    leader.sync(starter(leader, threading.Event(), []))
    ended = follower.get(job.id)
    assert (ended.status, ended.message) == (FAILED, "no such thing to run")


def test_jobs_of_a_leader_that_died_are_failed_saying_so(stores):
    leader, follower = stores
    release = threading.Event()
    job = follower.enqueue("train:xgboost", "train xgboost", "train", {}, "vic")
    leader.sync(starter(leader, release, []))
    wait_for(lambda: leader.manager.get(job.id).stage == "halfway")
    leader.sync(starter(leader, release, []))
    # the leader is gone (its rows stay as it left them); the next one recovers
    follower.recover()
    ended = follower.get(job.id)
    assert (ended.status, ended.message) == (FAILED, INTERRUPTED)
    release.set()


def test_a_queued_job_that_breaks_on_start_fails_and_never_stays_running(stores):
    leader, follower = stores
    job = follower.enqueue("train:cnn", "train cnn", "train_neural", {"kind": "cnn"}, "vic")

    def broken(action, args, started_by, job_id):
        raise TypeError("start() got an unexpected keyword argument 'epochs'")  # versions differ

    leader.sync(broken)
    ended = follower.get(job.id)
    assert ended.status == FAILED and "unexpected keyword argument" in ended.message
    # the kind is free again on the follower
    assert follower.enqueue("train:cnn", "train cnn", "train_neural", {}, "vic").status == RUNNING


def test_a_running_row_no_process_holds_is_failed_and_a_late_mirror_does_not_revive_it(stores):
    leader, follower = stores
    release = threading.Event()
    job = follower.enqueue("train:xgboost", "train xgboost", "train", {}, "vic")
    leader.sync(starter(leader, release, []))
    state = leader.manager.get(job.id)
    # The follower leads now (the old leader is gone); the row is left running.
    follower.sync(starter(follower, threading.Event(), []))
    assert (follower.get(job.id).status, follower.get(job.id).message) == (FAILED, INTERRUPTED)
    # the old leader's last mirror lands afterwards: the row stays failed
    leader.store.mirror(state)
    assert follower.store.get(job.id)["status"] == FAILED
    release.set()


def test_stopping_a_process_cancels_its_own_jobs_only(stores):
    from types import SimpleNamespace

    from runtime.lifecycle import cancel_own_jobs

    leader, follower = stores
    release = threading.Event()
    job = follower.enqueue("train:xgboost", "train xgboost", "train", {}, "vic")
    queued = follower.enqueue("autolabel", "auto-label", "autolabel", {}, "vic")
    leader.sync(starter(leader, release, []))  # takes up both (the second as a train job)
    assert follower.store.get(queued.id)["status"] == FAILED  # busy: one train job at a time
    waiting = follower.enqueue("dataset", "build dataset", "dataset", {}, "vic")
    cancel_own_jobs(SimpleNamespace(jobs=follower))  # the follower stops
    assert follower.store.get(job.id)["cancel_requested"] == 0  # the leader's job goes on
    assert follower.store.get(waiting.id)["status"] == "queued"  # waits for the leader
    release.set()
