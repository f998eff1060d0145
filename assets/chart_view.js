// How the live charts behave under the mouse, in the browser (no server round trip):
// - the price (and volume) axis fits the candles in view after every zoom, pan or new candle;
// - while the right edge shows the newest candle the view follows new candles ("live"); once
//   the user scrolls away a "Back to live" button appears (a double-click also goes back);
// - the view is remembered per symbol and timeframe across symbol switches;
// - an OHLCV legend shows the candle under the cursor (else the newest one);
// - the visible time range is reported to the server, which draws the spans inside it;
// - the chart holds still while the mouse is held down on it (a box-select, zoom or pan drag):
//   the ticks that arrive meanwhile are held back and the newest is drawn on release, so a drag
//   selects exactly the candles it was drawn over and its box stays on screen.
// Relayouts are made as GUI edits so the figure's uirevision keeps them through later ticks.
(function () {
  const views = {}; // "symbol|timeframe" -> {live, range}

  function candles(gd) {
    const c = gd.data && gd.data[0];
    return c && c.x && c.x.length ? c : null;
  }

  function frameOf(c) {
    const n = c.x.length;
    return n > 1 ? c.x[n - 1] - c.x[n - 2] : 60000;
  }

  function xRange(gd) {
    const ax = gd._fullLayout && gd._fullLayout.xaxis;
    if (!ax || !ax.range) return null;
    return [ax.r2l(ax.range[0]), ax.r2l(ax.range[1])];
  }

  function guiRelayout(gd, update) {
    const full = gd._fullLayout;
    full._guiEditing = true;
    try {
      return Plotly.relayout(gd, update);
    } finally {
      full._guiEditing = false;
    }
  }

  // The relayouts a redraw makes (following the newest candle, fitting the prices to it) are
  // not told to Dash: its dcc.Graph copies each relayout's axes into its figure prop, which drew
  // the whole chart a second time and updated the page's store, after every tick. The server
  // never reads them (the visible range goes through the chart's own store, report below), and
  // the redraw's other listeners (time_zone.js's labels) run after this one. What the user does
  // (keys, Back to live, a drag) is told as before: the address follows it (deep_link.js).
  function quietRelayout(gd, update) {
    // Only the event of this relayout is kept from Dash: another one Plotly emits meanwhile
    // (the user's drag or drawing) is told as usual.
    const keys = Object.keys(update).sort().join();
    const quiet = (gd._tdQuiet = gd._tdQuiet || []);
    quiet.push(keys);
    const quietEnd = () => {
      const i = quiet.indexOf(keys);
      if (i >= 0) quiet.splice(i, 1);
    };
    let done;
    try {
      done = guiRelayout(gd, update);
    } catch (error) {
      quietEnd();
      throw error;
    }
    return Promise.resolve(done).then(quietEnd, (error) => {
      quietEnd();
      throw error;
    });
  }

  function isQuiet(gd, data) {
    const i = gd._tdQuiet ? gd._tdQuiet.indexOf(Object.keys(data || {}).sort().join()) : -1;
    if (i >= 0) gd._tdQuiet.splice(i, 1);
    return i >= 0;
  }

  function setX(gd, range) {
    gd._tdExpectX = range;
    return guiRelayout(gd, { "xaxis.range": range, "xaxis2.range": range });
  }

  // Room kept above the highest high in view and below the lowest low, in pixels (the same rule
  // as the server's first range, dashboard/figures/chart_layout.py price_range): the largest
  // DQN arrow reaches 17 px off its candle (ARROW_STANDOFF in dashboard/figures/charts.py, and
  // plotly's triangle is 1.5 times its half-size tall) and a disagreement's cross above it
  // reaches 28 px. A share of the price span alone (5 % above) left a SELL on the highest
  // candle outside the plot, where plotly clips it.
  const MARK_ROOM_PX = 30;
  const NOMINAL_AXIS_PX = 235; // the price axis at 1400x900, before the chart is laid out

  // [below, above]: the price room under the lowest low and over the highest high, for a
  // price axis len pixels long showing span of prices between them. 8 % of the span below (the
  // pending labels' strip) and 5 % above, or MARK_ROOM_PX where that is more.
  function pads(len, span) {
    len = len || NOMINAL_AXIS_PX;
    const below = Math.max(MARK_ROOM_PX, (len * 0.08) / 1.13);
    const above = Math.max(MARK_ROOM_PX, (len * 0.05) / 1.13);
    const pricePerPx = span / (len - below - above);
    return [below * pricePerPx, above * pricePerPx];
  }

  // The price (and volume) ranges that fit the candles inside time range r; null when the
  // axis already fits or the user set the price axis by hand.
  function yUpdate(gd, r) {
    const c = candles(gd);
    if (!c || !r || gd._tdManualY) return null;
    let lo = Infinity, hi = -Infinity, vol = 0;
    for (let i = 0; i < c.x.length; i++) {
      if (c.x[i] < r[0] || c.x[i] > r[1]) continue;
      if (c.low[i] < lo) lo = c.low[i];
      if (c.high[i] > hi) hi = c.high[i];
      const v = gd.data[1] && gd.data[1].y ? gd.data[1].y[i] : 0;
      if (v > vol) vol = v;
    }
    if (!isFinite(lo)) return null;
    const span = hi - lo || hi * 0.001;
    const [below, above] = pads(gd._fullLayout.yaxis._length, span);
    const y = [lo - below, hi + above];
    const now = gd._fullLayout.yaxis.range;
    if (now && Math.abs(now[0] - y[0]) < span * 1e-3 && Math.abs(now[1] - y[1]) < span * 1e-3) return null;
    gd._tdExpectY = y;
    const update = { "yaxis.range": y };
    if (vol > 0) update["yaxis2.range"] = [0, vol * 1.15];
    return update;
  }

  function fitY(gd, relayout) {
    const update = yUpdate(gd, xRange(gd));
    if (update) (relayout || guiRelayout)(gd, update);
  }

  function liveRange(gd) {
    const c = candles(gd);
    const frame = frameOf(c);
    const width = gd._tdWidth || frame * 150;
    // Room right of the last candle for the latest targets, as the server's opening range.
    const right = c.x[c.x.length - 1] + frame * Math.max(2, Math.round((width / frame) * 0.06));
    return [right - width, right];
  }

  // A figure of a past range loaded from the rollups (layout.meta.past, see ranged_figure in
  // dashboard/panels/charts/live_charts.py) ends where that range ends, not at the newest candle.
  function isPast(gd) {
    return !!(gd.layout && gd.layout.meta && gd.layout.meta.past);
  }

  function backToLive(gd) {
    if (!candles(gd)) return;
    gd._tdLive = true;
    gd._tdManualY = false;
    if (isPast(gd) && window.dash_clientside && dash_clientside.set_props) {
      // Ask the server for the live figure (no visible range: its live window) and move there
      // when it arrives (onAfterPlot): the newest candle is not in this figure.
      gd._tdGoLive = true;
      setStore(gd, "chart-visible", null);
      mark(gd);
      return;
    }
    setX(gd, liveRange(gd));
    remember(gd);
    mark(gd);
  }

  // Sets the chart's store of that type: its id is the graph's own (its timeframe and symbol,
  // dashboard/ids.py chart) with the type swapped. Not for a chart the page has dropped (a
  // symbol switch): Dash throws on an id it doesn't hold, and its layout can drop the chart a
  // moment before the element leaves the document.
  function setStore(gd, type, data) {
    const host = gd.closest(".dash-graph");
    if (!host || !document.body.contains(gd) || !window.dash_clientside || !dash_clientside.set_props) return;
    try {
      dash_clientside.set_props(Object.assign(JSON.parse(host.id), { type: type }), { data: data });
    } catch (e) {
      // that chart is gone: nothing to report to
    }
  }

  function remember(gd) {
    views[gd._tdKey] = { live: gd._tdLive, range: xRange(gd) };
  }

  function block(gd) {
    return gd.closest(".chart-block");
  }

  function mark(gd) {
    const b = block(gd);
    if (b) b.classList.toggle("away-from-live", !gd._tdLive);
  }

  function decimals(gd) {
    const m = /\.(\d+)f/.exec((gd.layout.yaxis && gd.layout.yaxis.tickformat) || "");
    return m ? +m[1] : 2;
  }

  function legend(gd, i) {
    const c = candles(gd);
    const b = block(gd);
    const el = b && b.querySelector(".ohlcv-legend");
    if (!c || !el) return;
    if (i === undefined || i === null || i >= c.x.length) i = c.x.length - 1;
    const d = decimals(gd);
    const f = (v) => v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
    const vol = gd.data[1] && gd.data[1].y ? gd.data[1].y[i] : 0;
    const when = window.tdTime ? tdTime.format(c.x[i], true) : new Date(c.x[i]).toISOString().slice(0, 19).replace("T", " ");
    el.textContent = `${when}  O ${f(c.open[i])}  H ${f(c.high[i])}  L ${f(c.low[i])}  C ${f(c.close[i])}  V ${(+vol).toLocaleString("en-US", { maximumFractionDigits: 2 })}`;
    el.classList.toggle("down", c.close[i] < c.open[i]);
    // After the title, whatever its length ("BTC/USDT · 15m candles · auto" is longer than the
    // room the stylesheet leaves).
    const title = b.querySelector(".gtitle");
    if (title) {
      const right = title.getBoundingClientRect().right - b.getBoundingClientRect().left;
      el.style.left = Math.max(136, Math.ceil(right) + 12) + "px";
    }
  }

  function report(gd) {
    const r = xRange(gd);
    if (!r || !window.dash_clientside || !dash_clientside.set_props) return;
    const key = Math.round(r[0]) + ":" + Math.round(r[1]);
    if (key === gd._tdReported) return;
    gd._tdReported = key;
    setStore(gd, "chart-visible", r);
  }

  // What the modebar's line or rectangle tool just drew (named by the figure's newshape,
  // dashboard/figures/drawing_shapes.py NEW_SHAPE_NAME), handed to the server through its own
  // store. Not through relayoutData: the 1 s chart's follow-live relayout every tick can replace
  // it before a busy page sends the callback, and the drawing is lost.
  function reportDrawn(gd, ev) {
    if (!Array.isArray(ev.shapes)) return;
    const drawn = ev.shapes.filter((s) => s && s.name === "new-drawing");
    if (!drawn.length) return;
    setStore(gd, "chart-drawn", { shape: drawn[drawn.length - 1], at: Date.now() });
  }

  function near(a, b, tolerance) {
    return a && b && Math.abs(a[0] - b[0]) <= tolerance && Math.abs(a[1] - b[1]) <= tolerance;
  }

  function onRelayout(gd, ev) {
    const c = candles(gd);
    if (!c) return;
    const frame = frameOf(c);
    if (ev["xaxis.autorange"] || ev["xaxis2.autorange"]) return backToLive(gd);
    const x0 = ev["xaxis.range[0]"] ?? ev["xaxis2.range[0]"] ?? (ev["xaxis.range"] || ev["xaxis2.range"] || [])[0];
    if (x0 !== undefined) {
      const r = xRange(gd);
      if (!near(r, gd._tdExpectX, frame / 10)) {
        // The user zoomed or panned: follow new candles only while the newest one is in view.
        gd._tdLive = r[1] >= c.x[c.x.length - 1];
        gd._tdWidth = r[1] - r[0];
        gd._tdManualY = false;
      }
      gd._tdExpectX = null;
      gd._tdSeen = r;
      fitY(gd);
      remember(gd);
      mark(gd);
      report(gd);
      return;
    }
    if (ev["yaxis.autorange"]) {
      gd._tdManualY = false;
      return fitY(gd);
    }
    const y0 = ev["yaxis.range[0]"] ?? (ev["yaxis.range"] || [])[0];
    if (y0 !== undefined && !near(gd._fullLayout.yaxis.range, gd._tdExpectY, 1e-9 + Math.abs(y0) * 1e-9)) {
      gd._tdManualY = true; // the user dragged the price axis: leave it as they set it
    }
  }

  function onAfterPlot(gd) {
    const c = candles(gd);
    if (!c) return;
    const key = gd.layout.uirevision;
    if (gd._tdKey !== key) {
      // A new chart, symbol or timeframe: bring back this one's last view.
      gd._tdKey = key;
      const r = xRange(gd);
      gd._tdWidth = r ? r[1] - r[0] : null;
      gd._tdLastX = c.x[c.x.length - 1];
      const saved = views[key];
      // A chart opened on a past range (a deep link) is not live: new candles must not move it.
      gd._tdLive = saved ? saved.live : !r || r[1] >= gd._tdLastX;
      if (saved && !saved.live && saved.range) {
        gd._tdWidth = saved.range[1] - saved.range[0];
        setX(gd, saved.range);
      } else if (saved) {
        gd._tdWidth = saved.range ? saved.range[1] - saved.range[0] : gd._tdWidth;
        setX(gd, liveRange(gd));
      }
      mark(gd);
    }
    if (gd._tdGoLive && !isPast(gd)) {
      // Home from a past range: the live figure is here; show its newest candles.
      gd._tdGoLive = false;
      gd._tdLastX = c.x[c.x.length - 1];
      gd._tdLive = true;
      setX(gd, liveRange(gd));
      remember(gd);
      mark(gd);
    }
    const last = c.x[c.x.length - 1];
    const r = xRange(gd);
    const frame = frameOf(c);
    if (r && gd._tdSeen && !near(r, gd._tdSeen, frame / 10) && !near(r, gd._tdExpectX, frame / 10)) {
      // The server moved the view (a jump to a span): live only if the newest candle shows.
      gd._tdLive = r[1] >= last;
      gd._tdWidth = r[1] - r[0];
      remember(gd);
      mark(gd);
    }
    if (gd._tdLive && last !== gd._tdLastX && r) {
      // Follow the new candle: one relayout moves the time range and fits the prices to it.
      const moved = [r[0] + (last - gd._tdLastX), r[1] + (last - gd._tdLastX)];
      const update = yUpdate(gd, moved) || {};
      gd._tdExpectX = moved;
      update["xaxis.range"] = moved.slice();
      update["xaxis2.range"] = moved.slice();
      gd._tdLastX = last;
      quietRelayout(gd, update);
    } else {
      gd._tdLastX = last;
      fitY(gd, quietRelayout);
    }
    gd._tdSeen = xRange(gd);
    if (!gd._tdHovering) legend(gd);
    report(gd);
  }

  // Holding still: dcc.Graph draws every new figure with Plotly.react. While a drag is in
  // progress on a chart the newest figure waits (its promise resolves once it is drawn).
  function holdStill() {
    if (!window.Plotly || Plotly._tdHolding) return;
    const react = Plotly.react;
    Plotly._tdReact = react;
    Plotly._tdHolding = true;
    Plotly.react = function (gd) {
      const args = Array.prototype.slice.call(arguments);
      if (gd && gd._tdDragging) {
        return new Promise(function (resolve) {
          const held = gd._tdHeld || { resolvers: [] };
          held.args = args;
          held.resolvers.push(resolve);
          gd._tdHeld = held;
        });
      }
      return react.apply(this, args);
    };
  }

  function release(gd) {
    if (!gd._tdDragging) return;
    gd._tdDragging = false;
    const held = gd._tdHeld;
    gd._tdHeld = null;
    if (!held) return;
    Promise.resolve(Plotly._tdReact.apply(Plotly, held.args)).then(
      () => held.resolvers.forEach((r) => r()),
      () => held.resolvers.forEach((r) => r())
    );
  }

  function bind(gd) {
    if (gd._tdBound || !gd.on) return;
    gd._tdBound = true;
    holdStill();
    gd.addEventListener("mousedown", function (event) {
      if (event.button !== 0 || !event.target.closest(".draglayer")) return;
      gd._tdDragging = true;
      // Released after Plotly's own mouseup handler has reported the selection.
      const up = function () {
        window.removeEventListener("mouseup", up);
        setTimeout(() => release(gd), 0);
      };
      window.addEventListener("mouseup", up);
    }, true);
    gd.on("plotly_relayout", (ev) => {
      reportDrawn(gd, ev || {});
      onRelayout(gd, ev || {});
    });
    const emit = gd.emit;
    gd.emit = function (name, data) {
      if (name === "plotly_relayout" && isQuiet(gd, data)) return onRelayout(gd, data || {});
      return emit.apply(this, arguments);
    };
    gd.on("plotly_afterplot", () => onAfterPlot(gd));
    gd.on("plotly_hover", (ev) => {
      const p = (ev.points || []).find((pt) => pt.curveNumber === 0 || pt.curveNumber === 1);
      if (!p) return;
      gd._tdHovering = true;
      legend(gd, p.pointNumber);
    });
    gd.on("plotly_unhover", () => {
      gd._tdHovering = false;
      legend(gd);
    });
    onAfterPlot(gd);
  }

  function scan() {
    document.querySelectorAll(".chart-block .js-plotly-plot").forEach(bind);
  }

  // For the keymap (assets/keymap.js): moves made as the user's own.
  window.tdChart = { relayout: guiRelayout, backToLive: backToLive, candles: candles };

  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest(".back-to-live");
    if (!button) return;
    const gd = button.closest(".chart-block").querySelector(".js-plotly-plot");
    if (gd) backToLive(gd);
  });
  let queued = false;
  new MutationObserver(function () {
    if (queued) return;
    queued = true;
    requestAnimationFrame(function () {
      queued = false;
      scan();
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
