"""Pure parts of what a trader and an annotator read on the charts and in the review list."""

import pytest

from core.candles import Candle
from core.spans import Span
from dashboard.figures import chart_series
from dashboard.figures.chart_layout import (
    MARK_ROOM_PX,
    NOMINAL_AXIS_PX,
    format_price,
    opening_range,
    price_decimals,
    price_format,
)
from dashboard.figures.charts import PENDING_STRIP, pattern_shapes, span_shapes
from dashboard.figures.span_layout import (
    HOVER_Y,
    hover_columns,
    label_points,
    label_room,
    merge_adjacent,
    pattern_points,
    spans_in_view,
)
from dashboard.panels.span_review import count_text, next_row, readable_times
from tests.helpers.candles import make_candles

MIN = 60_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % (3_600_000)


def span(i, start, end, status="accepted", label="bull_flag"):
    return Span(f"s{i}", "BTC/USDT", "1m", start, end, label, "talib", status)


def test_prices_are_written_in_full_with_about_six_digits():
    assert price_decimals(66661.43) == 1 and format_price(66661.43, 1) == "66,661.4"
    assert price_decimals(3012.554) == 2 and price_decimals(0.1234567) == 6
    assert price_format(1) == ",.1f"


def test_the_chart_opens_on_the_newest_candles_with_room_for_the_label_strip():
    candles = make_candles(1000, start=T0, frame_ms=MIN)
    x_range, y_range = opening_range(candles, "1m", 150)
    # 150 candles, half a candle left, 9 candles (6 %) right for the latest targets.
    assert (x_range[1] - x_range[0]) / MIN == 149 + 0.5 + 9
    assert x_range[1] == candles[-1].time + 9 * MIN
    shown = candles[-150:]
    low, high = min(c.low for c in shown), max(c.high for c in shown)
    # 30 px of the 235 px price axis at 1400x900 under and over the candles (what the browser's
    # fit keeps, assets/chart_view.js): the label strip and the arrows fit, and no jump.
    room = (high - low) * MARK_ROOM_PX / (NOMINAL_AXIS_PX - 2 * MARK_ROOM_PX)
    assert y_range == pytest.approx([low - room, high + room])
    assert room > (high - low) * 0.08  # more than the old 8 % below and 5 % above


def test_pending_spans_are_a_strip_accepted_ones_bands_rejected_ones_hidden():
    shapes = span_shapes(
        [span(1, T0, T0 + MIN), span(2, T0, T0 + MIN, "pending"), span(3, T0, T0, "rejected")],
        "1m",
    )
    by_name = {s["name"]: s for s in shapes}
    assert set(by_name) == {"span:s1", "span:s2"}
    assert by_name["span:s1"]["y1"] == 1 and by_name["span:s2"]["y1"] == PENDING_STRIP
    # Selected for review, a pending span shows its full band and label.
    selected = span_shapes([span(2, T0, T0 + MIN, "pending")], "1m", "s2")[0]
    assert selected["y1"] == 1 and selected["label"]["text"] == "bull_flag"


def test_labels_are_written_only_where_they_do_not_run_into_each_other():
    # 800 px for 100 minutes: "bull_flag" takes ~66 px, about 8 minutes.
    boxes = [(T0, T0, "bull_flag"), (T0 + 2 * MIN, T0, "bull_flag"), (T0 + 20 * MIN, T0, "x")]
    assert label_room(boxes, 100 * MIN) == [True, False, True]
    assert label_room(boxes, None) == [True, True, True]


def test_model_spans_of_one_label_close_together_merge_into_one_box():
    found = [
        {"start": T0, "end": T0 + MIN, "label": "doji", "confidence": 0.6},
        {"start": T0 + 2 * MIN, "end": T0 + 2 * MIN, "label": "flag", "confidence": 0.9},
        {"start": T0 + 3 * MIN, "end": T0 + 4 * MIN, "label": "doji", "confidence": 0.8},
        {"start": T0 + 30 * MIN, "end": T0 + 31 * MIN, "label": "doji", "confidence": 0.7},
    ]
    merged = merge_adjacent(found, MIN)
    assert [(m["label"], m["start"], m["end"], m["count"]) for m in merged] == [
        ("doji", T0, T0 + 4 * MIN, 2),
        ("flag", T0 + 2 * MIN, T0 + 2 * MIN, 1),
        ("doji", T0 + 30 * MIN, T0 + 31 * MIN, 1),
    ]
    assert merged[0]["confidence"] == 0.8
    assert len(pattern_shapes(found, "1m")) == 3


