"""Jobs shared by several app processes on one PostgreSQL database.

Only the leader runs jobs. A job started on a follower (training, neural training, auto-label,
a dataset build) is written to ``shared_jobs`` as *queued*, by name and arguments (a job's
function can't cross processes); the leader takes it up within a second and runs it under the
same id. The leader mirrors every job it runs into the table (progress, stage, the end and its
result), so the page of any process shows every job, and a Cancel pressed on a follower reaches
the leader's job through the table.

With one process (SQLite, or PostgreSQL without followers) nothing of this runs:
``orch.jobs`` is the plain :class:`core.jobs.JobManager`.

A Cancel on a follower is a request: it ends the job cancelled unless the job had already
passed its point of no return on the leader (then it ends done, as the row shows). A queued job
is cancelled at once.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from core.db import Database
from core.jobs import CANCELLED, FAILED, RUNNING, JobBusy, JobManager, JobState
from core.jsonsafe import clean

log = logging.getLogger(__name__)

QUEUED = "queued"
QUEUED_STAGE = "queued for the leading app process"
INTERRUPTED = "interrupted: the app process that ran it stopped (start it again)"
COLUMNS = ("id", "kind", "title", "action", "args", "started_by", "status", "progress", "stage",
           "message", "result", "details", "committed", "cancel_requested", "created_at",
           "finished_at")  # fmt: skip


def _now() -> int:
    return int(time.time() * 1000)


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(clean(value), default=str)


def job_from_row(row: dict) -> JobState:
    """The job as a page shows it; a queued job reads as running, at the stage that says so."""
    status = RUNNING if row["status"] == QUEUED else row["status"]
    return JobState(
        id=row["id"], kind=row["kind"], title=row["title"], status=status,
        progress=float(row["progress"] or 0), stage=row["stage"] or "",
        message=row["message"] or "",
        result=json.loads(row["result"]) if row["result"] else None,
        started_at=row["created_at"] / 1000,
        finished_at=row["finished_at"] / 1000 if row["finished_at"] else None,
        details=json.loads(row["details"]) if row["details"] else {},
        committed=bool(row["committed"]), cancel_requested=bool(row["cancel_requested"]),
        started_by=row["started_by"] or "",
    )  # fmt: skip


class SharedJobStore:
    """The ``shared_jobs`` table (migration 0006)."""

    def __init__(self, db: Database):
        self._db = db

    def enqueue(self, kind: str, title: str, action: str, args: dict, started_by: str) -> dict:
        row = {"id": uuid.uuid4().hex[:12], "kind": kind, "title": title, "action": action,
               "args": json.dumps(clean(args)), "started_by": started_by.strip(), "status": QUEUED,
               "progress": 0.0, "stage": QUEUED_STAGE, "message": "", "result": None,
               "details": None, "committed": 0, "cancel_requested": 0, "created_at": _now(),
               "finished_at": None}  # fmt: skip
        with self._db.transaction() as conn:
            conn.execute(
                f"INSERT INTO shared_jobs ({', '.join(COLUMNS)}) VALUES"
                f" ({', '.join('?' * len(COLUMNS))})",
                tuple(row[c] for c in COLUMNS),
            )
        return row

    def get(self, job_id: str) -> dict | None:
        rows = self._db.query(f"SELECT {', '.join(COLUMNS)} FROM shared_jobs WHERE id=?", (job_id,))
        return dict(rows[0]) if rows else None

    def recent(self, limit: int = 50) -> list[dict]:
        rows = self._db.query(
            f"SELECT {', '.join(COLUMNS)} FROM shared_jobs ORDER BY created_at DESC LIMIT ?",
            (limit,),
        )
        return [dict(r) for r in rows]

    def claim_queued(self) -> list[dict]:
        """The leader: the queued jobs, each claimed (status running) so no other leader takes it
        too."""
        claimed = []
        for row in self._db.query(
            f"SELECT {', '.join(COLUMNS)} FROM shared_jobs WHERE status=? ORDER BY created_at",
            (QUEUED,),
        ):
            with self._db.transaction() as conn:
                cursor = conn.execute(
                    "UPDATE shared_jobs SET status=?, stage=? WHERE id=? AND status=?",
                    (RUNNING, "starting", row["id"], QUEUED),
                )
            if cursor.rowcount:
                claimed.append(dict(row))
        return claimed

    def running_ids(self) -> list[str]:
        return [r["id"] for r in self._db.query("SELECT id FROM shared_jobs WHERE status=?",
                                                (RUNNING,))]  # fmt: skip

    def cancel_requests(self) -> list[str]:
        rows = self._db.query(
            "SELECT id FROM shared_jobs WHERE status=? AND cancel_requested=1", (RUNNING,)
        )
        return [r["id"] for r in rows]

    def request_cancel(self, job_id: str) -> bool:
        """A queued job ends cancelled now; a running one not yet committed is asked to stop."""
        with self._db.transaction() as conn:
            queued = conn.execute(
                "UPDATE shared_jobs SET status=?, stage=?, message=?, finished_at=?"
                " WHERE id=? AND status=?",
                (CANCELLED, "cancelled", "cancelled by user", _now(), job_id, QUEUED),
            )
            if queued.rowcount:
                return True
            running = conn.execute(
                "UPDATE shared_jobs SET cancel_requested=1 WHERE id=? AND status=? AND committed=0",
                (job_id, RUNNING),
            )
            return running.rowcount > 0

    def mirror(self, job: JobState, action: str = "", args: dict | None = None) -> None:
        """Write a job of this process as it stands (insert it the first time)."""
        finished = int(job.finished_at * 1000) if job.finished_at else None
        values = (job.status, job.progress, job.stage, job.message, _dump(job.result),
                  _dump(job.details), int(job.committed), finished)  # fmt: skip
        with self._db.transaction() as conn:
            updated = conn.execute(
                "UPDATE shared_jobs SET status=?, progress=?, stage=?, message=?, result=?,"
                " details=?, committed=?, finished_at=? WHERE id=? AND status IN (?, ?)",
                (*values, job.id, QUEUED, RUNNING),
            )
            exists = (
                updated.rowcount
                or conn.execute("SELECT 1 FROM shared_jobs WHERE id=?", (job.id,)).fetchone()
            )
            if not exists:
                conn.execute(
                    "INSERT INTO shared_jobs (id, kind, title, action, args, started_by, status,"
                    " progress, stage, message, result, details, committed, finished_at,"
                    " created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (job.id, job.kind, job.title, action, json.dumps(clean(args or {})),
                     job.started_by, *values, int(job.started_at * 1000)),
                )  # fmt: skip

    def fail(self, job_id: str, message: str) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE shared_jobs SET status=?, stage=?, message=?, finished_at=? WHERE id=?",
                (FAILED, "failed", message, _now(), job_id),
            )

    def fail_interrupted(self) -> int:
        """A new leader: jobs the old one was running will never end; they are failed, saying
        so. Queued ones wait for it."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE shared_jobs SET status=?, stage=?, message=?, finished_at=? WHERE status=?",
                (FAILED, "failed", INTERRUPTED, _now(), RUNNING),
            )
            return cursor.rowcount


