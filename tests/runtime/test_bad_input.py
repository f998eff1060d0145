"""Bad input is refused with a message, and work has bounds: times, names, paths, ranges."""

import json
import math
import multiprocessing
import time

import pytest

from app import main
from core.config import ConfigError, RetentionConfig
from core.db import Database
from core.spans import Span, SpanError
from core.timefmt import parse_time
from dashboard.figures.charts import overlay_points, pattern_shapes, span_shapes
from market.candle_store import CandleStore
from market.request_candles import InputError, parse_candles
from market.retention import prune_candles
from runtime.config import config_from_dict
from runtime.orchestrator import Orchestrator
from serving.pattern_inference import PatternService
from tests.helpers.candles import make_candles
from training.champion_lock import champion_lock
from training.model_cache import ModelCache

EVIL = "<a href='javascript:alert(1)'>x</a>"


def candle(t):
    return {"time": t, "open": 1, "high": 2, "low": 0.5, "close": 1, "volume": 1}


@pytest.mark.parametrize("t", [2**53 + 1, 2**63, 1e300])
def test_a_candle_time_beyond_2_to_53_ms_is_refused(t):
    with pytest.raises(InputError, match="2\\^53"):
        parse_candles([candle(t)], 10)


@pytest.mark.parametrize("value", [2**63, -(2**60), math.inf, math.nan])
def test_a_typed_time_out_of_range_is_a_message(value):
    with pytest.raises(ValueError, match="range|not a time|NaN"):
        parse_time(value)


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "1.0e+400"])
def test_config_numbers_must_be_finite(tmp_path, value):
    import yaml

    with pytest.raises(ConfigError, match="finite"):
        config_from_dict(yaml.safe_load(f"feed: {{poll_interval_s: {value}}}"))


@pytest.mark.parametrize("name", ["../../etc", "a/b", "a:b", "x\n", "", "é" * 200, "a b"])
def test_a_model_name_outside_the_pattern_is_a_400(tmp_path, name):
    loads = []
    service = PatternService(
        config_from_dict({"data_dir": str(tmp_path)}), loader=lambda *a: loads.append(a)
    )
    with pytest.raises(InputError, match="registered model name") as caught:
        service.get(name or "\t", "1")
    assert caught.value.status == 400 and loads == []


def test_the_model_cache_keeps_keys_inside_and_the_newest_entries(tmp_path):
    cache = ModelCache(tmp_path / "cache", max_entries=2)
    for key in ("..", "../x", "a/b", ".hidden", "x\n"):
        with pytest.raises(ValueError):
            cache.folder(key)

    def fetch(tmp):
        assert tmp.parent == cache.root and tmp.name.startswith(".")  # written aside first
        (tmp / "model").mkdir()
        (tmp / "model" / "MLmodel").write_text("m")
        return tmp / "model"

    for key in ("run1", "run2", "run3"):
        assert (cache.get(key, fetch) / "MLmodel").is_file()
        time.sleep(0.02)
    assert sorted(p.name for p in cache.entries()) == ["run2", "run3"]
    assert list(cache.root.glob(".*")) == []  # no temporary folder left

    def failing(tmp):
        (tmp / "partial").mkdir()
        raise OSError("network down")

    with pytest.raises(OSError):
        cache.get("run4", failing)
    assert not (cache.root / "run4").exists() and list(cache.root.glob(".*")) == []


def _hold_lock(folder, ready, release):
    with champion_lock(folder):
        ready.set()
        release.wait(10)


def test_champion_decisions_wait_for_each_other_across_processes(tmp_path):
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    other = context.Process(target=_hold_lock, args=(str(tmp_path), ready, release))
    other.start()
    try:
        assert ready.wait(30)
        from filelock import FileLock, Timeout

        with pytest.raises(Timeout):
            FileLock(str(tmp_path / "champion.lock"), timeout=0.2).acquire()
        release.set()
        began = time.monotonic()
        with champion_lock(tmp_path, timeout_s=10):
            assert time.monotonic() - began < 10
    finally:
        release.set()
        other.join(10)


def test_names_in_hover_and_shape_text_are_escaped():
    span = Span("id1", "BTC/USDT", "1m", 0, 60_000, EVIL, "human", "accepted")
    shape = span_shapes([span], "1m")[0]
    assert "<a" not in shape["label"]["text"] and "&lt;a" in shape["label"]["text"]
    live = pattern_shapes([{"start": 0, "end": 0, "label": EVIL, "confidence": 0.5}], "1m")
    assert "<a" not in live[0]["label"]["text"]
    prediction = {
        "kind": "cnn", "model": EVIL, "model_version": EVIL, "timestamp": 0, "confidence": 0.5,
        "direction": "UP", "current_price": 1.0, "target_price": 2.0, "horizon_minutes": 1,
    }  # fmt: skip
    points = overlay_points({"cnn": [prediction]}, [], "1m", {"cnn"}, None)
    assert "<a" not in points["cnn"][0]["text"]


