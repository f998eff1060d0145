"""The page's ticks on either clock: the charts' tick and the other panels' tick both arrive, and
the 1 s chart grows (``dashboard.tick_clock``)."""

import pytest

from tests.helpers.browser import CHART_TICK, PANELS_TICK, figure_data, serve_app, ticks_pass
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

NEWEST = "gd.data[0].x[gd.data[0].x.length - 1]"


@pytest.fixture(params=["clock", "interval"])
def served(request, tmp_path):
    dashboard = {"refresh_interval_ms": 1000, "tick_clock": request.param}
    yield from serve_app(tmp_path, {"dashboard": dashboard})


def test_charts_and_panels_tick_on_either_clock(page):
    first = figure_data(page, "1s", NEWEST)
    ticks_pass(page, 2, CHART_TICK)  # the charts' callback, on its own tick
    ticks_pass(page, 2, PANELS_TICK)  # the status line and the other panels
    wait_for(lambda: figure_data(page, "1s", NEWEST) > first)
    wait_for(lambda: "3 ok" in page.locator("#feed-status summary").inner_text())
