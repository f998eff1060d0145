// Times in the page in UTC (the default) or the browser's own zone, by the header's switch
// (#time-zone; Dash remembers it in localStorage). Plotly draws date axes from the UTC epoch ms
// the server sends, in UTC; in "local" the tick labels of every chart's time axis are rewritten
// after each draw, so the data, the zoom and what the server reads stay in UTC ms. The OHLCV
// legend and the crosshair's time tag format through tdTime.format too.
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

  function bind(gd) {
    if (gd._tzBound || !gd.on) return;
    gd._tzBound = true;
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
      if (zone() === "local") relabel(gd);
      else if (gd._fullLayout && window.Plotly) Plotly.Plots.resize(gd).catch(() => {});
      gd.dispatchEvent(new CustomEvent("td-time-zone"));
    });
  }

  window.tdTime = { zone: zone, format: format, relabel: relabel };

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
