"""The status line's summary: counts per state, the newest age, the feeds in trouble."""

from dashboard.panels.status import status_summary, unfed_parts

NOW = 1_700_000_000_000


def text(parts) -> str:
    return "".join(p if isinstance(p, str) else str(p.children) for p in parts)


def test_fifty_feeds_sum_up_on_one_line_naming_the_first_in_trouble():
    feeds = {f"S{i:02d}": {"status": "ok", "last_update": NOW - 400} for i in range(50)}
    for i in (3, 7, 9, 11):
        feeds[f"S{i:02d}"] = {"status": "reconnecting", "last_update": None, "error": "timeout"}
    feeds["S20"] = {"status": "stale", "last_update": NOW - 90_000}
    parts, title = status_summary(feeds, NOW)
    line = text(parts)
    assert "45 ok" in line and "1 stale" in line and "4 reconnecting" in line
    assert "newest 0.4s ago" in line
    assert "S03, S07, S09 +2" in line and "S11" not in line
    assert "S03: reconnecting (timeout)" in title and "S20: stale" in title
    assert len(line) < 120


def test_all_ok_says_so_on_hover():
    parts, title = status_summary({"BTC/USDT": {"status": "ok", "last_update": NOW}}, NOW)
    assert "1 ok" in text(parts) and "every feed is ok" in title


def test_a_symbol_without_a_feed_is_named_before_the_feed_counts():
    feeds = {"BTC/USDT": {"status": "ok", "last_update": NOW}}
    parts = unfed_parts("MYCOIN", feeds) + status_summary(feeds, NOW)[0]
    assert text(parts).startswith("● MYCOIN: imported, no live feed · feeds: ● 1 ok")
    assert unfed_parts("BTC/USDT", feeds) == [] and unfed_parts(None, feeds) == []
