"""``python app.py search`` and ``walkforward``: the JSON they print, and a search killed with
SIGKILL that resumes from its stored trials."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from app import main
from runtime.config import load_config
from runtime.orchestrator import Orchestrator
from tests.helpers import market_data as fixtures_market
from tests.helpers.research import store_frame

pytestmark = pytest.mark.slow  # subprocesses and worker pools: seconds each

ROOT = Path(__file__).resolve().parents[2]
market_candles = fixtures_market.market_candles
SEARCH = ["search", "--symbol", "GOOG", "--timeframe", "1d", "--strategy", "sma_cross",
          "--param", "fast=5:50:5", "--param", "slow=20:200:10", "--constraint", "fast < slow",
          "--maximize", "Sharpe Ratio", "--commission", "0.002", "--fractional-unit", "1",
          "--from", "2004-01-01", "--to", "2014-01-01"]  # fmt: skip


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    base = tmp_path_factory.mktemp("search_cli")
    path = base / "config.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(base / "data"), "compute": {"workers": 2}}))
    orch = Orchestrator(load_config(path))
    store_frame(orch, "GOOG", "1d", market_candles("GOOG"))
    store_frame(orch, "SYN", "1m", fixtures_market.random_candles(20_000, seed=3))
    orch.db.close()
    return path


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_search_json_is_best_trials_and_maximize(config_file, capsys):
    assert main(["--config", str(config_file), *SEARCH, "--json"]) == 0
    out = _json(capsys)
    assert list(out) == ["best", "trials", "maximize"]
    assert out["maximize"] == "Sharpe Ratio"
    assert len(out["trials"]) == 174
    assert all(set(t) == {"params", "value", "trades"} for t in out["trials"])
    top = max((t for t in out["trials"] if t["value"] is not None), key=lambda t: t["value"])
    assert out["best"]["params"] == top["params"]
    assert out["best"]["stats"]["Sharpe Ratio"] == pytest.approx(top["value"])
    # a trial with too few trades has no value
    assert main(["--config", str(config_file), *SEARCH, "--min-trades", "40", "--json"]) == 0
    few = _json(capsys)["trials"]
    assert all((t["value"] is None) == (t["trades"] < 40) for t in few if t["trades"])


def test_tpe_search_and_bad_arguments(config_file, capsys, caplog):
    args = [*SEARCH, "--method", "tpe", "--max-tries", "20", "--json"]
    assert main(["--config", str(config_file), *args]) == 0
    first = _json(capsys)
    assert main(["--config", str(config_file), *args]) == 0
    assert _json(capsys)["trials"] == first["trials"]  # seeded: the same trials again
    assert 0 < len(first["trials"]) <= 20
    bad = [("fast ** 2 < slow" if a == "fast < slow" else a) for a in SEARCH]
    assert main(["--config", str(config_file), *bad]) == 2
    assert "constraint: 'fast ** 2' is refused" in caplog.text


def test_walkforward_json(config_file, capsys):
    args = [*SEARCH, "--is-bars", "600", "--oos-bars", "300", "--anchored", "--json"]
    assert main(["--config", str(config_file), "walkforward", *args[1:]]) == 0
    out = _json(capsys)
    assert list(out) == ["folds", "oos_equity", "efficiency"]
    assert len(out["folds"]) == (2148 - 600) // 300
    for fold in out["folds"]:
        assert set(fold) == {"is", "oos", "params", "is_stats", "oos_stats"}
        assert fold["is"][0] == out["folds"][0]["is"][0]  # anchored
    assert set(out["oos_equity"][0]) == {"time", "equity"}


def test_backtest_takes_fractional_unit_spread_and_stops(config_file, capsys):
    base = ["backtest", "--symbol", "GOOG", "--timeframe", "1d", "--strategy", "sma_cross",
            "--from", "2004-01-01", "--to", "2014-01-01", "--json"]  # fmt: skip
    assert main(["--config", str(config_file), *base, "--fractional-unit", "1"]) == 0
    whole = _json(capsys)
    assert all(float(t["Size"]).is_integer() for t in whole["trades"])
    assert main(["--config", str(config_file), *base, "--fractional-unit", "1e-4", "--spread",
                 "0.001", "--param", "sl_pct=2", "--param", "tp_pct=5"]) == 0  # fmt: skip
    run = _json(capsys)
    assert run["params"]["spread"] == 0.001 and run["params"]["params"]["sl_pct"] == 2
    assert any(not float(t["Size"]).is_integer() for t in run["trades"])


def test_a_search_killed_mid_way_keeps_its_trials_and_resumes(config_file, tmp_path):
    """SIGKILL the CLI (and its workers) part-way, then ``--resume`` it: the result is what an
    uninterrupted search gives."""
    args = ["search", "--symbol", "SYN", "--timeframe", "1m", "--strategy", "sma_cross",
            "--param", "fast=2:30:1", "--param", "slow=10:200:5", "--constraint", "fast < slow",
            "--from", "2023-01-01", "--to", "2024-01-01", "--fractional-unit", "1e-4"]  # fmt: skip
    command = [sys.executable, str(ROOT / "app.py"), "--config", str(config_file), *args]
    log = tmp_path / "search.log"
    with log.open("w") as err:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err,
                                   start_new_session=True)  # fmt: skip
    try:
        run_id = _wait_for_trials(config_file, log, process, 30)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    orch = Orchestrator(load_config(config_file))
    kept = orch.research.store.count_trials(run_id)
    assert kept >= 30
    assert orch.research.store.get(run_id)["status"] == "running"  # killed: nobody marked it
    orch.research.recover()
    assert orch.research.store.get(run_id)["status"] == "failed"
    orch.db.close()
    resumed = subprocess.run([sys.executable, str(ROOT / "app.py"), "--config", str(config_file),
                              "search", "--resume", run_id, "--json"], cwd=ROOT,
                             capture_output=True, text=True, timeout=600)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    out = json.loads(resumed.stdout)
    grid = [(f, s) for f in range(2, 31) for s in range(10, 201, 5) if f < s]
    assert [(t["params"]["fast"], t["params"]["slow"]) for t in out["trials"]] == grid
    orch = Orchestrator(load_config(config_file))
    trials = orch.research.store.trials(run_id)
    assert [t["idx"] for t in trials] == list(range(len(out["trials"])))
    assert orch.research.store.get(run_id)["status"] == "done"
    orch.db.close()


def _stored(config_file, run_id: str) -> int:
    """Trials stored so far (read straight from SQLite: quick enough to poll)."""
    path = load_config(config_file).data_path / "tradedash.db"
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
        return conn.execute(
            "SELECT COUNT(*) FROM research_trials WHERE run_id=?", (run_id,)
        ).fetchone()[0]


def _wait_for_trials(config_file, log: Path, process, count: int) -> str:
    deadline = time.monotonic() + 180
    run_id = None
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-2000:]
        if run_id is None:
            for line in log.read_text().splitlines():
                if "resume it with --resume" in line:
                    run_id = line.split("--resume ", 1)[1].split()[0]
        if run_id is not None and _stored(config_file, run_id) >= count:
            return run_id
        time.sleep(0.05)
    raise AssertionError(f"no {count} trials stored in time: {log.read_text()[-2000:]}")


def test_the_frame_helper_keeps_every_candle(config_file):
    orch = Orchestrator(load_config(config_file))
    stored = orch.store.history("GOOG", "1d")
    pd.testing.assert_frame_equal(stored, market_candles("GOOG"), check_names=False,
                                  check_index_type=False)  # fmt: skip
    orch.db.close()
