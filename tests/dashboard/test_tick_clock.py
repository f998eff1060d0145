"""The page's ticks on the clock: the feed polls on the wall clock's grid, the config names a
bad clock, and the layout hands the page's clock what it needs."""

import pytest

from core.config import ConfigError, FeedConfig
from dashboard import ids
from dashboard.panels.charts import tick_clock
from market.feed_runner import FeedRunner
from runtime.config import config_from_dict


@pytest.mark.parametrize(
    ("now_s", "wait_s"),
    [(1_700_000_000.0, 0.25), (1_700_000_000.1, 0.15), (1_700_000_000.999, 0.001),
     (1_700_000_000.25, 0.25), (1_700_000_000.26, 0.24)],
)  # fmt: skip
def test_the_feed_polls_on_the_wall_clocks_grid(now_s, wait_s):
    runner = FeedRunner(None, None, [], FeedConfig(poll_interval_s=0.25), clock=lambda: now_s)
    assert runner.next_poll_in() == pytest.approx(wait_s, abs=1e-6)


def test_a_poll_just_after_a_second_begins_is_followed_by_one_at_each_quarter():
    now = [1_700_000_003.004]
    runner = FeedRunner(None, None, [], FeedConfig(poll_interval_s=0.25), clock=lambda: now[0])
    polls = []
    for _ in range(5):
        now[0] += runner.next_poll_in() + 0.003  # each poll takes 3 ms
        polls.append(round(now[0] % 1, 3))
    assert polls == [0.253, 0.503, 0.753, 0.003, 0.253]


@pytest.mark.parametrize(
    ("section", "message"),
    [({"tick_clock": "sundial"}, "dashboard.tick_clock: must be one of clock, interval"),
     ({"tick_offset_ms": 500}, "dashboard.tick_offset_ms: must be 0..499"),
     ({"tick_offset_ms": -1}, "dashboard.tick_offset_ms")],
)  # fmt: skip
def test_a_bad_tick_clock_is_refused_naming_its_key(section, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict({"dashboard": section})


def by_id(components):
    return {c.id: c for c in components}


def test_on_the_clock_the_interval_timer_is_off_and_the_page_gets_the_clock():
    config = config_from_dict({"dashboard": {"tick_offset_ms": 80}}).dashboard
    parts = by_id(tick_clock.layout(config))
    assert parts[ids.TICK].disabled is True
    expected = {"mode": "clock", "interval_ms": 1000, "offset_ms": 80,
                "chart_tick": ids.CHART_TICK, "tick": ids.TICK}  # fmt: skip
    assert parts[ids.TICK_CLOCK].data == expected


def test_the_interval_clock_keeps_the_free_running_interval():
    config = config_from_dict({"dashboard": {"tick_clock": "interval"}}).dashboard
    parts = by_id(tick_clock.layout(config))
    assert parts[ids.TICK].disabled is False
    assert parts[ids.TICK_CLOCK].data["mode"] == "interval"
