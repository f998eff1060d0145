"""A trader replays the last hour: play, pause, seek, and back to live where the charts would be."""

import time

import pytest

from core.timefmt import format_ms
from tests.helpers.browser import figure_data, ticks_pass
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser


def replay(page, expr):
    return page.evaluate(
        f"() => {{ const gd = document.querySelector('#replay-graph .js-plotly-plot');"
        f" return {expr}; }}"
    )


def shown_ids(page):
    """Ids of the predictions drawn, pending or resolved (it resolves 5 minutes after)."""
    names = "['CNN target', 'Resolved: hit', 'Resolved: miss']"
    return replay(page, f"gd.data.filter(t => {names}.includes(t.name))"
                        ".flatMap(t => t.customdata || [])")  # fmt: skip


def clock(page):
    return page.locator("#replay-clock").inner_text()


def seek(page, fraction):
    box = page.locator("#replay-slider .dash-slider-track").bounding_box()
    x = box["x"] + box["width"] * fraction
    page.mouse.click(min(x, box["x"] + box["width"] - 1), box["y"] + box["height"] / 2)


def test_replay_play_pause_seek_and_back_to_live(page, served):
    orch = served.orch
    at = orch.store.tail("BTC/USDT", "1m", 30)[0]
    made = orch.store_cnn_prediction("BTC/USDT", {
        "timestamp": at.time, "confidence": 0.8, "direction": "UP", "current_price": at.close,
        "target_price": at.close * 1.01, "horizon_minutes": 5})  # fmt: skip
    page.locator("#replay-speed").select_option("60")
    # The hour up to two minutes from now: the prediction stored now arrives near its end.
    page.locator("#replay-to").fill(format_ms(int(time.time() * 1000) + 120_000))
    page.get_by_role("button", name="Replay", exact=True).click()
    wait_for(lambda: page.locator("#replay-box").is_visible())
    assert not page.locator("#charts").is_visible()
    wait_for(lambda: "paused" in clock(page))
    start_clock = clock(page)
    assert replay(page, "gd.data[0].x.length") <= 1  # the hour's first candle at most

    page.get_by_role("button", name="Play", exact=True).click()
    wait_for(lambda: "playing" in clock(page) and clock(page) != start_clock)
    wait_for(lambda: replay(page, "gd.data[0].x.length") >= 2)

    page.get_by_role("button", name="Pause", exact=True).click()
    wait_for(lambda: "paused" in clock(page))
    paused = clock(page)
    ticks_pass(page, 2)
    assert clock(page) == paused

    # The prediction was stored just now: it arrives at the end of the replayed hour.
    seek(page, 0.5)
    wait_for(lambda: clock(page) != paused)
    assert shown_ids(page) == []
    middle = replay(page, "gd.data[0].x.length")
    seek(page, 1.0)
    wait_for(lambda: shown_ids(page) == [made["id"]])
    assert replay(page, "gd.data[0].x.length") > middle

    live_last = orch.store.latest("BTC/USDT", "1s").time
    page.get_by_role("button", name="Back to live").click()
    wait_for(lambda: page.locator("#charts").is_visible())
    assert not page.locator("#replay-box").is_visible()
    wait_for(lambda: clock(page) == "")
    # The live chart kept its ticks while hidden: it holds the newest candles.
    wait_for(lambda: figure_data(page, "1s", "gd.data[0].x[gd.data[0].x.length - 1]") >= live_last)
