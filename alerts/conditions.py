"""Whether each kind of alert's condition holds in a snapshot: pure functions of the alert, its
memo (what it remembers between passes) and the snapshot, so the fire / re-arm behaviour is
tested without threads, feeds or models."""

from __future__ import annotations

from dataclasses import dataclass, field

from alerts.rules import job_matches, price_crossed, price_side, signal_matches
from alerts.sources import Snapshot


@dataclass
class Events:
    """What happened since the evaluator's previous pass (events, not states)."""

    ended_jobs: list = field(default_factory=list)  # JobState-like that ended since
    champion_moves: list[tuple[str, str | None, str | None]] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    holds: bool
    message: str = ""
    memo: dict = field(default_factory=dict)


def _symbols(alert: dict, shot: Snapshot, keys) -> list[str]:
    return [alert["symbol"]] if alert.get("symbol") else sorted(keys)


def price_cross(alert: dict, memo: dict, shot: Snapshot) -> Outcome:
    """The price has crossed the level from the side it was on when first seen; the memo keeps
    that side (``ref``) and the level it was taken against."""
    level = alert.get("level")
    if alert.get("drawing"):
        level = shot.levels.get(alert["drawing"])
        if level is None:  # the line was deleted: nothing to cross
            return Outcome(False, memo=memo)
    price = shot.prices.get(alert["symbol"])
    if price is None:
        return Outcome(False, memo=memo)
    ref = memo.get("ref", 0) if memo.get("level") == level else 0
    if ref == 0:  # first sight of this level (or the price sat on it): remember the side
        return Outcome(False, memo={"ref": price_side(price, level), "level": level})
    if price_crossed(ref, price, level):
        way = "up" if ref < 0 else "down"
        text = f"{alert['symbol']} crossed {way} through {level:,.8g} at {price:,.8g}"
        return Outcome(True, text, memo)
    return Outcome(False, memo=memo)


def signal(alert: dict, memo: dict, shot: Snapshot) -> Outcome:
    keys = {s for s, k in shot.newest if k == alert["model"]}
    for symbol in _symbols(alert, shot, keys):
        prediction = shot.newest.get((symbol, alert["model"]))
        if signal_matches(alert, prediction):
            confidence = prediction.get("confidence") or 0.0
            return Outcome(True, f"{alert['model']} says {alert['call']} on {symbol}"
                                 f" ({confidence:.0%} confident)", memo)  # fmt: skip
    return Outcome(False, memo=memo)


def feed_stale(alert: dict, memo: dict, shot: Snapshot) -> Outcome:
    limit_ms = alert["stale_s"] * 1000
    for symbol in _symbols(alert, shot, shot.feeds):
        feed = shot.feeds.get(symbol) or {}
        last = feed.get("last_update")
        if last is None:
            continue  # never updated (stopped, or not started yet): not stale, just absent
        age = shot.now_ms - last
        if age > limit_ms:
            return Outcome(True, f"feed of {symbol} stale for {age / 1000:.0f} s"
                                 f" ({feed.get('status')})", memo)  # fmt: skip
    return Outcome(False, memo=memo)


def job(alert: dict, memo: dict, events: Events) -> Outcome:
    for state in events.ended_jobs:
        if job_matches(alert["when"], state.status):
            return Outcome(True, f"job {state.title} {state.status}", memo)
    return Outcome(False, memo=memo)


def champion(alert: dict, memo: dict, shot: Snapshot, events: Events) -> Outcome:
    model = alert.get("model")
    if alert["when"] == "changed":
        for kind, old, new in events.champion_moves:
            if model in (None, kind):
                return Outcome(True, f"{kind} champion changed: v{old or '-'} -> v{new or '-'}",
                               memo)  # fmt: skip
        return Outcome(False, memo=memo)
    for kind, groups in sorted(shot.below.items()):
        if model in (None, kind):
            for g in groups:
                if alert.get("symbol") in (None, g["symbol"]):
                    return Outcome(True, f"{kind} v{g['model_version']} on {g['symbol']}: hit rate"
                                         f" {g['hit_rate']:.0%} over its last {g['window']}"
                                         f" outcomes, below the majority baseline"
                                         f" {g['majority_baseline']:.0%}", memo)  # fmt: skip
    return Outcome(False, memo=memo)


def evaluate(alert: dict, memo: dict, shot: Snapshot, events: Events) -> Outcome:
    kind = alert["kind"]
    if kind == "price_cross":
        return price_cross(alert, memo, shot)
    if kind == "signal":
        return signal(alert, memo, shot)
    if kind == "feed_stale":
        return feed_stale(alert, memo, shot)
    if kind == "job":
        return job(alert, memo, events)
    return champion(alert, memo, shot, events)
