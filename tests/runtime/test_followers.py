"""Two orchestrators on one PostgreSQL database, in one process: the second follows (its charts
get the leader's candles, forming one included; its feed reads ok; a backtest or an auto-label
started there waits in the database and the leader runs it), and takes over when the first
stops."""

from __future__ import annotations

import pytest

from backtest.request import parse_request
from runtime.config import config_from_dict
from runtime.orchestrator import Orchestrator
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.slow  # two orchestrators with a feed each: seconds

SYMBOL = "BTC/USDT"


def orchestrator(tmp_path, name, url):
    return Orchestrator(config_from_dict({
        "data_dir": str(tmp_path / name), "symbols": [SYMBOL], "storage": {"url": url},
        "neural": {"bootstrap": False},
        "feed": {"backfill_1m_hours": 1, "backfill_1s_minutes": 1, "poll_interval_s": 0.1},
    }, base_dir=tmp_path))  # fmt: skip


def test_a_follower_serves_the_leaders_data_queues_its_jobs_and_takes_over(
    tmp_path, postgres_server
):
    url = postgres_server.create_schema()
    leader, follower = orchestrator(tmp_path, "a", url), orchestrator(tmp_path, "b", url)
    try:
        leader.start()
        follower.start()
        assert (leader.role, follower.role) == ("leader", "follower")
        assert follower.health()["role"] == "follower"

        # The leader's forming candle reaches the follower's chart, and its closed ones too.
        def forming_arrives():
            seen, led = follower.store.latest(SYMBOL, "1s"), leader.store.latest(SYMBOL, "1s")
            return seen is not None and not seen.closed and seen.time >= led.time - 2000

        wait_for(forming_arrives)
        wait_for(lambda: follower.feed_status()[SYMBOL]["status"] == "ok")

        # A backtest started on the follower waits in the database; the leader runs it.
        request = parse_request({"symbol": SYMBOL, "strategy": "sma_cross"}, follower)
        run_id = follower.backtests.submit(request, started_by="vic")
        wait_for(lambda: follower.backtests.status(run_id)["status"] == "done", timeout=60)
        assert leader.backtests.get(run_id)["started_by"] == "vic"

        # So does any other job (here an auto-label): the follower's page follows it to its end.
        job = follower.start_autolabel(SYMBOL, "1m", 1.0, started_by="vic")
        assert job.stage == "queued for the leading app process"
        wait_for(lambda: follower.jobs.get(job.id).status == "done", timeout=60)
        assert leader.jobs.get(job.id).started_by == "vic"  # it ran there, under the same id
        assert follower.jobs.manager.get(job.id) is None  # and not here

        last = leader.store.latest_closed(SYMBOL, "1s")
        leader.stop()
        wait_for(lambda: follower.role == "leader", timeout=15)
        # The new leader's feed continues from what the old one stored.
        wait_for(lambda: follower.store.latest_closed(SYMBOL, "1s").time > last.time + 2000)
        times = [c.time for c in follower.store.candles(SYMBOL, "1s") if c.time >= last.time]
        assert all(b - a == 1000 for a, b in zip(times, times[1:], strict=False))
    finally:
        follower.stop()
        leader.stop()
        follower.db.close()
        leader.db.close()
