// Crosshair tags on the live charts' axes, as trading charts have them: the price under the
// cursor on the price axis (the right margin, where the last-price tag sits, clear of the tick
// labels drawn inside the plot) and the time of the candle under the cursor on the time axis.
// Plotly draws the spike lines themselves (chart_layout.SPIKES); its own time label on the axis
// is hidden (app.css) so the time reads in the page's time zone (assets/time_zone.js).
(function () {
  function tag(block, name) {
    let el = block.querySelector(":scope > ." + name);
    if (!el) {
      el = document.createElement("div");
      el.className = "crosshair-tag " + name;
      block.appendChild(el);
    }
    return el;
  }

  function decimals(gd) {
    const m = /\.(\d+)f/.exec((gd.layout.yaxis && gd.layout.yaxis.tickformat) || "");
    return m ? +m[1] : 2;
  }

  // The open time of the candle under time t (the candles are sorted), or t past them.
  function candleTime(gd, t) {
    const c = gd.data && gd.data[0];
    const x = c && c.x;
    if (!x || !x.length || t < x[0]) return t;
    let lo = 0, hi = x.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (x[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    const frame = x.length > 1 ? x[1] - x[0] : 60000;
    return t - x[lo] < frame ? x[lo] : t;
  }

  function hide(block) {
    block.querySelectorAll(":scope > .crosshair-tag").forEach((el) => (el.style.display = "none"));
  }

  function move(gd, event) {
    const block = gd.closest(".chart-block");
    const full = gd._fullLayout;
    const ax = full && full.xaxis, ay = full && full.yaxis;
    if (!block || !ax || !ay || !ax._length) return;
    const box = gd.getBoundingClientRect();
    const own = block.getBoundingClientRect();
    const px = event.clientX - box.left - ax._offset;
    const py = event.clientY - box.top - ay._offset;
    const size = full._size;
    const bottom = size.t + size.h; // the plot area's bottom, over the time axis
    if (px < 0 || px > ax._length || event.clientY - box.top < size.t || event.clientY - box.top > bottom) return hide(block);
    const dy = box.top - own.top, dx = box.left - own.left;
    const price = tag(block, "crosshair-price");
    if (py >= 0 && py <= ay._length) {
      const d = decimals(gd);
      const value = ay.p2l(py);
      price.textContent = value.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
      price.style.left = dx + ax._offset + ax._length + 1 + "px";
      price.style.top = dy + ay._offset + py + "px";
      price.style.display = "block";
    } else {
      price.style.display = "none"; // over the volume panel: no price there
    }
    const time = tag(block, "crosshair-time");
    const t = candleTime(gd, ax.p2l(px));
    const c = gd.data[0];
    const frame = c && c.x && c.x.length > 1 ? c.x[1] - c.x[0] : 60000;
    time.textContent = window.tdTime ? tdTime.format(t, frame < 60000) : new Date(t).toISOString().slice(0, 16).replace("T", " ");
    time.style.left = dx + ax._offset + ax.l2p(t) + "px";
    time.style.top = dy + bottom + "px";
    time.style.display = "block";
  }

  function bind(gd) {
    if (gd._chBound) return;
    gd._chBound = true;
    gd.addEventListener("mousemove", (event) => move(gd, event));
    gd.addEventListener("mouseleave", () => {
      const block = gd.closest(".chart-block");
      if (block) hide(block);
    });
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
