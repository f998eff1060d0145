"""What the alert evaluator reads, gathered in one snapshot per pass from the live parts (candle
store, prediction book, pattern labels, feed status, jobs, served champions, live accuracy).
Reads only: each is a lock-held copy or an indexed query, so a pass costs milliseconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from predictions.accuracy import accuracy
from predictions.book import KINDS as BOOK_KINDS
from predictions.queries import recent_resolved

BASELINE_EVERY_S = 60.0  # the live-accuracy read is the one costly query: once a minute at most


@dataclass
class Snapshot:
    now_ms: int
    prices: dict[str, float] = field(default_factory=dict)
    newest: dict[tuple[str, str], dict] = field(default_factory=dict)  # (symbol, model kind)
    feeds: dict[str, dict] = field(default_factory=dict)
    jobs: list[Any] = field(default_factory=list)  # JobState-like: id, kind, title, status
    champions: dict[str, str | None] = field(default_factory=dict)
    below: dict[str, list[dict]] = field(default_factory=dict)  # kind -> groups below baseline
    levels: dict[str, float] = field(default_factory=dict)  # drawn horizontal lines: id -> price


class LiveSources:
    """Reads a snapshot from the orchestrator's parts (handed in: alerts/ sits below runtime/)."""

    def __init__(self, *, db, store, book, symbols: Callable[[], list[str]],
                 feed_status: Callable[[], dict], jobs, patterns, neural, drawings,
                 baseline_window: int = 200):  # fmt: skip
        self.db, self.store, self.book, self.jobs = db, store, book, jobs
        self.symbols, self.feed_status = symbols, feed_status
        self.patterns, self.neural, self.drawings = patterns, neural, drawings
        self.baseline_window = baseline_window
        self._below: dict[str, list[dict]] = {}
        self._below_at = 0.0

    def snapshot(self, want_baseline: bool = False) -> Snapshot:
        shot = Snapshot(int(time.time() * 1000))
        for symbol in self.symbols():
            for timeframe in ("1s", "1m"):
                candle = self.store.latest(symbol, timeframe)
                if candle is not None:
                    shot.prices[symbol] = candle.close
                    break
            for kind in BOOK_KINDS:
                held = self.book.deques(kind).get(symbol)
                if held:
                    shot.newest[(symbol, kind)] = held[-1]
        for row in self.db.query(
            "SELECT p.symbol, p.label, p.confidence, p.time FROM pattern_labels p JOIN"
            " (SELECT symbol, MAX(time) AS t FROM pattern_labels GROUP BY symbol) n"
            " ON n.symbol = p.symbol AND n.t = p.time"
        ):
            shot.newest[(row["symbol"], "pattern")] = dict(row)
        shot.feeds = self.feed_status()
        shot.jobs = self.jobs.list()
        shot.champions = self.champions()
        shot.levels = {d.id: d.y0 for d in self.drawings.list() if d.kind == "hline"}
        if want_baseline:
            shot.below = self.below_baseline(shot.champions)
        return shot

    def champions(self) -> dict[str, str | None]:
        served = {"pattern": self.patterns.served_version()}
        for kind, status in self.neural.status().items():
            served[kind] = str(status["version"]) if status.get("version") is not None else None
        return served

    def below_baseline(self, champions: dict[str, str | None]) -> dict[str, list[dict]]:
        """Per model kind, the live groups (symbol) of the served version whose hit rate over
        the newest ``baseline_window`` outcomes is below the majority-class baseline."""
        if time.monotonic() - self._below_at < BASELINE_EVERY_S:
            return self._below
        self._below_at = time.monotonic()
        window = self.baseline_window
        scored, totals = recent_resolved(self.db, None, None, ("live",), window)
        below: dict[str, list[dict]] = {}
        for group in accuracy(scored, window, totals):
            served = champions.get(group["kind"])
            if group["read"] < window or served is None or str(group["model_version"]) != served:
                continue
            if group["hit_rate"] < group["majority_baseline"]:
                below.setdefault(group["kind"], []).append(group)
        self._below = below
        return below
