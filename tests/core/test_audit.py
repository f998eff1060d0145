"""The audit log: one row per action, newest first, filtered by person, exported as CSV."""

from core.audit import AuditLog
from core.db import Database


def test_records_lists_filters_and_exports(db_url):
    log = AuditLog(Database(db_url))
    log.record("ann", "span saved", "bull_flag BTC/USDT 1m", at=1)
    log.record("bo", "bulk accepted", "3 spans", at=2)
    log.record("ann", "champion promoted", "cnn v2", at=3)
    assert [r["action"] for r in log.list()] == ["champion promoted", "bulk accepted", "span saved"]
    assert [r["at"] for r in log.list(person="ann")] == [3, 1]
    lines = log.csv_text().splitlines()
    assert lines[0] == "at,person,action,detail" and lines[1] == "3,ann,champion promoted,cnn v2"
    # Kept across a reopen.
    assert len(AuditLog(Database(db_url)).list()) == 3
