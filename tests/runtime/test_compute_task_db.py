"""A Ray task's database (champion decisions under the shared lock) is closed when it ends."""

from __future__ import annotations

from contextlib import nullcontext

import pytest

from runtime import compute_jobs
from training import champion_lock


@pytest.mark.parametrize("fails", [False, True])
def test_a_tasks_database_is_closed_when_it_ends(postgres_server, fails):
    seen = []
    url = postgres_server.create_schema()
    expected = pytest.raises(RuntimeError) if fails else nullcontext()
    with expected, compute_jobs._shared_database(url):
        seen.append(champion_lock._SHARED["db"])
        if fails:
            raise RuntimeError("training failed")
    assert seen[0] is not None and seen[0].closed
    assert champion_lock._SHARED["db"] is None
