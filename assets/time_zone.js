// Times in the page in UTC (the default) or the browser's own zone, by the header's switch
// (#time-zone; Dash remembers it in localStorage). Plotly draws date axes from the UTC epoch ms
// the server sends, in UTC; in "local" the tick labels of every chart's time axis are rewritten
// after each draw, so the data, the zoom and what the server reads stay in UTC ms. The OHLCV
// legend and the crosshair's time tag format through tdTime.format too, and the charts' hover
// boxes are rewritten as Plotly draws them (hoverLocal). In UTC nothing is rewritten.
(function () {
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pad = (n) => String(n).padStart(2, "0");

  function zone() {
    const checked = document.querySelector("#time-zone input:checked");
    return checked && checked.value === "local" ? "local" : "utc";
  }

  // The parts of ms in the chosen zone.
  function parts(ms) {
    const d = new Date(ms);
    if (zone() === "local") {
      return { y: d.getFullYear(), mo: d.getMonth(), d: d.getDate(), h: d.getHours(), mi: d.getMinutes(), s: d.getSeconds() };
    }
    return { y: d.getUTCFullYear(), mo: d.getUTCMonth(), d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds() };
  }

  // "2026-12-05 19:24:58" (seconds optional), followed by the zone's name when local.
  function format(ms, seconds) {
    const p = parts(ms);
    const text = `${p.y}-${pad(p.mo + 1)}-${pad(p.d)} ${pad(p.h)}:${pad(p.mi)}` + (seconds ? `:${pad(p.s)}` : "");
    return zone() === "local" ? text + " " + offsetName(ms) : text;
  }

  function offsetName(ms) {
    const minutes = -new Date(ms).getTimezoneOffset();
    const sign = minutes < 0 ? "-" : "+";
    const m = Math.abs(minutes);
    return `UTC${sign}${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
  }

  // A tick label as Plotly writes them: the time, or the date at midnight.
  function tickLabel(ms, step) {
    const p = parts(ms);
    if (step >= 86400000 || (p.h === 0 && p.mi === 0 && p.s === 0)) return `${MONTHS[p.mo]} ${p.d}`;
    if (step < 60000 || p.s) return `${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`;
    return `${pad(p.h)}:${pad(p.mi)}`;
  }

  function relabel(gd) {
    if (zone() !== "local" || !gd._fullLayout) return;
    ["xaxis", "xaxis2"].forEach(function (name) {
      const ax = gd._fullLayout[name];
      if (!ax || ax.type !== "date") return;
      const step = typeof ax.dtick === "number" ? ax.dtick : 86400000;
      gd.querySelectorAll(`g.${ax._id}tick > text`).forEach(function (text) {
        const d = text.__data__;
        if (!d || typeof d.x !== "number") return;
        // Plotly writes the date under the first tick (a second line): keep the lines.
        const lines = text.querySelectorAll("tspan.line");
        if (lines.length > 1) {
          const p = parts(d.x);
          lines[0].textContent = tickLabel(d.x, step);
          lines[1].textContent = `${MONTHS[p.mo]} ${p.d}, ${p.y}`;
        } else {
          text.textContent = tickLabel(d.x, step);
        }
      });
    });
  }

  // A time in a hover box as Plotly writes it from the UTC ms: "Dec 5, 2026, 19:24" and maybe
  // ":58" or ":58.25" after (kept as they are: zone offsets are whole minutes). A date alone
  // ("Dec 5, 2026", hovering at a zoom of months) names a day and stays.
  const HOVER_TIME = /\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{1,2}), (\d{4}), (\d{2}):(\d{2})/g;

  // The text with each hover-box time moved from UTC to the browser's zone, in the same shape.
  function hoverLocal(text) {
    return text.replace(HOVER_TIME, function (all, mon, day, year, h, mi) {
      const d = new Date(Date.UTC(+year, MONTHS.indexOf(mon), +day, +h, +mi));
      return `${MONTHS[d.getMonth()]} ${d.getDate()}, ${d.getFullYear()}, ${pad(d.getHours())}:${pad(d.getMinutes())}`;
    });
  }

  // Text nodes already rewritten: Plotly writes new nodes for a new box, so a node in here holds
  // local text and must not move again (writing a node's data is no childList mutation either).
  const rewritten = new WeakSet();

  function relabelHover(layer) {
    if (zone() !== "local") return;
    const walk = document.createTreeWalker(layer, NodeFilter.SHOW_TEXT);
    for (let node = walk.nextNode(); node; node = walk.nextNode()) {
      if (rewritten.has(node)) continue;
      const text = hoverLocal(node.data);
      if (text !== node.data) {
        node.data = text;
        rewritten.add(node);
      }
    }
  }

  // Plotly redraws the hover box on every mouse move, with no event while the point stays the
  // same: watch the chart's hover layer (the axis' spike label and x-unified boxes live there too)
  // and rewrite what it draws, before the next paint. A full replot may make a new layer.
  function watchHover(gd) {
    const layer = gd._fullLayout && gd._fullLayout._hoverlayer && gd._fullLayout._hoverlayer.node();
    if (!layer || gd._tzHoverLayer === layer) return;
    if (gd._tzHoverWatch) gd._tzHoverWatch.disconnect();
    gd._tzHoverLayer = layer;
    gd._tzHoverWatch = new MutationObserver(() => relabelHover(layer));
    gd._tzHoverWatch.observe(layer, { childList: true, subtree: true });
    relabelHover(layer);
  }

  function bind(gd) {
    if (gd._tzBound || !gd.on) return;
    gd._tzBound = true;
    gd.on("plotly_afterplot", () => watchHover(gd));
    watchHover(gd);
    gd.on("plotly_afterplot", () => relabel(gd));
    gd.on("plotly_relayout", () => relabel(gd));
    gd.on("plotly_relayouting", () => relabel(gd));
    relabel(gd);
  }

  function all() {
    return document.querySelectorAll(".js-plotly-plot");
  }

  // Back to UTC: Plotly redraws its own labels; to local: rewrite them now.
  function redraw() {
    document.documentElement.dataset.timeZone = zone();
    all().forEach(function (gd) {
      if (zone() === "local") {
        relabel(gd);
        if (gd._tzHoverLayer) relabelHover(gd._tzHoverLayer);
      } else if (gd._fullLayout && window.Plotly) Plotly.Plots.resize(gd).catch(() => {});
      gd.dispatchEvent(new CustomEvent("td-time-zone"));
    });
  }

  window.tdTime = { zone: zone, format: format, relabel: relabel, hoverLocal: hoverLocal };

  document.addEventListener("change", function (event) {
    if (event.target.closest && event.target.closest("#time-zone")) setTimeout(redraw, 0);
  });
  let queued = false;
  let shown = null;
  new MutationObserver(function () {
    if (queued) return;
    queued = true;
    requestAnimationFrame(function () {
      queued = false;
      all().forEach(bind);
      if (shown !== zone()) {
        shown = zone(); // the remembered choice, once Dash has restored it
        redraw();
      }
    });
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ["checked"] });
})();
