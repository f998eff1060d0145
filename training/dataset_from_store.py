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
    progress=None,
) -> DatasetInfo:
    """Every (symbol, timeframe) series with accepted spans (optionally filtered) becomes part
    of one dataset; the version is its content hash. ``progress(fraction, stage)`` is told
    about each step (a job's progress raises when its Cancel was pressed)."""

    def report(fraction: float, stage: str) -> None:
        if progress is not None:
            progress(fraction, stage)

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
    series = {}
    cap = orch.config.limits.dataset_candles
    for i, key in enumerate(keys):
        report(0.4 * i / len(keys), f"reading {key[0]} {key[1]} candles")
        # Bounded work: at most the newest `limits.dataset_candles` candles of each series.
        first = orch.store.newest_start(*key, cap)
        if first is not None:
            log.warning("%s %s: dataset capped to the newest %d candles", *key, cap)
        series[key] = orch.store.history(*key, start=first)
    report(0.4, f"features and labels for {sum(len(f) for f in series.values())} candles")
    config = orch.config
    info = build_dataset(
        series, accepted, config.features, config.training.window, config.datasets_path, encoding
    )
    report(1.0, "written")
    log.info("dataset %s: %d rows, labels %s", info.version, info.rows, info.label_counts)
    return info
