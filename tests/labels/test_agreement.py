"""Cohen's kappa per pair of annotators over the candles both labelled, by hand."""

import pytest

from core.spans import Span
from labels.agreement import agreement, cohen_kappa

M = 60_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % M


def span(author, start, end, label, sid=None, status="accepted"):
    return Span(sid or f"{author}{start}", "BTC/USDT", "1m", T0 + start * M, T0 + end * M, label,
                "human", status, author=author)  # fmt: skip


def test_kappa_by_hand():
    # 10 items: agree on 8; a says x 5 times, b says x 5 times: pe = .5, po = .8 -> kappa .6
    a = ["x"] * 5 + ["y"] * 5
    b = ["x"] * 4 + ["y"] + ["x"] + ["y"] * 4
    assert cohen_kappa(a, b) == pytest.approx(0.6)
    assert cohen_kappa(["x", "x"], ["x", "x"]) == 1.0
    assert cohen_kappa([], []) is None


def test_pairs_over_the_candles_both_labelled_with_the_disagreeing_spans():
    spans = [
        span("ann", 0, 9, "bull_flag"),  # candles 0..9
        span("bo", 0, 4, "bull_flag"),  # agrees on 0..4
        span("bo", 5, 9, "bear_flag"),  # disagrees on 5..9
        span("cy", 100, 110, "breakout"),  # no candles in common with anyone
        span("bo", 20, 25, "x", status="rejected"),  # left out
    ]
    [pair] = agreement(spans)
    assert (pair["a"], pair["b"], pair["candles"], pair["agree"]) == ("ann", "bo", 10, 5)
    # ann: 10 x bull; bo: 5 bull, 5 bear -> po .5, pe .5 -> kappa 0
    assert pair["kappa"] == pytest.approx(0.0)
    assert [s.id for s in pair["disagree_spans"]] == ["ann0", "bo5"]


def test_none_counts_where_only_one_labelled():
    spans = [span("ann", 0, 9, "bull_flag"), span("bo", 0, 4, "bull_flag"),
             span("bo", 9, 9, "bull_flag")]  # fmt: skip
    [pair] = agreement(spans)
    # candles 0..9: bo says none on 5..8 -> 6 agree of 10
    assert (pair["candles"], pair["agree"]) == (10, 6)
