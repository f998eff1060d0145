"""A leader's shutdown on PostgreSQL: it stops standing for leader first, stops its feed while it
still holds the lock, and releases the lock only after its last write."""

from __future__ import annotations

import pytest

from runtime import lifecycle
from runtime.config import config_from_dict
from runtime.orchestrator import Orchestrator

pytestmark = pytest.mark.slow  # an orchestrator with a feed: seconds

FAST = {"feed": {"backfill_1m_hours": 1, "backfill_1s_minutes": 1}, "neural": {"bootstrap": False}}


def spy(order: list[str], obj, name: str, label: str) -> None:
    real = getattr(obj, name)

    def wrapped(*args, **kwargs):
        order.append(label)
        return real(*args, **kwargs)

    setattr(obj, name, wrapped)


@pytest.mark.parametrize("how", ["shutdown", "stop"])
def test_a_leader_releases_its_lock_after_its_feed_and_last_write(tmp_path, postgres_server, how):
    config = config_from_dict({"data_dir": str(tmp_path / "data"),
                               "storage": {"url": postgres_server.create_schema()}, **FAST},
                              base_dir=tmp_path)  # fmt: skip
    orch = Orchestrator(config)
    orch.start()
    try:
        assert orch.role == "leader"
        order: list[str] = []
        spy(order, orch.leadership, "stand_down", "stand down")
        spy(order, orch._runner, "stop", "feed stopped")
        spy(order, orch.store, "flush", "flush")
        spy(order, orch.leadership, "release", "release")
        if how == "shutdown":
            lifecycle.shutdown(orch)
        else:
            orch.stop()
        assert order[0] == "stand down" and order[-1] == "release", order
        assert order.index("feed stopped") < order.index("release")
        if how == "shutdown":
            assert max(i for i, step in enumerate(order) if step == "flush") < len(order) - 1
        assert orch.role == "follower"
    finally:
        orch.stop()
        orch.db.close()
