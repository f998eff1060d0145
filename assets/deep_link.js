// The address follows the selection: ?symbol=&tf= always, &from=&to= while the minute chart
// is away from live (a link to a live view stays live). history.replaceState, so panning adds
// no history entries. The server opens such a link as the page loads (panels/charts/deep_link.py).
(function () {
  function minuteChart() {
    const blocks = Array.from(document.querySelectorAll(".chart-block"));
    const block = document.getElementById("chart-1m") || blocks.find((b) => b.id !== "chart-1s");
    return block && block.querySelector(".js-plotly-plot");
  }

  function follow() {
    const gd = minuteChart();
    const layout = gd && gd.layout;
    if (!layout || typeof layout.uirevision !== "string" || !gd._fullLayout) return;
    // "SYMBOL|1m" or, in auto, "SYMBOL|1m|auto" (dashboard/panels/charts/live_charts.py auto_figure).
    const symbol = layout.uirevision.split("|")[0];
    const checked = document.querySelector("#chart-timeframe input:checked");
    const params = new URLSearchParams(location.search);
    ["symbol", "tf", "from", "to"].forEach((k) => params.delete(k));
    params.set("symbol", symbol);
    params.set("tf", checked ? checked.value : "auto");
    if (gd.closest(".chart-block").classList.contains("away-from-live")) {
      const ax = gd._fullLayout.xaxis;
      params.set("from", Math.round(ax.r2l(ax.range[0])));
      params.set("to", Math.round(ax.r2l(ax.range[1])));
    }
    const search = "?" + params.toString().replace(/%2F/g, "/");
    if (search !== location.search) history.replaceState(history.state, "", location.pathname + search + location.hash);
  }

  let pending = null;
  function soon() {
    clearTimeout(pending);
    pending = setTimeout(follow, 200); // once a drag or a burst of ticks has settled
  }

  function bind(gd) {
    if (gd._dlBound || !gd.on) return;
    gd._dlBound = true;
    gd.on("plotly_relayout", soon);
    gd.on("plotly_afterplot", soon);
  }

  let queued = false;
  new MutationObserver(function () {
    if (queued) return;
    queued = true;
    requestAnimationFrame(function () {
      queued = false;
      document.querySelectorAll(".chart-block .js-plotly-plot").forEach(bind);
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
