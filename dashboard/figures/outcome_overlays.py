"""Resolved predictions on the chart: a hit is a filled marker with a white rim, a miss a hollow
one, and a thin dotted segment joins each to its realised price. Pending predictions stay in the
prediction traces of ``charts.py``; once resolved they move here (the overlays are redrawn whole
when an outcome arrives, so the incremental pending lists stay exact).

These traces follow the prediction traces (``OUTCOME_TRACE``); each marker carries its
prediction's id as ``customdata``, which the details card reads on a click.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from html import escape

from core.candles import Candle, bucket_start, timeframe_ms
from dashboard.figures.charts import (
    ARROW_REACH,
    TRACE,
    _hover,
    action_anchor,
    arrow_marker,
    confidence_size,
    horizon_end,
)
from dashboard.figures.overlay_strength import notes, prediction_key, strength, thin
from dashboard.figures.theme import (
    ACTION_COLORS,
    DIRECTION_COLORS,
    DISAGREEMENT,
    OUTCOME_FALLBACK,
    REALISED_LINK,
    WHITE,
)
from predictions.book import TARGET_FIELD as TARGET
from predictions.disagreements import disagreements
from predictions.queries import PredictionFilter, outcome_of

# A resolved call is history: it sits on a candle (its target's time), and the candle must show
# through a filled marker.
RESOLVED_OPACITY = 0.7
OUTCOME_NAMES = ("outcome_hit", "outcome_miss", "outcome_links", "disagreements")
OUTCOME_TRACE = {name: len(TRACE) + i for i, name in enumerate(OUTCOME_NAMES)}
# A SELL is the up triangle turned over (``arrow_marker``).
SYMBOLS = {"cnn": "diamond", "transformer": "star", "BUY": "triangle-up", "SELL": "triangle-up"}
AT_POINT = {"angle": 0, "standoff": 0}


def split_pending(
    predictions: dict[str, list[dict]], flt: PredictionFilter | None
) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """(pending, resolved) per kind, after the user's filters."""
    shown = flt.apply(predictions) if flt is not None else predictions
    pending = {k: [p for p in v if outcome_of(p) == "pending"] for k, v in shown.items()}
    resolved = {k: [p for p in v if outcome_of(p) != "pending"] for k, v in shown.items()}
    return pending, resolved


def _anchor(p: dict, by_time: dict[int, Candle], frame: int) -> tuple[int, float, str, dict]:
    """Where a resolved prediction's marker sits: (x, y, marker symbol, its angle and standoff)."""
    target = TARGET.get(p["kind"])
    if target is not None and p.get(target) is not None:
        return horizon_end(p), p[target], SYMBOLS[p["kind"]], AT_POINT
    price = p.get("price", p.get("current_price"))
    if p["kind"] != "dqn":  # an action-only prediction: where its pending marker sat, its price
        return p["timestamp"], price, SYMBOLS[p["kind"]], AT_POINT
    buy = p["action"] == "BUY"  # DQN HOLDs aren't drawn
    y = action_anchor(p["timestamp"], buy, price, by_time, frame)
    return p["timestamp"], y, SYMBOLS[p["action"]], arrow_marker(buy)


def _outcome_text(p: dict) -> str:
    word = "hit" if p.get("hit") else "miss"
    line = f"<b>{word}</b>: realised {p['realised_price']:.6g}"
    if p.get("error_pct") is not None:
        line += f", error {p['error_pct']:.2f}% (naive {p['naive_error_pct']:.2f}%)"
    if p.get("return_pct") is not None:
        line += f", net return {p['return_pct']:+.2f}%"
    return line