class SharedJobs:
    """``orch.jobs`` of a process that shares its database: the local :class:`JobManager` (it
    runs the leader's jobs) with the table beside it.

    - ``submit``, ``schedule``, ``wait``, ``shutdown`` ... are the manager's;
    - ``enqueue`` (a follower) writes a job for the leader and returns it as a page sees it;
    - ``get``, ``list`` and ``cancel`` cover this process's jobs and the table's;
    - ``sync`` (the leader, every second) takes up queued jobs, passes on Cancel requests and
      mirrors its jobs' progress into the table.
    """

    def __init__(self, manager: JobManager, store: SharedJobStore):
        self.manager = manager
        self.store = store
        self._written: dict[str, tuple] = {}  # what sync last wrote of each job
        self._actions: dict[str, tuple[str, dict]] = {}  # job id -> (action, args) taken up

    def __getattr__(self, name: str):
        return getattr(self.manager, name)

    # ---- a follower --------------------------------------------------------------------------
    def enqueue(self, kind: str, title: str, action: str, args: dict, started_by: str) -> JobState:
        if any(j.kind == kind and j.status == RUNNING for j in self.list()):
            busy = next(j for j in self.list() if j.kind == kind and j.status == RUNNING)
            raise JobBusy(f"a {kind} job is already running: {busy.title}")
        row = self.store.enqueue(kind, title, action, args, started_by)
        log.info("%s queued for the leading process (job %s)", title, row["id"])
        return job_from_row(row)

    # ---- every process -----------------------------------------------------------------------
    def get(self, job_id: str) -> JobState | None:
        local = self.manager.get(job_id)
        if local is not None:
            return local
        row = self.store.get(job_id)
        return job_from_row(row) if row else None

    def list(self) -> list[JobState]:
        local = {j.id: j for j in self.manager.list()}
        shared = [job_from_row(r) for r in self.store.recent() if r["id"] not in local]
        return sorted([*local.values(), *shared], key=lambda j: j.started_at, reverse=True)

    def cancel(self, job_id: str) -> bool:
        if self.manager.get(job_id) is not None:
            return self.manager.cancel(job_id)
        return self.store.request_cancel(job_id)

    # ---- the leader --------------------------------------------------------------------------
    def recover(self) -> None:
        interrupted = self.store.fail_interrupted()
        if interrupted:
            log.info("%d shared jobs were interrupted with the process that ran them", interrupted)

    def sync(self, start: Callable[[str, dict, str, str], JobState]) -> None:
        """Take up queued jobs (``start(action, args, started_by, job_id)`` starts one here),
        pass on Cancel requests, mirror this process's jobs."""
        for row in self.store.claim_queued():
            args = json.loads(row["args"])
            try:
                start(row["action"], args, row["started_by"], row["id"])
                self._actions[row["id"]] = (row["action"], args)
            except Exception as exc:  # refused (busy, bad arguments) or broken: never left running
                if not isinstance(exc, JobBusy | ValueError | KeyError):
                    log.exception("queued job %s could not start", row["id"])
                self.store.fail(row["id"], f"{exc}" or type(exc).__name__)
        # Only this process runs jobs: a running row it does not hold was left by a leader
        # that is gone (or its last mirror landed after this one took over).
        held = {j.id for j in self.manager.list()}
        for job_id in self.store.running_ids():
            if job_id not in held:
                self.store.fail(job_id, INTERRUPTED)
        for job_id in self.store.cancel_requests():
            if self.manager.get(job_id) is not None:
                self.manager.cancel(job_id)
        for job in self.manager.list():
            seen = (job.status, round(job.progress, 3), job.stage, job.message, job.committed,
                    hash(json.dumps(clean(job.details), default=str)))  # fmt: skip
            if self._written.get(job.id) == seen:
                continue
            action, args = self._actions.get(job.id, ("", {}))
            self.store.mirror(job, action, args)
            self._written[job.id] = seen
