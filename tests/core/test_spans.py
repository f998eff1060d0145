from __future__ import annotations

import dataclasses
import gc

import pytest

from core.spans import SOURCES, STATUSES, Span, SpanError, make_spans, validate_span


def make(**changes) -> Span:
    base = Span("7", "BTC/USDT", "1m", 60_000, 180_000, "flag", "human", "accepted")
    return dataclasses.replace(base, **changes)


def test_a_valid_span_is_returned_unchanged():
    span = make(confidence=0.5)
    assert validate_span(span) is span
    assert validate_span(span, candle_times=[0, 60_000, 120_000]) is span


def test_span_is_frozen_and_has_the_documented_defaults():
    span = Span(None, "X", "1m", 0, 0, "a", "talib", "pending")
    assert (span.note, span.author, span.created_at, span.updated_at, span.confidence) == (
        "",
        "",
        None,
        None,
        None,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        span.label = "b"
    assert SOURCES == ("human", "talib", "model")
    assert STATUSES == ("accepted", "pending", "rejected")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end": 0}, "end 0 is before start 60000"),
        ({"label": ""}, "label must not be empty"),
        ({"label": "  \t"}, "label must not be empty"),
        ({"symbol": ""}, "symbol must not be empty"),
        ({"source": "robot"}, "unknown source 'robot' (allowed: human, talib, model)"),
        ({"status": "done"}, "unknown status 'done' (allowed: accepted, pending, rejected)"),
        ({"confidence": 1.5}, "confidence must lie in 0..1"),
        ({"start": 1.5}, "start must be epoch milliseconds"),
    ],
)
def test_each_broken_rule_is_named_in_the_error(changes, message):
    with pytest.raises(SpanError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_span(make(**changes))


def test_a_span_between_candles_covers_none_and_is_refused():
    times = [0, 60_000, 120_000]
    with pytest.raises(
        SpanError, match=r"covers no candle of BTC/USDT 1m \(candles run 0..120000\)"
    ):
        validate_span(make(start=61_000, end=119_999), candle_times=times)
    with pytest.raises(SpanError, match="covers no candle"):
        validate_span(make(start=200_000, end=300_000), candle_times=times)
    with pytest.raises(SpanError, match="there are no candles"):
        validate_span(make(), candle_times=[])
    assert validate_span(make(start=120_000, end=500_000), candle_times=times)


def test_span_error_is_a_value_error():
    assert issubclass(SpanError, ValueError)


def test_to_dict_and_from_dict_round_trip():
    span = make(note="a, b", author="ana", created_at=1, updated_at=2, confidence=0.25)
    data = span.to_dict()
    assert list(data) == [f.name for f in dataclasses.fields(Span)]
    assert Span.from_dict(data) == span


def test_from_dict_fills_defaults_and_rejects_bad_keys_and_types():
    data = {"symbol": "X", "timeframe": "1m", "start": 0, "end": 0, "label": "a"}
    data |= {"source": "human", "status": "pending"}
    assert Span.from_dict(data) == Span(None, "X", "1m", 0, 0, "a", "human", "pending")
    with pytest.raises(SpanError, match="unknown field 'colour'"):
        Span.from_dict(data | {"colour": "red"})
    with pytest.raises(SpanError, match="missing field 'label'"):
        Span.from_dict({k: v for k, v in data.items() if k != "label"})
    with pytest.raises(SpanError, match="start must be a whole number"):
        Span.from_dict(data | {"start": "noon"})
    with pytest.raises(SpanError, match="start must be a whole number"):
        Span.from_dict(data | {"start": True})
    with pytest.raises(SpanError, match="confidence must be a number"):
        Span.from_dict(data | {"confidence": "high"})
    with pytest.raises(SpanError, match="label must be text"):
        Span.from_dict(data | {"label": 3})
    with pytest.raises(SpanError, match="must be an object"):
        Span.from_dict([1, 2])


def test_make_spans_equals_the_constructor():
    template = Span(None, "X", "1m", 0, 0, "", "talib", "pending", note="n", author="a")
    made = make_spans(template, [1, 5], [3, 9], ["a_bull", "b_bear"], [0.5, None])
    assert made == [
        dataclasses.replace(template, start=1, end=3, label="a_bull", confidence=0.5),
        dataclasses.replace(template, start=5, end=9, label="b_bear", confidence=None),
    ]
    assert repr(made[0]) == repr(dataclasses.replace(made[0]))
    assert hash(made[1]) == hash(dataclasses.replace(made[1]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made[0].label = "c"
    assert template.label == ""


def test_make_spans_leaves_the_garbage_collector_as_it_found_it():
    template = Span(None, "X", "1m", 0, 0, "", "talib", "pending")
    assert gc.isenabled()
    make_spans(template, [1], [1], ["a"], [None])
    assert gc.isenabled()
    gc.disable()
    try:
        make_spans(template, [1], [1], ["a"], [None])
        assert not gc.isenabled()
    finally:
        gc.enable()