def outcome_traces(
    resolved: dict[str, list[dict]],
    candles: Sequence[Candle],
    timeframe: str,
    enabled: Iterable[str],
    window_start: int | None,
    full: set[str] | None = None,
) -> list[dict]:
    """The three outcome traces (hit markers, miss markers, realised-price segments), whole.
    ``full``: keys of the predictions at full strength; the others are faded and lose their
    segment (None: all at full strength)."""
    enabled = set(enabled)
    frame = timeframe_ms(timeframe)
    by_time = {c.time: c for c in candles}
    columns = {name: {"x": [], "y": [], "symbol": [], "color": [], "size": [], "text": [],
                      "id": [], "opacity": [], "angle": [], "standoff": []}
               for name in OUTCOME_NAMES[:2]}  # fmt: skip
    links_x: list = []
    links_y: list = []
    for kind in ("dqn", "cnn", "transformer"):
        if kind not in enabled:
            continue
        for p in resolved.get(kind, []):
            hold = kind == "dqn" and p["action"] == "HOLD"  # as pending: HOLD is not drawn
            if hold or (window_start is not None and p["timestamp"] < window_start):
                continue
            x, y, symbol, turn = _anchor(p, by_time, frame)
            hit = bool(p.get("hit"))
            col = columns["outcome_hit" if hit else "outcome_miss"]
            col["x"].append(x)
            col["y"].append(y)
            col["symbol"].append(symbol if hit else f"{symbol}-open")
            col["angle"].append(turn["angle"])
            col["standoff"].append(turn["standoff"])
            color = DIRECTION_COLORS.get(p.get("direction")) or ACTION_COLORS.get(
                p.get("action"), OUTCOME_FALLBACK
            )
            col["color"].append(color)
            col["size"].append(confidence_size(p["confidence"]))
            col["text"].append(_hover(p, _outcome_text(p), *notes(p)))
            col["id"].append(p["id"])
            strong = full is None or prediction_key(p) in full
            col["opacity"].append(strength(RESOLVED_OPACITY, strong))
            if not strong:
                continue  # an older call: its marker only, faded
            end_x = x if kind != "dqn" and p.get(TARGET.get(kind, "")) is not None else None
            links_x += [x, end_x if end_x is not None else p["resolved_at"], None]
            links_y += [y, p["realised_price"], None]
    traces = []
    for name, label, rim in (("outcome_hit", "Resolved: hit", 1.5),
                             ("outcome_miss", "Resolved: miss", 2)):  # fmt: skip
        col = columns[name]
        traces.append({
            "type": "scatter", "mode": "markers", "name": label, "x": col["x"], "y": col["y"],
            "hovertext": col["text"], "hoverinfo": "text", "customdata": col["id"],
            "showlegend": False, "xaxis": "x", "yaxis": "y",
            "marker": {"symbol": col["symbol"], "color": col["color"], "size": col["size"],
                       "opacity": col["opacity"], "angle": col["angle"],
                       "standoff": col["standoff"],
                       "line": {"width": rim, "color": WHITE if name == "outcome_hit"
                                else col["color"]}},
        })  # fmt: skip
    traces.append({
        "type": "scatter", "mode": "lines", "name": "Realised price", "x": links_x, "y": links_y,
        "line": {"width": 1, "color": REALISED_LINK, "dash": "dot"}, "hoverinfo": "skip",
        "showlegend": False, "xaxis": "x", "yaxis": "y", "connectgaps": False,
    })  # fmt: skip
    return traces


DISAGREEMENT_SIZE = 9
# px: clear of the largest SELL arrow on the same candle by 2 px (a DQN against both mark sits
# where the DQN said SELL)
DISAGREEMENT_STANDOFF = ARROW_REACH + 2 + DISAGREEMENT_SIZE / 2


def disagreement_trace(
    found: list[dict], candles: Sequence[Candle], timeframe: str, strong_since: int | None = None
) -> dict:
    """A small magenta cross just above the candle of each disagreement (its row in the Review
    tab jumps here); those before ``strong_since`` (the oldest full-strength prediction) faded.
    The cross is drawn ``DISAGREEMENT_STANDOFF`` pixels above the high a SELL arrow there points
    at (turned over, as the arrow is), clear of that arrow: a fixed price offset sat far above
    a calm candle, out of the view the chart fits to its candles, and on a candle's wick or
    arrow on a wide one."""
    frame = timeframe_ms(timeframe)
    by_time = {c.time: c for c in candles}
    x, y, text, opacity = [], [], [], []
    for item in found:
        candle = by_time.get(bucket_start(item["time"], frame))
        if item["timeframe"] != timeframe or candle is None:
            continue
        x.append(candle.time)
        # Where a SELL arrow on this candle points (the highest high of it and its neighbours,
        # which the cross is wide enough to reach into too), so it stays clear above the arrow.
        y.append(action_anchor(candle.time, False, candle.high, by_time, frame))
        # The detail names labels (people's text): plotly would render markup in them.
        text.append(f"<b>disagreement</b><br>{escape(item['detail'])}")
        opacity.append(strength(1.0, strong_since is None or item["time"] >= strong_since))
    return {
        "type": "scatter", "mode": "markers", "name": "Disagreements", "x": x, "y": y,
        "hovertext": text, "hoverinfo": "text", "showlegend": False, "xaxis": "x", "yaxis": "y",
        "marker": {"symbol": "x-thin", "size": DISAGREEMENT_SIZE, "color": DISAGREEMENT,
                   "opacity": opacity, "line": {"width": 2, "color": DISAGREEMENT},
                   "angle": 180, "standoff": DISAGREEMENT_STANDOFF},
    }  # fmt: skip


