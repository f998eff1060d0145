from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import talib
import talib.abstract

from labels.autolabel import Cancelled, autolabel, span_key
from labels.cdl_names import CDL_PATTERNS, MAX_LOOKBACK, PATTERN_LENGTH
from tests.helpers import market_data as fixtures_market
from tests.helpers.market_data import random_candles

goog = fixtures_market.goog  # real-data fixtures, see tests/helpers/market_data.py
eurusd = fixtures_market.eurusd


def test_pattern_length_covers_every_talib_pattern_with_1_to_5_candles():
    assert len(CDL_PATTERNS) == 61
    # The names are kept as data (no TA-Lib import to load config): TA-Lib's list, same order.
    assert tuple(talib.get_function_groups()["Pattern Recognition"]) == CDL_PATTERNS
    assert set(PATTERN_LENGTH) == set(CDL_PATTERNS)
    assert set(PATTERN_LENGTH.values()) == {1, 2, 3, 4, 5}
    known = {"CDLENGULFING": 2, "CDLMORNINGSTAR": 3, "CDLBREAKAWAY": 5, "CDLHAMMER": 1}
    known |= {"CDLHIKKAKE": 3, "CDLCONCEALBABYSWALL": 4, "CDLMATHOLD": 5, "CDLDOJI": 1}
    assert {name: PATTERN_LENGTH[name] for name in known} == known


def test_no_pattern_is_longer_than_what_talib_reads_before_it():
    for name in CDL_PATTERNS:
        lookback = talib.abstract.Function(name).lookback
        assert PATTERN_LENGTH[name] - 1 <= lookback <= MAX_LOOKBACK, name


@pytest.mark.parametrize("market", ["goog", "eurusd"])
def test_spans_match_direct_talib_calls_on_real_data(market, request):
    candles = request.getfixturevalue(market)
    spans = autolabel(candles, "REAL", "1d")
    times = candles.index.to_numpy()
    ohlc = [candles[c].to_numpy() for c in ("open", "high", "low", "close")]
    expected = set()
    for name in CDL_PATTERNS:
        out = getattr(talib, name)(*ohlc)
        for i in np.flatnonzero(out):
            label = f"{name}_{'bull' if out[i] > 0 else 'bear'}"
            first = times[i - PATTERN_LENGTH[name] + 1]
            expected.add((int(first), int(times[i]), label, min(abs(out[i]) / 100, 1.0)))
    got = [(s.start, s.end, s.label, s.confidence) for s in spans]
    assert len(got) == len(set(got)) == len(expected) > 1000
    assert set(got) == expected
    assert {(s.symbol, s.timeframe, s.source, s.status, s.id) for s in spans} == {
        ("REAL", "1d", "talib", "pending", None)
    }


def test_start_and_end_keep_spans_ending_inside_and_use_earlier_history(eurusd):
    everything = autolabel(eurusd, "EUR/USD", "1h")
    times = eurusd.index
    start, end = int(times[1000]), int(times[1400])
    window = autolabel(eurusd, "EUR/USD", "1h", start=start, end=end)
    assert window == [s for s in everything if start <= s.end <= end]
    assert any(s.start < start for s in window)  # the pattern may begin before `start`
    assert autolabel(eurusd, "EUR/USD", "1h", end=int(times[30])) == [
        s for s in everything if s.end <= times[30]
    ]


def test_output_is_deterministic_and_sorted_by_end_start_label():
    candles = random_candles(800, seed=3)
    first = autolabel(candles, "X", "1m")
    assert first == autolabel(candles, "X", "1m")
    keys = [(s.end, s.start, s.label) for s in first]
    assert keys == sorted(keys)


def test_patterns_selects_functions_and_rejects_unknown_names():
    candles = random_candles(500, seed=4)
    spans = autolabel(candles, "X", "1m", patterns=["CDLENGULFING", "CDLDOJI"])
    assert spans
    assert {s.label.rsplit("_", 1)[0] for s in spans} <= {"CDLENGULFING", "CDLDOJI"}
    assert {s.end - s.start for s in spans if s.label.startswith("CDLENGULFING")} == {60_000}
    with pytest.raises(ValueError, match="unknown TA-Lib pattern 'CDLNOPE'"):
        autolabel(candles, "X", "1m", patterns=["CDLNOPE"])


def test_progress_is_reported_per_pattern_and_cancel_stops_the_run():
    candles = random_candles(300, seed=5)
    calls = []
    autolabel(candles, "X", "1m", progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 61) for i in range(1, 62)]

    seen = []
    with pytest.raises(Cancelled):
        autolabel(
            candles,
            "X",
            "1m",
            progress=lambda done, total: seen.append(done),
            cancel=lambda: len(seen) >= 5,
        )
    assert seen == [1, 2, 3, 4, 5]


def test_empty_candles_give_no_spans():
    assert autolabel(random_candles(0), "X", "1m") == []


def test_span_key_ignores_review_fields_so_reruns_are_idempotent():
    span = autolabel(random_candles(300, seed=6), "X", "1m")[0]
    reviewed = dataclasses.replace(span, id="9", status="accepted", note="ok", confidence=0.1)
    assert span_key(reviewed) == span_key(span)
    assert span_key(dataclasses.replace(span, label="other")) != span_key(span)
    assert span_key(span) == ("X", "1m", span.start, span.end, span.label, "talib")
