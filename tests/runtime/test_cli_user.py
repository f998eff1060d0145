"""The CLI records who reviews: ``annotations review --user NAME`` (default: the login name)."""

import yaml

from app import main
from core.spans import Span
from runtime.config import load_config
from runtime.orchestrator import Orchestrator
from tests.helpers.candles import make_candles

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000


def test_review_records_the_user(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data")}))
    orch = Orchestrator(load_config(str(config)))
    orch.store.merge_history("BTC/USDT", "1m", make_candles(50, start=T0, frame_ms=60_000))
    for i in range(3):
        orch.annotations.create(
            Span(
                None,
                "BTC/USDT",
                "1m",
                T0 + i * 600_000,
                T0 + i * 600_000 + 120_000,
                "CDLDOJI",
                "talib",
                "pending",
            )
        )
    orch.stop()
    args = ["--config", str(config), "annotations", "review", "--accept", "--source", "talib"]
    assert main([*args, "--user", "dana"]) == 0
    orch = Orchestrator(load_config(str(config)))
    spans = orch.annotations.list(source="talib")
    assert {(s.status, s.reviewed_by) for s in spans} == {("accepted", "dana")}
    assert all(s.reviewed_at for s in spans)
    orch.stop()