# The layers a disagreement compares: its mark shows only while all of them are toggled on.
MARK_LAYERS = {
    "cnn_vs_transformer": {"cnn", "transformer"},
    "dqn_vs_both": {"dqn", "cnn", "transformer"},
    "pattern_vs_human": {"patterns"},
}

# Resolved predictions drawn per chart at most: past this the markers crowd the chart and each
# redraw would send megabytes.
MAX_RESOLVED = 1_000


def in_window(
    resolved: dict[str, list[dict]], window_start: int | None, frame_ms: int
) -> dict[str, list]:
    """The resolved predictions inside the window thinned per candle of ``frame_ms``, at most
    ``MAX_RESOLVED`` of them: past that every k-th from the newest back, so a loaded range of
    weeks (stored predictions, ``panels/charts/ranged_overlays``) keeps markers over all of its time
    rather than only its newest days."""
    inside = {k: [p for p in items if window_start is None or p["timestamp"] >= window_start]
              for k, items in resolved.items()}  # fmt: skip
    thinned = thin(inside, frame_ms)
    flat = sorted((p for items in thinned.values() for p in items),
                  key=lambda p: (p["timestamp"], p.get("seq", 0)), reverse=True)  # fmt: skip
    step = max(1, -(-len(flat) // MAX_RESOLVED))  # ceiling: 1 while under the cap
    keep = {p["id"] for p in flat[::step][:MAX_RESOLVED]}
    return {k: [p for p in items if p["id"] in keep] for k, items in thinned.items()}


def _digest(value) -> str:
    return hashlib.blake2b(json.dumps(value).encode(), digest_size=6).hexdigest()


class Extras:
    """The traces after the fixed ones (outcomes, disagreement marks) of one chart: a cheap
    ``key`` per part (``outcomes|marks``) that changes when that part does, and the traces."""

    def __init__(self, orch, symbol, timeframe, view, candles, predictions, full=None):
        """``predictions``: the symbol's held predictions that pass the user's filters;
        ``full``: keys of those drawn at full strength (``overlay_strength``)."""
        self._args = (candles, timeframe, view["enabled"])
        self._full = full
        window_start = candles[0].time if candles else None
        _, resolved = split_pending(predictions, None)
        self._resolved = in_window(resolved, window_start, timeframe_ms(timeframe))
        spans = orch.live_patterns.spans(symbol, timeframe, window_start, view["min_confidence"])
        human = orch.annotations.list(symbol=symbol, timeframe=timeframe, start=window_start)
        strong = [p["timestamp"] for items in predictions.values() for p in items
                  if full is not None and prediction_key(p) in full]  # fmt: skip
        self._strong_since = min(strong) if strong else None
        self._found = [d for d in disagreements(predictions, spans, human, timeframe)
                       if MARK_LAYERS[d["type"]] <= set(view["enabled"])]  # fmt: skip
        drawn = sorted((p["id"], full is None or prediction_key(p) in full, p.get("more", 0))
                       for items in self._resolved.values() for p in items)  # fmt: skip
        since = self._strong_since
        marks = [(d["time"], d["type"], since is None or d["time"] >= since) for d in self._found]
        self.key = f"{_digest([drawn, sorted(view['enabled'])])}|{_digest(marks)}"

    def traces(self) -> list[dict]:
        candles, timeframe, enabled = self._args
        window_start = candles[0].time if candles else None
        traces = outcome_traces(self._resolved, candles, timeframe, enabled, window_start,
                                self._full)  # fmt: skip
        return [*traces, self.marks()]

    def marks(self) -> dict:
        candles, timeframe, _ = self._args
        return disagreement_trace(self._found, candles, timeframe, self._strong_since)

    def patch(self, patch, drawn_key: str) -> None:
        """Send the parts whose key differs from what the browser holds."""
        outcomes, marks = self.key.split("|")
        held = (drawn_key or "|").split("|")
        if outcomes != held[0]:
            patch_outcomes(patch, self.traces())
        elif marks != held[-1]:
            patch["data"][OUTCOME_TRACE["disagreements"]] = self.marks()


def patch_outcomes(patch, traces: list[dict]) -> None:
    """Replace the outcome traces whole (they change only when the overlays are redrawn)."""
    for name, trace in zip(OUTCOME_NAMES, traces, strict=True):
        patch["data"][OUTCOME_TRACE[name]] = trace
