"""Accuracy as the Models tab and ``GET /api/predictions/accuracy`` report it: the neural models'
resolved predictions against their baselines, and the pattern classifier's spans against accepted
human spans."""

from __future__ import annotations

from typing import NamedTuple

from predictions.accuracy import accuracy
from predictions.disagreements import pattern_outcomes
from predictions.queries import recent_resolved
from serving.neural_inference import NEURAL_KINDS, NoNeuralModel, neural_training_info

# (data path, kind, version) -> the version's training period and symbols (None: unknown).
# A registered version never changes, so what was read once holds.
_PERIODS: dict[tuple[str, str, str], dict | None] = {}


def training_period(config, kind: str, version) -> dict | None:
    """``{"start", "end", "symbols"}`` a neural model version was trained on, or None when it
    is unknown (not a neural kind, no such version, no period recorded)."""
    if kind not in NEURAL_KINDS or version in (None, ""):
        return None
    key = (str(config.data_path), kind, str(version))
    if key not in _PERIODS:
        try:
            info = neural_training_info(config, kind, str(version))
        except NoNeuralModel:
            return None  # not registered (yet): asked again next time
        trained_on = info.get("trained_on") or {}
        series = info.get("series") or []
        symbols = sorted({str(name).split("|")[0] for name in series}) or None
        _PERIODS[key] = (
            {"start": int(trained_on["start"]), "end": int(trained_on["end"]), "symbols": symbols}
            if "start" in trained_on and "end" in trained_on
            else None
        )
    return _PERIODS[key]


def is_in_sample(prediction: dict, period: dict | None) -> bool:
    """In-sample: its time lies in its model's training period and its symbol was trained on."""
    if not period:
        return False
    symbols = period.get("symbols")
    if symbols and prediction.get("symbol") not in symbols:
        return False
    return period["start"] <= int(prediction["timestamp"]) <= period["end"]


def split_in_sample(config, predictions: list[dict]) -> tuple[list[dict], list[dict]]:
    """(out-of-sample, in-sample) predictions, each in-sample one marked ``in_sample: True``."""
    out, inside = [], []
    for p in predictions:
        period = training_period(config, p.get("kind"), p.get("model_version"))
        if is_in_sample(p, period):
            inside.append({**p, "in_sample": True})
        else:
            out.append(p)
    return out, inside


class Scored(NamedTuple):
    rows: list[dict]  # the newest resolved predictions of each group that the figures read
    excluded: int  # in-sample ones left out
    included: int  # in-sample ones counted (marked ``in_sample``)
    totals: dict  # (kind, version, symbol) -> its resolved predictions, in-sample ones left out


def scored_predictions(orch, symbol, kinds, sources, include_in_sample: bool) -> Scored:
    """The resolved predictions of ``sources`` the accuracy figures are computed over: the newest
    ``limits.accuracy_predictions`` of each model version and symbol (a bounded read), with the
    in-sample ones left out (counted in ``excluded``) or marked (``include_in_sample``)."""
    per_group = orch.config.limits.accuracy_predictions
    rows, totals = recent_resolved(orch.db, symbol, kinds, tuple(sources), per_group)
    out, inside = split_in_sample(orch.config, rows)
    if include_in_sample:
        return Scored(out + inside, 0, len(inside), totals)
    # In-sample ones past the per-group read are not seen, so not taken off the count.
    left = dict(totals)
    for p in inside:
        key = (p["kind"], p.get("model_version"), p["symbol"])
        left[key] = left.get(key, 0) - 1
    return Scored(out, len(inside), 0, left)


def pattern_scores(orch, symbol: str) -> dict[str, dict]:
    """Per timeframe: the pattern classifier's spans scored against accepted human spans."""
    out = {}
    for timeframe in orch.timeframes(symbol):
        spans = orch.live_patterns.spans(symbol, timeframe)
        human = orch.annotations.list(symbol=symbol, timeframe=timeframe, status="accepted")
        out[timeframe] = pattern_outcomes(spans, human)
    return out


# Training-time predictions are in-sample: they would flatter a model, so by default they are out.
DEFAULT_SOURCES = ("live", "backtest")


def accuracy_payload(
    orch,
    symbol: str | None,
    kind: str | None,
    window: int,
    sources=DEFAULT_SOURCES,
    include_in_sample: bool = False,
) -> dict:
    """The figures of ``GET /api/predictions/accuracy``. In-sample predictions (a backtest over
    the model's own training period and symbols) are left out and counted in
    ``in_sample_excluded``, unless ``include_in_sample``: then they count, and each group says
    how many of its predictions are in-sample (``in_sample``)."""
    payload = {"symbol": symbol, "kind": kind, "window": window, "sources": list(sources),
               "groups": [], "in_sample_excluded": 0}  # fmt: skip
    if kind != "pattern":
        kinds = (kind,) if kind else None
        scored = scored_predictions(orch, symbol, kinds, sources, include_in_sample)
        payload["groups"] = accuracy(scored.rows, window, scored.totals)
        payload["in_sample_excluded"] = scored.excluded
        if include_in_sample:
            payload["in_sample_included"] = scored.included
    if symbol is not None and kind in (None, "pattern"):
        payload["pattern"] = pattern_scores(orch, symbol)
    return payload
