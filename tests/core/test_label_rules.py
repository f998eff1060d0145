"""Labels are short names of letters, digits, spaces and a few signs; the message says which
rule a refused one breaks."""

import pytest

from core.config import ConfigError
from core.spans import MAX_LABEL_LENGTH, Span, SpanError, label_problem, validate_span
from runtime.config import config_from_dict


def span(label):
    return Span(None, "BTC/USDT", "1m", 0, 60_000, label, "human", "accepted")


@pytest.mark.parametrize(
    "label",
    [
        "bull_flag",
        "CDLENGULFING_bull",
        "head and shoulders",
        "flag (1m) #2",
        "Keil-Formation",
        "wedge ↗",
        "x" * MAX_LABEL_LENGTH,
    ],
)
def test_usual_labels_pass(label):
    assert label_problem(label) is None
    assert validate_span(span(label)).label == label


@pytest.mark.parametrize(
    ("label", "words"),
    [
        ("x" * 500, "500 characters long: at most 64"),
        ("x" * (MAX_LABEL_LENGTH + 1), "65 characters long"),
        ("a<b>", "not allowed: '<>'"),
        ("tab\there", "not allowed: '\\t'"),
        ('say "hi"', "not allowed: '\"'"),
        ("back\\slash", "not allowed"),
        ("line\nbreak", "not allowed: '\\n'"),
    ],
)
def test_long_labels_and_odd_characters_are_refused_with_the_reason(label, words):
    with pytest.raises(SpanError, match="label") as refused:
        validate_span(span(label))
    assert words in str(refused.value)


def test_configured_labels_follow_the_same_rules(tmp_path):
    with pytest.raises(ConfigError, match="annotations.labels: label 'a<b'"):
        config_from_dict({"annotations": {"labels": ["ok", "a<b"]}}, base_dir=tmp_path)
