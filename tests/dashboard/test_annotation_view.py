"""Pure helpers of the Annotate panel."""

from core.spans import Span
from dashboard.panels.annotations import before_chart, span_at, table_rows
from runtime.orchestrator import Orchestrator
from tests.helpers.candles import make_candles

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000


def span(start, end, label="a", status="accepted", tf="1s"):
    return Span("id-" + label, "BTC/USDT", tf, start, end, label, "talib", status, confidence=0.5)


def test_the_narrowest_span_under_a_click_wins_and_rejected_ones_are_ignored():
    wide, narrow, gone = span(0, 100, "wide"), span(40, 60, "narrow"), span(45, 50, "x", "rejected")
    assert span_at([wide, narrow, gone], 50).label == "narrow"
    assert span_at([wide], 200) is None


def test_table_rows_show_utc_times_and_rounded_confidence():
    row = table_rows([span(T0, T0 + 60_000)])[0]
    assert row["start_text"].endswith(":00") and row["confidence"] == 0.5 and row["id"] == "id-a"


def test_a_span_before_the_1s_charts_window_is_flagged(make_config):
    orch = Orchestrator(make_config())
    orch.store.ingest("BTC/USDT", make_candles(900, start=T0))  # 15 min of 1 s; the chart shows 10
    assert before_chart(orch, span(T0, T0 + 5_000))
    assert not before_chart(orch, span(T0 + 880_000, T0 + 890_000))
