"""Walk-forward analysis: search on each fold's in-sample window, then trade the chosen
parameters on the out-of-sample window that follows.

Folds (bars of the period, in order):

- rolling: fold k's in-sample window is ``[k * oos, k * oos + is_bars)``;
- anchored: it is ``[0, is_bars + k * oos)`` (it grows);
- then ``gap_bars`` left out, then the out-of-sample window of ``oos_bars``; folds go on while a
  whole out-of-sample window fits.

Out of sample, indicators may warm up on any earlier candles, but trades and every statistic
cover the out-of-sample window only; each fold starts from the previous fold's ending equity, so
the stitched curve compounds. Walk-forward efficiency is the out-of-sample return per bar over
the in-sample return per bar (None when the in-sample return is 0 or negative).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Fold:
    index: int
    is_lo: int
    is_hi: int  # exclusive
    oos_lo: int
    oos_hi: int  # exclusive


def fold_windows(n: int, is_bars: int, oos_bars: int, gap: int = 0, anchored: bool = False):
    """The folds over ``n`` bars."""
    folds = []
    k = 0
    while True:
        is_lo = 0 if anchored else k * oos_bars
        is_hi = is_bars + k * oos_bars
        oos_lo = is_hi + gap
        oos_hi = oos_lo + oos_bars
        if oos_hi > n:
            return folds
        folds.append(Fold(k, is_lo, is_hi, oos_lo, oos_hi))
        k += 1


def efficiency(is_return_pct: float, is_bars: int, oos_return_pct: float, oos_bars: int):
    """Out-of-sample return per bar over in-sample return per bar; None when the in-sample
    return is 0 or negative (or unknown)."""
    if is_return_pct is None or oos_return_pct is None or not is_bars or not oos_bars:
        return None
    if not math.isfinite(is_return_pct) or is_return_pct <= 0:
        return None
    return (oos_return_pct / oos_bars) / (is_return_pct / is_bars)


def stability(chosen: list[dict]) -> dict:
    """How stable the chosen parameters were across folds: for each parameter, how often its
    most common value was chosen, its distinct values, and (numbers) their spread."""
    out = {}
    names = list(dict.fromkeys(k for params in chosen for k in params))
    for name in names:
        values = [params.get(name) for params in chosen if name in params]
        counts = Counter(map(repr, values))
        mode, times = counts.most_common(1)[0]
        entry = {
            "distinct": len(counts),
            "mode": next(v for v in values if repr(v) == mode),
            "mode_share": times / len(values),
        }
        numbers = [float(v) for v in values if isinstance(v, int | float)]
        if len(numbers) == len(values) and numbers:
            mean = sum(numbers) / len(numbers)
            spread = math.sqrt(sum((x - mean) ** 2 for x in numbers) / len(numbers))
            entry.update(min=min(numbers), max=max(numbers), mean=mean,
                         relative_spread=spread / abs(mean) if mean else None)  # fmt: skip
        out[name] = entry
    return out
