"""``annotations export --symbol`` with a symbol the app does not know exits 2 and names the
known ones, instead of writing an empty file that passes for "no spans"."""

import logging

import yaml

from app import main


def test_export_of_an_unknown_symbol_exits_2_naming_the_known_symbols(tmp_path, caplog):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data")}))
    out = tmp_path / "spans.json"
    with caplog.at_level(logging.ERROR):
        code = main(["--config", str(config), "annotations", "export", str(out),
                     "--symbol", "NOPE/USDT"])  # fmt: skip
    assert code == 2
    assert "unknown symbol 'NOPE/USDT'" in caplog.text
    assert "BTC/USDT" in caplog.text and "ETH/USDT" in caplog.text
    assert not out.exists()
    # A known symbol still exports (no spans yet: an empty list).
    assert main(["--config", str(config), "annotations", "export", str(out),
                 "--symbol", "BTC/USDT"]) == 0  # fmt: skip
    assert out.read_text().strip() == "[]"
