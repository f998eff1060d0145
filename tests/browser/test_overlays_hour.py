"""A trader keeps the charts open for an hour with every layer on (1400x900): the future targets
of one kind never pile up, the newest candles stay visible under the overlays, and the chart's
title leaves room for the OHLCV readout. The hour of live predictions is stored at once on the
stored candles, as the live worker would have made them (one per kind per closed minute)."""

import os

import pytest

from dashboard.figures.chart_layout import MARK_ROOM_PX
from tests.helpers.browser import figure_data, serve_app
from tests.helpers.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MIN = 60_000
SYMBOL = "BTC/USDT"
# A filled marker at least this opaque hides what is under it (a hollow one, or the thin cross of
# a disagreement, leaves its centre clear).
OPAQUE = 0.75


def store_an_hour(orch) -> int:
    """One DQN, CNN and transformer prediction per closed minute of the last hour, scored where
    their horizon has passed; returns how many were stored."""
    candles = [c for c in orch.store.tail(SYMBOL, "1m", 62) if c.closed][-60:]
    for i, c in enumerate(candles):
        up = i % 3 != 0
        agree = i % 4 != 0  # the transformer disagrees with the CNN one minute in four
        common = {"timestamp": c.time, "current_price": c.close, "horizon_minutes": 5,
                  "confidence": 0.55 + 0.4 * ((i * 7) % 10) / 10, "model_version": "3"}  # fmt: skip
        orch.store_dqn_prediction(SYMBOL, {**common, "price": c.close,
                                           "action": ("BUY", "SELL", "HOLD")[i % 3]})  # fmt: skip
        orch.store_cnn_prediction(SYMBOL, {
            **common, "direction": "UP" if up else "DOWN",
            "target_price": c.close * (1.001 if up else 0.999)})  # fmt: skip
        orch.store_transformer_prediction(SYMBOL, {
            **common, "direction": "UP" if up == agree else "DOWN",
            "price_change": 0.08 if up == agree else -0.08,
            "predicted_price": c.close * (1.0008 if up == agree else 0.9992)})  # fmt: skip
    orch.outcomes.run_pass()
    return 3 * len(candles)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from serve_app(tmp_path_factory.mktemp("overlays"))


# Every marker of the price panel as drawn (its box on the screen, from the price panel's
# corner: plotly draws an arrow ``standoff`` pixels off the price it points at, so its data alone
# doesn't say where it is), and the newest candles, in the chart's pixels.
READ_CHART = """(tf) => {
  const gd = document.querySelector(`#chart-${tf} .js-plotly-plot`);
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const px = (x) => xa.l2p(xa.d2l(x)), py = (y) => ya.l2p(y);
  const at = (v, i) => Array.isArray(v) ? v[i] : v;
  const svg = gd.querySelector(".main-svg").getBoundingClientRect();
  const left = svg.left + xa._offset, top = svg.top + ya._offset;
  const markers = [];
  gd.querySelectorAll(".scatterlayer .trace").forEach((g) => {
    const t = g.__data__ && g.__data__[0] && g.__data__[0].trace;
    if (!t || t.yaxis !== "y" || !t.mode.includes("markers")) return;
    const input = gd.data[t.index], m = input.marker || {};
    g.querySelectorAll("path.point").forEach((el) => {
      const i = el.__data__.i, box = el.getBoundingClientRect();
      markers.push({
        trace: t.name, t: input.x[i], size: at(m.size, i) ?? 6, anchor: py(input.y[i]),
        x: box.left + box.width / 2 - left, y: box.top + box.height / 2 - top,
        w: box.width, h: box.height, symbol: String(at(m.symbol, i) ?? t.marker.symbol),
        angle: ((at(m.angle, i) ?? 0) + 360) % 360,
        hollow: String(at(m.symbol, i) ?? "").endsWith("-open") || t.marker.symbol === "x-thin",
        opacity: (at(m.opacity, i) ?? 1) * (t.opacity ?? 1) });
    });
  });
  const c = gd.data[0], n = c.x.length;
  // The highest and lowest price in view, in the panel's pixels (0 at its top).
  let highest = Infinity, lowest = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = px(c.x[i]);
    if (x < 0 || x > xa._length) continue;
    highest = Math.min(highest, py(c.high[i]));
    lowest = Math.max(lowest, py(c.low[i]));
  }
  const candles = [];
  for (let i = Math.max(0, n - 30); i < n; i++) candles.push({
    x: px(c.x[i]), high: py(c.high[i]), low: py(c.low[i]), t: c.x[i],
    body: py((c.open[i] + c.close[i]) / 2) });
  return { markers, candles, width: xa._length, height: ya._length, highest, lowest };
}"""


def overlap(a, b) -> bool:
    reach = (a["size"] + b["size"]) / 2
    return abs(a["x"] - b["x"]) < reach and abs(a["y"] - b["y"]) < reach


