// The page's ticks on the clock (dashboard/panels/charts/tick_clock.py): the charts' tick a little after
// each interval boundary (when the feed has just stored the new 1 s candle), the other panels'
// tick half an interval later, so their requests never queue in front of the charts'. Timers
// are set from Date.now() each time, so a late timer (a busy page) never shifts the phase.
// A chart still waiting for its last redraw skips the beat: a new tick would make the page
// drop that answer when it comes, and on a slow machine (redraws over a second) no redraw would
// ever land. At most MAX_SKIPPED beats in a row, so a lost answer never stops the charts.
(function () {
  let running = null;
  const MAX_SKIPPED = 4;

  function chartsBusy() {
    return !!document.querySelector('.chart-block [data-dash-is-loading="true"]');
  }

  function start(clock) {
    if (running) {
      running.clock = clock;
      return;
    }
    running = { clock: clock, n: 0, skipped: 0 };
    const schedule = function () {
      const interval = running.clock.interval_ms;
      const offset = running.clock.offset_ms;
      const now = Date.now();
      const next = Math.floor((now - offset) / interval) * interval + interval + offset;
      setTimeout(fire, next - now);
    };
    const fire = function () {
      const c = running.clock;
      running.n += 1;
      const n = running.n;
      if (chartsBusy() && running.skipped < MAX_SKIPPED) {
        running.skipped += 1;
      } else {
        running.skipped = 0;
        window.dash_clientside.set_props(c.chart_tick, { data: n });
      }
      setTimeout(function () {
        window.dash_clientside.set_props(c.tick, { n_intervals: n });
      }, c.interval_ms / 2);
      schedule();
    };
    schedule();
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    tickClock: {
      // Interval mode: the charts tick with the interval. Clock mode: start the clock once.
      relay: function (clock, n) {
        if (!clock || clock.mode !== "clock") return n || 0;
        start(clock);
        return window.dash_clientside.no_update;
      },
      // A job poll's tick (tick_clock.WATCHED): the panels' tick, passed on only while the
      // watched store names a job (its id) or a run ({"id": ...}).
      whileWatched: function (n, watched) {
        const named = watched && (typeof watched !== "object" || watched.id);
        return named ? n : window.dash_clientside.no_update;
      },
    },
  });
})();
