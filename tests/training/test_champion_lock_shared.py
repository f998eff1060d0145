"""On a shared PostgreSQL database the champion lock is an advisory lock there: a process on
another machine (here: another process) holding it makes this one wait, and its death frees it."""

import subprocess
import sys
import textwrap

import pytest

from core.db import Database
from training import champion_lock

HOLDER = textwrap.dedent("""
    import sys
    from core.db import Database
    from training import champion_lock
    champion_lock.use_database(Database(sys.argv[1]))
    with champion_lock.champion_lock("/nonexistent/never-used"):
        print("held", flush=True)
        sys.stdin.read()
""")


def test_a_champion_decision_waits_for_another_process_on_the_same_database(
    tmp_path, postgres_server
):
    url = postgres_server.create_schema()
    Database(url).close()  # the schema, once
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    db = Database(url)
    try:
        assert holder.stdout.readline().strip() == "held"
        champion_lock.use_database(db)
        with (
            pytest.raises(TimeoutError, match="still held"),
            champion_lock.champion_lock(tmp_path, timeout_s=0.3),
        ):
            pass
        holder.kill()  # kill -9: the lock goes with its session
        holder.wait()
        with champion_lock.champion_lock(tmp_path, timeout_s=10):
            assert not (tmp_path / champion_lock.LOCK_FILE).exists()  # not the file lock
    finally:
        champion_lock.use_database(None)
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        db.close()
