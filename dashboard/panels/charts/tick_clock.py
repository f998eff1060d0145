"""The page's ticks. With ``dashboard.tick_clock: clock`` (the default) the browser's clock drives
them (``assets/tick_clock.js``): the charts' tick ``tick_offset_ms`` after each interval boundary
of the clock, just after the feed's poll at the boundary has stored the new 1 s candle, and the
other panels' tick half an interval later, so their requests never queue in front of the
charts'. With ``interval`` a free-running ``dcc.Interval`` drives both at once, as before: a new
candle then waits for a tick at a random phase of the second.

The job polls (an autolabel or training job started on this page, the backtest or search shown)
tick only while there is something to watch: their tick is the panels' tick, passed on in the
browser while the store they watch names a job or a run (``WATCHED``), in both modes. A page
that has started or shown none since it loaded sends none of their four requests a tick; once
one is watched its poll goes on until the page is reloaded, as every poll did before."""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, dcc

from dashboard import ids
from dashboard.callbacks import CallbackSet

callbacks = CallbackSet()

# each job poll's tick: the store it watches
WATCHED = {
    ids.AUTO_TICK: ids.AUTO_JOB,
    ids.TRAIN_TICK: ids.TRAIN_JOB,
    ids.BT_TICK: ids.BT_SHOWN,
    ids.RESEARCH_TICK: ids.BT_RESEARCH_SHOWN,
}


def layout(config) -> list:
    """``config``: the dashboard section."""
    clock = config.tick_clock == "clock"
    return [
        # Clock mode sets n_intervals from the page's clock; the interval's own timer is off.
        dcc.Interval(id=ids.TICK, interval=config.refresh_interval_ms, disabled=clock),
        dcc.Store(id=ids.CHART_TICK, data=0),
        dcc.Store(
            id=ids.TICK_CLOCK,
            data={
                "mode": config.tick_clock,
                "interval_ms": config.refresh_interval_ms,
                "offset_ms": config.tick_offset_ms,
                "chart_tick": ids.CHART_TICK,
                "tick": ids.TICK,
            },  # fmt: skip
        ),
        *(dcc.Store(id=tick) for tick in WATCHED),
    ]


callbacks.clientside(
    ClientsideFunction("tickClock", "relay"),
    Output(ids.CHART_TICK, "data"),
    Input(ids.TICK_CLOCK, "data"),
    Input(ids.TICK, "n_intervals"),
)

for _tick, _watched in WATCHED.items():
    callbacks.clientside(
        ClientsideFunction("tickClock", "whileWatched"),
        Output(_tick, "data"),
        Input(ids.TICK, "n_intervals"),
        State(_watched, "data"),
    )
