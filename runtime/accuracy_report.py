"""Accuracy as the Models tab and ``GET /api/predictions/accuracy`` report it: the neural models'
resolved predictions against their baselines, and the pattern classifier's spans against accepted
human spans."""

from __future__ import annotations

from predictions.accuracy import accuracy
from predictions.disagreements import pattern_outcomes
from predictions.queries import recent_resolved


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


def resolved_groups(
    orch, symbol: str | None, kind: str | None, windows: tuple[int, ...], sources=DEFAULT_SOURCES
) -> list[list[dict]]:
    """Accuracy groups for each of ``windows``, from the newest ``limits.accuracy_predictions``
    resolved predictions of each model version and symbol (counts cover all of them): bounded
    work however many outcomes are stored."""
    per_group = orch.config.limits.accuracy_predictions
    rows, totals = recent_resolved(
        orch.db, symbol, (kind,) if kind else None, tuple(sources), per_group
    )
    return [accuracy(rows, window, totals) for window in windows]


def accuracy_payload(
    orch, symbol: str | None, kind: str | None, window: int, sources=DEFAULT_SOURCES
) -> dict:
    payload = {"symbol": symbol, "kind": kind, "window": window, "sources": list(sources),
               "groups": []}  # fmt: skip
    if kind != "pattern":
        (payload["groups"],) = resolved_groups(orch, symbol, kind, (window,), sources)
    if symbol is not None and kind in (None, "pattern"):
        payload["pattern"] = pattern_scores(orch, symbol)
    return payload
