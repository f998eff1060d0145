"""Agreement between annotators: Cohen's kappa per pair of people, over the candles they both
labelled, and the spans where they disagree.

For a pair (a, b) and each series (symbol, timeframe) both labelled, the candles compared are
those covered by a span of either person, inside the time range both worked on (from the later
of their first spans' starts to the earlier of their last spans' ends). Each person's category
at a candle is the label of their narrowest span covering it, else ``none``; so the categories
are the labels plus ``none``. Rejected spans are left out (nobody stands by them).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations

from core.candles import timeframe_ms
from core.spans import RESERVED_LABEL, Span


def cohen_kappa(first: list[str], second: list[str]) -> float | None:
    """Cohen's kappa of two raters' categories for the same items (None for no items)."""
    n = len(first)
    if n == 0 or n != len(second):
        return None
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    ca, cb = Counter(first), Counter(second)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


def _labels_at(spans: list[Span], times: list[int], frame: int) -> dict[int, str]:
    """Per candle time: the label of the narrowest span covering it."""
    best: dict[int, tuple[int, str]] = {}
    for s in spans:
        width = s.end - s.start
        t = s.start - s.start % frame if frame else s.start
        while t <= s.end:
            if t >= s.start and (t not in best or width < best[t][0]):
                best[t] = (width, s.label)
            t += frame
    return {t: best[t][1] for t in times if t in best}


def agreement(spans: list[Span]) -> list[dict]:
    """Per pair of people: ``{"a", "b", "kappa", "candles", "agree", "disagree_spans"}``, the
    pairs with candles in common first by kappa (lowest first)."""
    by_person: dict[str, list[Span]] = defaultdict(list)
    for s in spans:
        if s.author and s.status != "rejected":
            by_person[s.author].append(s)
    out = []
    for a, b in combinations(sorted(by_person), 2):
        first, second, disagree = [], [], {}
        series = {(s.symbol, s.timeframe) for s in by_person[a]} & {
            (s.symbol, s.timeframe) for s in by_person[b]
        }
        for symbol, timeframe in sorted(series):
            frame = timeframe_ms(timeframe)
            sa = [s for s in by_person[a] if (s.symbol, s.timeframe) == (symbol, timeframe)]
            sb = [s for s in by_person[b] if (s.symbol, s.timeframe) == (symbol, timeframe)]
            low = max(min(s.start for s in sa), min(s.start for s in sb))
            high = min(max(s.end for s in sa), max(s.end for s in sb))
            if low > high:
                continue
            covered = set()
            for s in sa + sb:
                t = max(s.start, low)
                t -= t % frame
                while t <= min(s.end, high):
                    if t >= s.start and t >= low:
                        covered.add(t)
                    t += frame
            times = sorted(covered)
            la, lb = _labels_at(sa, times, frame), _labels_at(sb, times, frame)
            for t in times:
                x, y = la.get(t, RESERVED_LABEL), lb.get(t, RESERVED_LABEL)
                first.append(x)
                second.append(y)
                if x != y:
                    for s in sa + sb:
                        if s.start <= t <= s.end:
                            disagree[s.id] = s
        if not first:
            continue
        out.append({
            "a": a, "b": b, "kappa": cohen_kappa(first, second), "candles": len(first),
            "agree": sum(x == y for x, y in zip(first, second, strict=True)),
            "disagree_spans": sorted(disagree.values(), key=lambda s: (s.start, s.author)),
        })  # fmt: skip
    return sorted(out, key=lambda r: (r["kappa"], r["a"], r["b"]))
