from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from core.spans import Span
from tests.helpers.market_data import random_candles
from training.datasets import (
    DatasetError,
    build_dataset,
    encode_bio,
    encode_windows,
    latest_dataset,
    list_datasets,
    load_dataset,
)
from training.feature_config import FeatureSpec
from training.features import feature_columns

TIMES = list(range(10))


def span(start, end, label, status="accepted", symbol="X", timeframe="1m", id=None):
    return Span(id, symbol, timeframe, start, end, label, "human", status)


def test_windowed_labels_by_hand_with_a_tie_going_to_the_later_start():
    spans = [
        span(2, 5, "flag"),
        span(4, 7, "wedge"),  # as long as "flag": the later start wins 4 and 5
        span(8, 8, "doji", status="pending"),  # only accepted spans label
        span(9, 9, "doji", status="rejected"),
        span(20, 30, "late"),  # covers no candle
    ]
    labels, overlaps = encode_windows(TIMES, spans)
    assert labels == ["none", "none", "flag", "flag", "wedge", "wedge", "wedge", "wedge"] + [
        "none",
        "none",
    ]
    assert len(overlaps) == 1
    assert {k: overlaps[0][k] for k in ("times", "labels", "winner")} == {
        "times": [4, 5],
        "labels": ["flag", "wedge"],
        "winner": "wedge",
    }
    assert [(s["start"], s["end"]) for s in overlaps[0]["spans"]] == [(2, 5), (4, 7)]


def test_shortest_span_wins_and_bio_restarts_after_an_interruption():
    spans = [span(0, 8, "trend"), span(3, 4, "doji")]
    labels, overlaps = encode_windows(TIMES, spans)
    assert labels == ["trend"] * 3 + ["doji"] * 2 + ["trend"] * 4 + ["none"]
    tags, bio_overlaps = encode_bio(TIMES, spans)
    assert tags == [
        "B-trend",
        "I-trend",
        "I-trend",
        "B-doji",
        "I-doji",
        "B-trend",
        "I-trend",
        "I-trend",
        "I-trend",
        "O",
    ]
    assert overlaps == bio_overlaps
    assert [(o["times"], o["labels"], o["winner"]) for o in overlaps] == [
        ([3, 4], ["doji", "trend"], "doji")
    ]


def test_equal_length_and_start_goes_to_the_label_that_sorts_first():
    labels, overlaps = encode_windows(TIMES, [span(1, 2, "zeta"), span(1, 2, "alpha")])
    assert labels[:4] == ["none", "alpha", "alpha", "none"]
    assert overlaps[0]["times"] == [1, 2] and overlaps[0]["winner"] == "alpha"


def test_nested_spans_report_each_stretch_where_the_competitors_change():
    spans = [span(0, 9, "a"), span(2, 6, "b"), span(4, 5, "c")]
    labels, overlaps = encode_windows(TIMES, spans)
    assert labels == ["a", "a", "b", "b", "c", "c", "b", "a", "a", "a"]
    assert [(o["times"], o["labels"], o["winner"]) for o in overlaps] == [
        ([2, 3], ["a", "b"], "b"),
        ([4, 5], ["a", "b", "c"], "c"),
        ([6], ["a", "b"], "b"),
    ]


def test_overlapping_spans_with_the_same_label_are_no_conflict_but_stay_two_spans():
    spans = [span(0, 3, "x"), span(2, 5, "x")]
    labels, overlaps = encode_windows(TIMES, spans)
    assert labels == ["x"] * 6 + ["none"] * 4
    assert overlaps == []
    tags, _ = encode_bio(TIMES, spans)
    assert tags == ["B-x", "I-x", "B-x", "I-x", "I-x", "I-x", "O", "O", "O", "O"]


def test_adjacent_spans_and_real_times_in_milliseconds():
    times = [1_000 + 60_000 * i for i in range(5)]
    spans = [span(1_000, 61_000, "up"), span(121_000, 181_000, "up")]
    tags, overlaps = encode_bio(times, spans)
    assert tags == ["B-up", "I-up", "B-up", "I-up", "O"]
    assert overlaps == []
    # A span drawn between open times still covers the candles whose open lies inside it.
    assert encode_windows(times, [span(30_000, 130_000, "mid")])[0] == [
        "none",
        "mid",
        "mid",
        "none",
        "none",
    ]


# ---- build_dataset -------------------------------------------------------------------------

SPEC = FeatureSpec(cdl_patterns=("CDLENGULFING", "CDLDOJI"))


@pytest.fixture
def inputs():
    a, b = random_candles(400, seed=1), random_candles(300, seed=2, start=1_800_000_000_000)
    series = {("AAA", "1m"): a, ("BBB", "5m"): b}
    ta, tb = a.index, b.index
    spans = [
        span(int(ta[300]), int(ta[309]), "flag", symbol="AAA", id="1"),
        span(int(ta[305]), int(ta[306]), "doji", symbol="AAA", id="2"),
        span(int(ta[350]), int(ta[352]), "flag", symbol="AAA", status="pending", id="3"),
        span(int(tb[100]), int(tb[104]), "wedge", symbol="BBB", timeframe="5m", id="4"),
        span(int(tb[0]), int(tb[4]), "other", symbol="ZZZ", id="5"),  # no such series
    ]
    return series, spans


