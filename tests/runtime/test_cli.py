"""The command-line jobs, run through ``app.main`` on a real SQLite store."""

import json

import pandas as pd
import pytest
import yaml

from app import main
from runtime.config import load_config
from runtime.orchestrator import Orchestrator
from tests.helpers.candles import make_candles

pytestmark = pytest.mark.slow  # seconds each: `pytest -m 'not slow and not browser'` skips them

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data")}))
    return path


def write_candles(path, n=600, frame_ms=60_000, start=T0):
    candles = make_candles(n, start=start, frame_ms=frame_ms, seed=7)
    frame = pd.DataFrame([c.to_dict() for c in candles]).drop(columns="closed")
    frame.to_csv(path, index=False)
    return candles


def run(config_file, *args):
    return main(["--config", str(config_file), *args])


def import_minutes(config_file, path, symbol="M"):
    """The 1 m candle file of a test, imported as ``symbol``."""
    assert (
        run(config_file, "candles", "import", str(path), "--symbol", symbol, "--timeframe", "1m")
        == 0
    )


def test_candles_import_makes_a_new_symbol_with_its_history(tmp_path, config_file, capsys):
    candles = write_candles(tmp_path / "mine.csv", n=300, frame_ms=3_600_000)
    assert (
        run(
            config_file,
            "candles",
            "import",
            str(tmp_path / "mine.csv"),
            "--symbol",
            "MYCOIN",
            "--timeframe",
            "1h",
        )
        == 0
    )
    assert "300 1h candles imported for MYCOIN" in capsys.readouterr().out
    orch = Orchestrator(load_config(config_file))
    assert "MYCOIN" in orch.symbols() and orch.timeframes("MYCOIN") == ["1h"]
    assert orch.store.history("MYCOIN", "1h").index.tolist() == [c.time for c in candles]


def test_candles_import_refuses_a_bad_row_with_its_line_and_writes_nothing(
    tmp_path, config_file, caplog
):
    path = tmp_path / "bad.csv"
    write_candles(path, n=50)
    lines = path.read_text().splitlines()
    parts = lines[10].split(",")
    parts[2] = "-5"  # high
    lines[10] = ",".join(parts)
    path.write_text("\n".join(lines) + "\n")
    assert (
        run(config_file, "candles", "import", str(path), "--symbol", "X", "--timeframe", "1m") == 2
    )
    assert "line 11" in caplog.text
    assert "X" not in Orchestrator(load_config(config_file)).symbols()


def test_candles_import_refuses_times_off_the_timeframe_grid(tmp_path, config_file, caplog):
    write_candles(tmp_path / "m.csv", n=50, frame_ms=60_000)
    assert (
        run(
            config_file,
            "candles",
            "import",
            str(tmp_path / "m.csv"),
            "--symbol",
            "X",
            "--timeframe",
            "1h",
        )
        == 2
    )
    assert "not on the 1h grid" in caplog.text


def test_autolabel_then_review_then_dataset_build(tmp_path, config_file, capsys):
    write_candles(tmp_path / "m.csv", n=1500)
    import_minutes(config_file, tmp_path / "m.csv")
    assert run(config_file, "autolabel", "--symbol", "M", "--timeframe", "1m") == 0
    out = capsys.readouterr().out
    found = int(out.split(" pattern spans")[0].split()[-1])
    assert found > 0
    # Twice: nothing new.
    assert run(config_file, "autolabel", "--symbol", "M", "--timeframe", "1m") == 0
    assert "; 0 new" in capsys.readouterr().out
    orch = Orchestrator(load_config(config_file))
    labels = sorted({s.label for s in orch.annotations.list(source="talib")})
    assert run(config_file, "annotations", "review", "--accept", "--label", labels[0]) == 0
    assert "spans marked accepted" in capsys.readouterr().out
    accepted = Orchestrator(load_config(config_file)).annotations.list(status="accepted")
    assert accepted and {s.label for s in accepted} == {labels[0]}
    assert run(config_file, "dataset", "build") == 0
    out = capsys.readouterr().out
    assert out.startswith("dataset ") and labels[0] in out