def test_an_hour_of_predictions_stays_readable(browser, served, tmp_path):
    stored = store_an_hour(served.orch)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(served.url)
    page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg", timeout=60_000)
    layers = page.locator("#overlay-toggles input:checked")
    assert layers.count() == 4  # DQN, CNN, transformer, patterns: every layer on
    # Drawn: the resolved calls of the hour and the pending targets.
    wait_for(lambda: figure_data(page, "1m", "gd.data.find(t => t.name === 'Resolved: hit')"
                                 ".x.length + gd.data[4].x.length") > 0)  # fmt: skip
    chart = page.evaluate(READ_CHART, "1m")
    last = chart["candles"][-1]["t"]
    inside = [m for m in chart["markers"] if 0 <= m["x"] <= chart["width"]]
    assert len(inside) >= stored // 3  # an hour of them is on the chart, not left out

    # No two future targets of one kind overlap.
    for kind in ("CNN target", "Transformer target"):
        future = [m for m in inside if m["trace"] == kind and m["t"] > last]
        assert future, kind
        pairs = [(a, b) for i, a in enumerate(future) for b in future[i + 1 :] if overlap(a, b)]
        assert pairs == [], f"{kind}: overlapping targets {pairs}"

    # The last 30 candles are inside the plot area, and no opaque marker sits on a body.
    assert len(chart["candles"]) == 30
    for c in chart["candles"]:
        assert 0 <= c["x"] <= chart["width"] and 0 <= c["high"] <= c["low"] <= chart["height"]
        covering = [m for m in inside if m["opacity"] >= OPAQUE and not m["hollow"]
                    and abs(m["x"] - c["x"]) < m["w"] / 2
                    and abs(m["y"] - c["body"]) < m["h"] / 2]  # fmt: skip
        assert covering == [], f"candle {c['t']} covered by {covering}"

    # Each DQN arrow, pending or resolved, is drawn clear of its own candle: a BUY (pointing up)
    # wholly below its low, a SELL (the up triangle turned over) wholly above its high (pixels
    # grow downwards).
    by_time = {c["t"]: c for c in chart["candles"]}
    arrows = [(m, by_time[m["t"]]) for m in inside
              if m["symbol"].startswith("triangle-up") and m["t"] in by_time]  # fmt: skip
    assert len(arrows) >= 10, arrows
    assert {m["angle"] for m, _ in arrows} == {0, 180}
    for m, c in arrows:
        if m["angle"] == 0:
            assert m["y"] - m["h"] / 2 > c["low"], (m, c)
        else:
            assert m["y"] + m["h"] / 2 < c["high"], (m, c)
        assert m["y"] - m["h"] / 2 >= 0 and m["y"] + m["h"] / 2 <= chart["height"], m

    # A disagreement's cross sits clear above a SELL arrow on its candle.
    crosses = [m for m in inside if m["trace"] == "Disagreements" and m["t"] in by_time]
    stacked = [(x, m) for x in crosses for m, _ in arrows if m["t"] == x["t"] and m["angle"]]
    assert stacked, "no disagreement on a SELL's candle to check"
    for x, m in stacked:
        assert x["y"] + x["h"] / 2 < m["y"] - m["h"] / 2, (x, m)

    # Above the highest candle in view and below the lowest there is room for the farthest
    # reach of what is drawn off a price (plotly clips a marker at the plot's edge), measured
    # on the drawn marks from the price each points at: wherever a SELL, a BUY or a cross
    # comes, it shows.
    reach = max([m["anchor"] - (m["y"] - m["h"] / 2) for m, _ in arrows if m["angle"]]
                + [m["y"] + m["h"] / 2 - m["anchor"] for m, _ in arrows if not m["angle"]]
                + [x["anchor"] - (x["y"] - x["h"] / 2) for x in crosses])  # fmt: skip
    assert reach <= MARK_ROOM_PX + 1  # the room kept is for these marks (+ their outline)
    assert chart["highest"] >= reach and chart["height"] - chart["lowest"] >= reach, chart

    # The README's screenshot is written only when asked: a test run leaves the tree as it was.
    shot = "docs/overlays_hour.png" if os.environ.get("TD_SCREENSHOTS") else tmp_path / "hour.png"
    page.screenshot(path=shot)
    # The title and the OHLCV readout don't overlap, on both charts.
    for tf in ("1m", "1s"):
        title = page.locator(f"#chart-{tf} .gtitle").bounding_box()
        readout = page.locator(f"#chart-{tf} .ohlcv-legend")
        wait_for(lambda r=readout: r.inner_text().strip())
        box = readout.bounding_box()
        assert title["x"] + title["width"] <= box["x"] or box["y"] >= title["y"] + title["height"]
    context.close()
    assert errors == [], errors