@pytest.fixture
def orch(tmp_path):
    config = config_from_dict(
        {"data_dir": str(tmp_path / "data"), "limits": {"autolabel_hours": 48, "range_days": 2,
                                                        "dataset_candles": 1000}},
        base_dir=tmp_path,
    )  # fmt: skip
    orch = Orchestrator(config)
    orch.store.merge_history("BTC/USDT", "1m", make_candles(3000, frame_ms=60_000))
    yield orch
    orch.db.close()


@pytest.mark.parametrize("hours", [0, -1, 49, math.nan, math.inf])
def test_auto_label_hours_are_capped(orch, hours):
    with pytest.raises(ValueError, match="limits.autolabel_hours"):
        orch.start_autolabel("BTC/USDT", "1m", hours)


def test_a_span_longer_than_the_range_limit_is_refused(orch):
    start = make_candles(1, frame_ms=60_000)[0].time
    span = Span(None, "BTC/USDT", "1m", start, start + 3 * 86_400_000, "flag", "human", "accepted")
    with pytest.raises(SpanError, match="limits.range_days"):
        orch.annotations.create(span)
    with pytest.raises(SpanError, match="2\\^53"):
        orch.annotations.create(Span(None, "BTC/USDT", "1m", 2**60, 2**60, "x", "human", "pending"))


def test_a_dataset_reads_at_most_the_newest_capped_candles(orch):
    first = orch.store.newest_start("BTC/USDT", "1m", 1000)
    assert len(orch.store.history("BTC/USDT", "1m", start=first)) == 1000
    assert orch.store.newest_start("BTC/USDT", "1m", 5000) is None


def test_retention_deletes_only_what_is_older_than_its_timeframe_keeps(tmp_path):
    db = Database(tmp_path / "x.db")
    store = CandleStore(db)
    seconds = make_candles(50_000, start=1_700_000_000_000)
    store.merge_history("BTC/USDT", "1s", seconds)
    now = seconds[-1].time + 1000
    minutes = db.query("SELECT COUNT(*) FROM candles WHERE timeframe='1m'")[0][0]
    keep = RetentionConfig(days={"1s": 10_000 / 86_400, "1m": None})
    deleted = prune_candles(db, store.series(), keep, now)
    times = [r[0] for r in db.query("SELECT time FROM candles WHERE timeframe='1s' ORDER BY time")]
    assert deleted == 40_000 and len(times) == 10_000 and times[0] >= now - 10_000_000
    assert minutes > 0  # 1 m kept forever
    assert db.query("SELECT COUNT(*) FROM candles WHERE timeframe='1m'")[0][0] == minutes
    db.close()


def test_health_reports_the_disk_the_app_uses(orch):
    storage = orch.health()["storage"]
    assert storage["database_bytes"] > 0 and storage["data_bytes"] >= storage["database_bytes"]
    assert storage["free_bytes"] > 0 and storage["pending_writes"] == 0


@pytest.mark.parametrize(
    "args, content",
    [
        (["annotations", "import", "{f}"], "[" * 100_000 + "]" * 100_000),
        (["annotations", "import", "{f}"], json.dumps([{"symbol": "BTC/USDT", "start": 2**70}])),
        (["candles", "import", "{f}", "--symbol", "X", "--timeframe", "1m"],
         "time,open,high,low,close,volume\n1e300,1,2,0.5,1,1\n"),
        (["autolabel", "--symbol", "BTC/USDT", "--from", "99999999999999999999"], ""),
    ],
)  # fmt: skip
def test_every_bad_cli_file_exits_2_with_a_message(tmp_path, capsys, caplog, args, content):
    (tmp_path / "c.yaml").write_text(f"data_dir: {tmp_path / 'data'}\n")
    path = tmp_path / ("in.csv" if "candles" in args else "in.json")
    path.write_text(content)
    argv = ["--config", str(tmp_path / "c.yaml"), *(a.replace("{f}", str(path)) for a in args)]
    assert main(argv) == 2
    assert "Traceback" not in capsys.readouterr().err
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert errors and errors[-1].exc_info is None and errors[-1].getMessage()