def test_spans_inside_the_visible_range_are_drawn_not_only_the_newest():
    spans = [span(i, T0 + i * MIN, T0 + i * MIN) for i in range(1000)]
    chosen = spans_in_view(spans, [T0 + 10 * MIN, T0 + 20 * MIN], 400)
    assert [s.id for s in chosen] == [f"s{i}" for i in range(10, 21)]
    assert [s.id for s in spans_in_view(spans, None, 400)][0] == "s600"


def test_minute_candles_aggregate_into_5m_15m_and_1h(make_config):
    from runtime.orchestrator import Orchestrator

    orch = Orchestrator(make_config())
    minutes = [Candle(T0 + i * MIN, 100 + i, 101 + i, 99 + i, 100.5 + i, 1.0) for i in range(120)]
    orch.store.merge_history("BTC/USDT", "1m", minutes)
    hours = chart_series.tail(orch.store, "BTC/USDT", "1h", 10)
    assert [c.time for c in hours] == [T0, T0 + 60 * MIN]
    assert hours[0].open == 100 and hours[0].close == 159.5 and hours[0].high == 160
    assert hours[0].volume == 60
    fives = chart_series.tail(orch.store, "BTC/USDT", "5m", 1)
    assert [c.time for c in fives] == [T0 + 115 * MIN] and fives[0].close == 219.5
    assert chart_series.display_timeframe("1m", "15m") == "15m"
    assert chart_series.display_timeframe("1s", "15m") == "1s"
    assert chart_series.source_timeframe(orch.store, "BTC/USDT", "1h") == "1m"
    # An imported 1 h series is shown as stored, not rebuilt from minutes.
    orch.store.merge_history("OLD/USD", "1h", [Candle(T0, 1, 2, 0.5, 1.5, 10.0)])
    assert chart_series.source_timeframe(orch.store, "OLD/USD", "1h") == "1h"
    assert chart_series.tail(orch.store, "OLD/USD", "1h", 5)[0].volume == 10.0


def test_review_helpers_count_move_on_and_write_times_as_typed():
    assert count_text(2000, 2983) == "2,000 of 2,983 spans (newest first)"
    assert count_text(174, 174) == "174 spans"
    rows = [{"id": i} for i in "abcd"]
    assert next_row(rows, "b", True) == ("c", 2)
    assert next_row(rows, "b", False) == ("c", 1)  # "b" leaves the list: "c" moves up
    assert next_row(rows, "d", True) == (None, 0)
    text = readable_times("span 1700000000000..978307200000: end 978307200000 is before start")
    assert text == (
        "span 2023-11-14 22:13:20..2001-01-01 00:00:00: end 2001-01-01 00:00:00 is before start"
    )


def test_every_drawn_span_is_named_on_hover_one_point_per_place():
    spans = [
        span(1, T0, T0 + MIN),
        span(2, T0, T0 + MIN, "pending", "CDLDOJI_bull"),
        span(3, T0, T0 + MIN, "pending", "CDLHAMMER_bull"),
        span(4, T0, T0, "rejected"),
    ]
    points = label_points(spans, MIN)
    columns = hover_columns(points)
    assert columns["y"] == [HOVER_Y["strip"], HOVER_Y["band"]]
    assert columns["x"] == [T0 + MIN, T0 + MIN]
    assert columns["hovertext"][0] == (
        "CDLDOJI_bull · pending · talib<br>CDLHAMMER_bull · pending · talib"
    )
    found = [{"start": T0, "end": T0, "label": "doji", "confidence": 0.9},
             {"start": T0 + MIN, "end": T0 + MIN, "label": "doji", "confidence": 0.7}]  # fmt: skip
    assert [p["text"] for p in pattern_points(found, MIN)] == ["model: doji 0.90 (2 spans)"]


def test_a_runs_warnings_are_kept_from_its_own_thread_only():
    import logging
    import threading

    from runtime.training_jobs import captured_warnings

    log = logging.getLogger("training.pipeline")
    other = threading.Thread(target=lambda: log.warning("from another run"))
    with captured_warnings("training", "models") as warnings:
        log.warning("classes with fewer than %d training rows: %s", 10, {"doji": 3})
        logging.getLogger("models.xgboost_model").info("not a warning")
        other.start()
        other.join()
    log.warning("after the run")
    assert warnings == ["classes with fewer than 10 training rows: {'doji': 3}"]
