"""Accuracy over time of resolved predictions, each figure beside its baseline.

Per (kind, model version, symbol), in the order outcomes became known (``resolved_at``):

- rolling hit rate over the last ``window`` resolved predictions, beside the majority baseline
  (the hit rate of always calling the most common realised direction, or best action, of the
  same window) and 50 %;
- rolling mean error of the target against the naive forecast's (the price at prediction time),
  and the skill ``1 - error / naive error`` (above 0: better than naive);
- calibration: the hit rate per confidence bin.

Pure functions over prediction dicts; the API and the Models tab show the same numbers.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0000001)
MAX_POINTS = 500


def _rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each position (fewer at the start); NaN ignored."""
    valid = ~np.isnan(values)
    sums = np.cumsum(np.where(valid, values, 0.0))
    counts = np.cumsum(valid)
    lagged_sums = np.concatenate([np.zeros(window), sums[:-window]])[: len(values)]
    lagged_counts = np.concatenate([np.zeros(window), counts[:-window]])[: len(values)]
    n = counts - lagged_counts
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (sums - lagged_sums) / np.maximum(n, 1), np.nan)


def _rolling_majority(realised: list[str], window: int) -> np.ndarray:
    out = np.empty(len(realised))
    counts: Counter = Counter()
    for i, value in enumerate(realised):
        counts[value] += 1
        if i >= window:
            counts[realised[i - window]] -= 1
        out[i] = max(counts.values()) / min(i + 1, window)
    return out


def calibration(confidence: np.ndarray, hits: np.ndarray) -> list[dict]:
    rows = []
    for lo, hi in zip(BINS[:-1], BINS[1:], strict=True):
        inside = (confidence >= lo) & (confidence < hi)
        n = int(inside.sum())
        rows.append({"low": lo, "high": min(hi, 1.0), "n": n,
                     "hit_rate": float(hits[inside].mean()) if n else None})  # fmt: skip
    return rows


def _number(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def group_figures(items: list[dict], window: int) -> dict:
    """The figures of one group (its predictions all resolved)."""
    items = sorted(items, key=lambda p: (p["resolved_at"], p.get("seq", 0)))
    hits = np.array([bool(p["hit"]) for p in items], dtype=float)
    errors = np.array([np.nan if p.get("error_pct") is None else p["error_pct"] for p in items])
    naive = np.array(
        [np.nan if p.get("naive_error_pct") is None else p["naive_error_pct"] for p in items]
    )
    realised = [str(p.get("realised_direction")) for p in items]
    rate = _rolling_mean(hits, window)
    majority = _rolling_majority(realised, window)
    error = _rolling_mean(errors, window)
    naive_error = _rolling_mean(naive, window)
    last = slice(-window, None)
    mean_error = _number(np.nanmean(errors[last])) if (~np.isnan(errors[last])).any() else None
    mean_naive = _number(np.nanmean(naive[last])) if (~np.isnan(naive[last])).any() else None
    step = max(1, len(items) // MAX_POINTS)
    keep = list(range(len(items) - 1, -1, -step))[::-1]
    series = [
        {"time": items[i]["resolved_at"], "hit_rate": float(rate[i]),
         "majority": float(majority[i]), "error_pct": _number(error[i]),
         "naive_error_pct": _number(naive_error[i])}
        for i in keep
    ]  # fmt: skip
    confidence = np.array([p["confidence"] for p in items], dtype=float)
    return {
        "n": len(items),
        "window": window,
        "hit_rate": float(rate[-1]),
        "majority_baseline": float(majority[-1]),
        "majority_direction": Counter(realised[last]).most_common(1)[0][0],
        "coin_baseline": 0.5,
        "mean_error_pct": mean_error,
        "mean_naive_error_pct": mean_naive,
        "skill": None if not mean_error or not mean_naive else 1 - mean_error / mean_naive,
        "calibration": calibration(confidence, hits.astype(bool)),
        "series": series,
    }


def accuracy(
    predictions: list[dict],
    window: int = 200,
    totals: dict | None = None,
    by_source: bool = False,
) -> list[dict]:
    """Figures per (kind, model version, symbol) of the resolved ones among ``predictions``;
    ``by_source``: per source too (live and backtest apart), each group naming its ``source``.
    A group holding predictions marked ``in_sample`` counts them in ``in_sample``.

    ``totals``: each (kind, model version, symbol)'s count of all its resolved predictions, when
    ``predictions`` holds only the newest of them (``predictions.queries.recent_resolved``):
    ``n`` is then that count, and ``read`` says how many the figures were computed from. With
    ``by_source``, give the totals of one source at a time."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for p in predictions:
        if p.get("resolved_at") is not None and p.get("hit") is not None:
            key = (p["kind"], p.get("model_version"), p["symbol"])
            groups[(*key, p.get("source")) if by_source else key].append(p)
    out = []
    for key, items in sorted(groups.items(), key=lambda g: str(g[0])):
        group = {"kind": key[0], "model_version": key[1], "symbol": key[2]}
        if by_source:
            group["source"] = key[3]
        marked = sum(1 for p in items if p.get("in_sample"))
        if marked:
            group["in_sample"] = marked
        figures = group_figures(items, window)
        figures["read"] = figures["n"]
        if totals is not None:
            figures["n"] = max(figures["n"], totals.get(key[:3], 0))
        out.append({**group, **figures})
    return out
