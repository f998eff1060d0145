"""A trader on a slow machine: every chart redraw takes longer than the one-second tick. The
charts still move on (a tick waits for the chart's last redraw instead of making the page drop
its answer, assets/tick_clock.js)."""

import time

import pytest

from dashboard.panels.charts import live_charts
from tests.helpers.browser import LIVE_TICK, figure_data, serve_app
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path):
    """The default 1 s tick: this module is about what happens each second."""
    yield from serve_app(tmp_path, LIVE_TICK)


SLOW_S = 1.6  # each redraw's server time: over the 1 s tick


def test_charts_keep_updating_when_each_redraw_takes_longer_than_a_tick(page, served, monkeypatch):
    real = live_charts.tick

    def slow_tick(*args, **kwargs):
        time.sleep(SLOW_S)
        return real(*args, **kwargs)

    monkeypatch.setattr(live_charts, "tick", slow_tick)
    last = "gd.data[0].x[gd.data[0].x.length - 1]"
    first = figure_data(page, "1s", last)
    # Several new 1 s candles drawn: without the wait every answer came after the next tick
    # and was dropped, and the chart stood still.
    wait_for(lambda: figure_data(page, "1s", last) >= first + 3_000, timeout=45)