def test_build_writes_parquet_and_manifest_with_labels_from_accepted_spans(tmp_path, inputs):
    series, spans = inputs
    info = build_dataset(series, spans, SPEC, window=8, root=tmp_path)
    assert len(info.version) == 12 and info.path == tmp_path / info.version
    data, manifest = load_dataset(tmp_path, info.version)
    cols = feature_columns(SPEC)
    assert list(data.columns) == ["symbol", "timeframe", "time"] + [
        "open",
        "high",
        "low",
        "close",
        "volume",
        "warmup",
        *cols,
        "label",
        "bio",
    ]
    assert info.rows == len(data) == 700
    assert info.label_counts == {"doji": 2, "flag": 8, "none": 685, "wedge": 5}
    aaa = data[data["symbol"] == "AAA"].reset_index(drop=True)
    assert aaa["label"].iloc[300:311].tolist() == ["flag"] * 5 + ["doji"] * 2 + ["flag"] * 3 + [
        "none"
    ]
    assert aaa["bio"].iloc[304:308].tolist() == ["I-flag", "B-doji", "I-doji", "B-flag"]
    pd.testing.assert_series_equal(
        aaa["open"], series[("AAA", "1m")]["open"].reset_index(drop=True), check_names=False
    )
    assert manifest == info.manifest == json.loads((info.path / "manifest.json").read_text())
    assert manifest["symbols"] == ["AAA", "BBB"] and manifest["timeframes"] == ["1m", "5m"]
    assert manifest["overlaps"] == 1 and manifest["spans"] == 3
    assert manifest["window"] == 8 and manifest["encoding"] == "windowed"
    assert manifest["feature_columns"] == cols and manifest["feature_spec"] == SPEC.to_dict()
    assert manifest["time_range"] == {
        "start": int(data["time"].min()),
        "end": int(data["time"].max()),
    }


def test_same_inputs_give_the_same_version_and_no_rewrite(tmp_path, inputs):
    series, spans = inputs
    first = build_dataset(series, spans, SPEC, 8, tmp_path / "one")
    stamp = (first.path / "data.parquet").stat().st_mtime_ns
    again = build_dataset(series, list(reversed(spans)), SPEC, 8, tmp_path / "one")
    assert again == first
    assert (first.path / "data.parquet").stat().st_mtime_ns == stamp
    elsewhere = build_dataset(series, spans, SPEC, 8, tmp_path / "two")  # later created_at
    assert elsewhere.version == first.version
    pending = dataclasses.replace(spans[0], status="pending", id="9", label="other")
    reviewed = [dataclasses.replace(s, note="seen", author="ana") for s in spans]
    assert build_dataset(series, spans + [pending], SPEC, 8, tmp_path / "one") == first
    assert build_dataset(series, reviewed, SPEC, 8, tmp_path / "one") == first


@pytest.mark.parametrize(
    "change",
    ["label", "end", "window", "encoding", "spec", "candle"],
)
def test_any_input_that_changes_the_data_changes_the_version(tmp_path, inputs, change):
    series, spans = inputs
    base = build_dataset(series, spans, SPEC, 8, tmp_path).version
    spec, window, encoding = SPEC, 8, "windowed"
    if change == "label":
        spans = [dataclasses.replace(spans[0], label="pennant")] + spans[1:]
    elif change == "end":
        spans = [dataclasses.replace(spans[0], end=spans[0].end + 60_000)] + spans[1:]
    elif change == "window":
        window = 9
    elif change == "encoding":
        encoding = "bio"
    elif change == "spec":
        spec = dataclasses.replace(SPEC, rsi_periods=(7,))
    else:
        candles = series[("AAA", "1m")].copy()
        candles.iloc[5, 3] *= 1.0001
        series = {**series, ("AAA", "1m"): candles}
    assert build_dataset(series, spans, spec, window, tmp_path, encoding).version != base


def test_list_and_latest_give_newest_first(tmp_path, inputs):
    series, spans = inputs
    assert list_datasets(tmp_path) == [] and latest_dataset(tmp_path) is None
    old = build_dataset(series, spans, SPEC, 8, tmp_path)
    new = build_dataset(series, spans, SPEC, 4, tmp_path)
    assert [m["version"] for m in list_datasets(tmp_path)] == [new.version, old.version]
    assert latest_dataset(tmp_path) == new


def test_clear_errors_for_missing_inputs(tmp_path, inputs):
    series, spans = inputs
    pending = [dataclasses.replace(s, status="pending") for s in spans]
    with pytest.raises(DatasetError, match="no accepted spans"):
        build_dataset(series, pending, SPEC, 8, tmp_path)
    with pytest.raises(DatasetError, match="no candles"):
        build_dataset({("AAA", "1m"): random_candles(0)}, spans, SPEC, 8, tmp_path)
    far = [span(1, 2, "flag", symbol="AAA")]
    with pytest.raises(DatasetError, match="none of the 1 accepted spans covers a candle"):
        build_dataset(series, far, SPEC, 8, tmp_path)
    with pytest.raises(DatasetError, match="unknown encoding 'iob'"):
        build_dataset(series, spans, SPEC, 8, tmp_path, encoding="iob")
    with pytest.raises(DatasetError, match="no dataset '0123456789ab' in .*none built yet"):
        load_dataset(tmp_path, "0123456789ab")
    with pytest.raises(
        DatasetError, match=r"'../etc' is not a dataset version, 12 hex digits \(known: none"
    ):
        load_dataset(tmp_path, "../etc")
    assert list(tmp_path.iterdir()) == []  # nothing half-written