def test_annotations_export_then_import_is_exact(tmp_path, config_file):
    write_candles(tmp_path / "m.csv", n=800)
    import_minutes(config_file, tmp_path / "m.csv")
    run(config_file, "autolabel", "--symbol", "M", "--patterns", "CDLDOJI", "CDLENGULFING")
    for ext in ("json", "csv"):
        out = tmp_path / f"spans.{ext}"
        assert run(config_file, "annotations", "export", str(out)) == 0
        before = Orchestrator(load_config(config_file)).annotations.list()
        # A fresh data folder: import brings back the same spans.
        other = tmp_path / f"other-{ext}.yaml"
        other.write_text(yaml.safe_dump({"data_dir": str(tmp_path / f"data-{ext}")}))
        import_minutes(other, tmp_path / "m.csv")
        assert run(other, "annotations", "import", str(out)) == 0
        after = Orchestrator(load_config(other)).annotations.list()
        assert [s.to_dict() for s in after] == [s.to_dict() for s in before]


def test_annotations_import_of_a_malformed_file_names_the_item_and_writes_nothing(
    tmp_path, config_file, caplog
):
    write_candles(tmp_path / "m.csv", n=100)
    import_minutes(config_file, tmp_path / "m.csv")
    good = {
        "id": "a",
        "symbol": "M",
        "timeframe": "1m",
        "start": T0,
        "end": T0 + 60_000,
        "label": "x",
        "source": "human",
        "status": "accepted",
    }
    bad = dict(good, id="b", end=T0 - 60_000)
    (tmp_path / "s.json").write_text(json.dumps([good, bad]))
    assert run(config_file, "annotations", "import", str(tmp_path / "s.json")) == 2
    assert "span #2" in caplog.text or "item 2" in caplog.text or "[1]" in caplog.text
    assert Orchestrator(load_config(config_file)).annotations.list() == []


def test_bad_config_stops_with_the_key_named(tmp_path, caplog):
    path = tmp_path / "c.yaml"
    path.write_text("server:\n  port: 99999\n")
    assert main(["--config", str(path), "autolabel", "--symbol", "X"]) == 2
    assert "server.port" in caplog.text


def test_backtest_prints_the_statistics_or_json(tmp_path, config_file, capsys):
    write_candles(tmp_path / "m.csv", n=600)
    import_minutes(config_file, tmp_path / "m.csv")
    capsys.readouterr()
    args = ["backtest", "--symbol", "M", "--strategy", "sma_cross", "--param", "fast=5",
            "--param", "slow=20", "--from", "2023-11-14 00:00", "--cash", "20000"]  # fmt: skip
    assert run(config_file, *args) == 0
    table = capsys.readouterr().out
    assert "Sharpe Ratio" in table and "# Trades" in table and "Equity Final [$]" in table
    # 10 hours of candles: annualised figures mean nothing, and the table says so in their row
    annual = next(line for line in table.splitlines() if line.startswith("Return (Ann.) [%]"))
    assert "n/a (" in annual and "(under 30)" in annual
    assert run(config_file, *args, "--json") == 0
    body = json.loads(capsys.readouterr().out)
    assert body["status"] == "done" and body["params"]["cash"] == 20000
    # the JSON keeps the number and gives the reason beside it
    assert isinstance(body["stats"]["Return (Ann.) [%]"], float)
    assert "(under 30)" in body["stats_notes"]["Return (Ann.) [%]"]
    assert body["stats"]["# Trades"] == len(body["trades"]) > 0


def test_backtest_with_a_bad_param_names_it(tmp_path, config_file, caplog):
    write_candles(tmp_path / "m.csv", n=100)
    import_minutes(config_file, tmp_path / "m.csv")
    args = ["backtest", "--symbol", "M", "--strategy", "sma_cross", "--param", "fast=abc"]
    assert run(config_file, *args) == 2
    assert "params.fast: must be a number" in caplog.text
