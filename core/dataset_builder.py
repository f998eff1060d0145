"""Build a training dataset from what the app stores: candle history + accepted spans."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from training.datasets import DatasetError, DatasetInfo, build_dataset

log = logging.getLogger(__name__)


def build_from_store(
    orch,
    symbols: Sequence[str] | None = None,
    timeframes: Sequence[str] | None = None,
    encoding: str = "windowed",
) -> DatasetInfo:
    """Every (symbol, timeframe) series with accepted spans (optionally filtered) becomes part
    of one dataset; the version is its content hash."""
    accepted = orch.annotations.list(status="accepted")
    if symbols:
        accepted = [s for s in accepted if s.symbol in symbols]
    if timeframes:
        accepted = [s for s in accepted if s.timeframe in timeframes]
    if not accepted:
        raise DatasetError(
            "no accepted spans to learn from: label spans on the chart or accept auto-labels first"
        )
    keys = sorted({(s.symbol, s.timeframe) for s in accepted})
    series = {key: orch.store.history(*key) for key in keys}
    config = orch.config
    info = build_dataset(
        series, accepted, config.features, config.training.window, config.datasets_path, encoding
    )
    log.info("dataset %s: %d rows, labels %s", info.version, info.rows, info.label_counts)
    return info
