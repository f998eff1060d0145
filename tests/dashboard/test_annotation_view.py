"""Pure helpers of the Annotate panel, and its list's refresh."""

import json

from dash import no_update
from flask import Flask

from core.spans import Span
from dashboard.context import EXTENSION
from dashboard.panels.annotations import before_chart, refresh_table, span_at, table_rows
from runtime.orchestrator import Orchestrator
from tests.helpers.candles import make_candles

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000


def span(start, end, label="a", status="accepted", tf="1s", id_="id-"):
    return Span(id_ and id_ + label, "BTC/USDT", tf, start, end, label, "talib", status,
                confidence=0.5)  # fmt: skip


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


def test_a_refresh_with_the_same_rows_keeps_the_clicked_row_and_new_rows_clear_it(make_config):
    """The list's refresh on a tick or a filter: the rows the page shows (known by the fingerprint
    it sends back) leave the table and its active cell alone; a new row replaces the rows and
    clears the cell."""
    orch = Orchestrator(make_config())
    app = Flask(__name__)
    app.extensions[EXTENSION] = orch
    filters = {"label": None, "source": None, "status": None, "symbol": "BTC/USDT"}
    orch.store.ingest("BTC/USDT", make_candles(600, start=T0))
    try:
        orch.annotations.create(span(T0, T0 + 60_000, "x", tf="1m", id_=None))
        with app.app_context():
            first = refresh_table(1, **filters)
            rows, active_cell = first[0], first[2]
            assert [r["label"] for r in rows] == ["x"] and active_cell is None
            shown = json.loads(json.dumps(first[-1]))
            again = refresh_table(2, **filters, shown=shown)
            assert again[:4] == (no_update,) * 4
            assert again[4] == first[4]  # the count is still written
            assert again[-1] is no_update
            orch.annotations.create(span(T0 + 120_000, T0 + 180_000, "y", tf="1m", id_=None))
            fresh = refresh_table(3, **filters, shown=shown)
            assert [r["label"] for r in fresh[0]] == ["y", "x"] and fresh[2] is None
            assert fresh[-1] != shown
    finally:
        orch.db.close()
