"""A leader that loses its lock stops leading at once, and stands again on a fresh connection
(real PostgreSQL: the lock session is ended with ``pg_terminate_backend``)."""

from __future__ import annotations

import pytest

from core.db import Database
from runtime.leadership import Leadership, LeadershipLost
from tests.helpers.waiting import wait_for


def terminate(db: Database, pid: int) -> None:
    # Waits (up to 5 s) until the session has ended and its advisory locks are gone.
    assert db.query("SELECT pg_terminate_backend(?, 5000)", (pid,))[0][0]


def test_a_fenced_write_makes_the_leader_stop_at_once_and_stand_again(postgres_server):
    db = Database(postgres_server.create_schema())
    events: list[str] = []
    # A check every 60 s: only the fence can make it notice within the test's wait.
    leadership = Leadership(db, lambda: events.append("gained"), lambda: events.append("lost"),
                            every_s=60)  # fmt: skip
    try:
        leadership.start()
        assert leadership.role == "leader"
        terminate(db, leadership._pid)

        with pytest.raises(LeadershipLost), db.transaction() as conn:
            leadership.fence(conn.raw)
        wait_for(lambda: events == ["gained", "lost"], timeout=5)
        assert leadership.role == "follower"

        # It stands again, on a fresh connection (the old one is dead).
        leadership.every_s = 0.1
        leadership._wake.set()
        wait_for(lambda: leadership.role == "leader", timeout=10)
        assert events == ["gained", "lost", "gained"]
    finally:
        leadership.stop()
        db.close()


def test_a_leader_whose_lock_session_dies_stops_leading(postgres_server):
    db = Database(postgres_server.create_schema())
    lost: list[bool] = []
    leadership = Leadership(db, lambda: None, lambda: lost.append(True), every_s=0.1)
    try:
        leadership.start()
        first = leadership._pid
        terminate(db, first)
        wait_for(lambda: lost, timeout=10)
        wait_for(lambda: leadership.role == "leader", timeout=10)
        assert leadership._pid != first
    finally:
        leadership.stop()
        db.close()


def test_the_lock_connection_asks_the_server_to_drop_a_dead_host_within_30_s(postgres_server):
    db = Database(postgres_server.create_schema())
    conn = db.lock_connection()
    try:
        shown = {
            name: conn.exec_driver_sql(f"SHOW {name}").scalar()
            for name in (
                "tcp_keepalives_idle",
                "tcp_keepalives_interval",
                "tcp_keepalives_count",
                "tcp_user_timeout",
            )  # fmt: skip
        }
        assert shown == {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5",
                         "tcp_keepalives_count": "4", "tcp_user_timeout": "30000"}  # fmt: skip
    finally:
        conn.close()
        db.close()
