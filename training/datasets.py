"""Training datasets: candles + features + labels from accepted spans, versioned by content.

Labels come only from spans with ``status == "accepted"``. Two encodings of the same spans are
written side by side, ``label`` (windowed: each candle's span label, or ``"none"``) and ``bio``
(``B-<label>`` on a span's first candle, ``I-<label>`` on the rest, ``O`` outside); the
manifest's ``encoding`` says which one the model trains on.

Overlap rule: where spans with different labels cover the same candle, the **shortest span wins**
(``end - start``, the more specific annotation), ties go to the **later start**, then to the
label that sorts first, then to the smaller id. Every such candle is reported in ``overlaps``.

A dataset lives in ``root/<version>/`` as ``data.parquet`` and ``manifest.json``. The version is
the first 12 hex digits of a SHA-256 over the inputs (candles, accepted spans, feature spec,
window, encoding, feature code version), so building the same inputs twice gives the same folder
and the second build only reads the manifest back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.spans import Span
from training.feature_config import FeatureSpec
from training.features import FEATURES_VERSION, compute_features, feature_columns

log = logging.getLogger(__name__)

ENCODINGS = ("windowed", "bio")
NONE_LABEL = "none"
OUTSIDE_TAG = "O"
FORMAT_VERSION = 1
OHLCV = ("open", "high", "low", "close", "volume")
_VERSION_RE = re.compile(r"[0-9a-f]{12}")


class DatasetError(ValueError):
    """A dataset that cannot be built or read; the message says what to do."""


@dataclass(frozen=True)
class DatasetInfo:
    version: str
    path: Path
    manifest: dict
    rows: int
    label_counts: dict[str, int]


def _priority(span: Span) -> tuple:
    """Sort key of the overlap rule: the smallest key wins a candle."""
    return (span.end - span.start, -span.start, span.label, span.id or "")


def _resolve(times: Sequence[int], spans: list[Span]) -> tuple[np.ndarray, list[Span], list[dict]]:
    """Winning span index per candle (-1 for none), the accepted spans, and the overlaps."""
    t = np.asarray(times, dtype=np.int64)
    accepted = sorted((s for s in spans if s.status == "accepted"), key=_priority)
    lo = np.searchsorted(t, [s.start for s in accepted], side="left").astype(np.int64)
    hi = np.searchsorted(t, [s.end for s in accepted], side="right").astype(np.int64) - 1
    winner = np.full(len(t), -1, dtype=np.int64)
    # Paint the weakest first so that the strongest span is what stays on each candle.
    for i in range(len(accepted) - 1, -1, -1):
        if lo[i] <= hi[i]:
            winner[lo[i] : hi[i] + 1] = i
    return winner, accepted, _overlaps(t, accepted, lo, hi)


def _overlaps(t: np.ndarray, accepted: list[Span], lo: np.ndarray, hi: np.ndarray) -> list[dict]:
    if len(accepted) < 2 or len(t) == 0:
        return []
    live = lo <= hi
    count = np.zeros(len(t) + 1, dtype=np.int64)
    np.add.at(count, lo[live], 1)
    np.add.at(count, hi[live] + 1, -1)
    multi = np.flatnonzero(np.cumsum(count[:-1]) >= 2)
    if len(multi) == 0:
        return []
    breaks = np.flatnonzero(np.diff(multi) > 1)
    runs = zip(np.r_[multi[0], multi[breaks + 1]], np.r_[multi[breaks], multi[-1]], strict=True)
    records = []
    for a, b in runs:
        inside = np.flatnonzero(live & (lo <= b) & (hi >= a))
        cuts = {int(a), int(b) + 1} | {int(x) for x in lo[inside] if a < x <= b}
        cuts = sorted(cuts | {int(x) + 1 for x in hi[inside] if a <= x < b})
        for left, right in zip(cuts[:-1], cuts[1:], strict=True):
            here = [int(i) for i in inside if lo[i] <= left and hi[i] >= right - 1]
            labels = sorted({accepted[i].label for i in here})
            if len(labels) < 2:
                continue
            records.append(
                {
                    "times": t[left:right].tolist(),
                    "labels": labels,
                    "winner": accepted[min(here)].label,
                    "spans": [
                        {
                            "id": accepted[i].id,
                            "start": accepted[i].start,
                            "end": accepted[i].end,
                            "label": accepted[i].label,
                        }
                        for i in sorted(here, key=lambda i: (accepted[i].start, accepted[i].end))
                    ],
                }
            )
    return records


def encode_windows(times: Sequence[int], spans: list[Span]) -> tuple[list[str], list[dict]]:
    """Label of each candle: the accepted span covering it (overlap rule above), else "none".

    ``times`` are the series' ascending open times; spans should belong to that series. Returns
    the labels and the overlaps, one dict per stretch of candles where the same spans with
    different labels compete: ``{"times", "labels", "winner", "spans"}``.

    >>> a = Span(None, "X", "1m", 1, 3, "wide", "human", "accepted")
    >>> b = Span(None, "X", "1m", 2, 2, "narrow", "human", "accepted")
    >>> encode_windows([0, 1, 2, 3], [a, b])[0]
    ['none', 'wide', 'narrow', 'wide']
    """
    winner, accepted, overlaps = _resolve(times, spans)
    names = np.array([s.label for s in accepted] + [NONE_LABEL], dtype=object)
    return names[winner].tolist(), overlaps


def encode_bio(times: Sequence[int], spans: list[Span]) -> tuple[list[str], list[dict]]:
    """BIO tags: "B-<label>" where a winning span starts, "I-<label>" after, "O" outside.

    A span that wins again after a shorter one interrupted it restarts with "B-", and so does
    a span right after another span with the same label, so every tag run is one span.

    >>> a = Span(None, "X", "1m", 1, 3, "wide", "human", "accepted")
    >>> b = Span(None, "X", "1m", 2, 2, "narrow", "human", "accepted")
    >>> encode_bio([0, 1, 2, 3], [a, b])[0]
    ['O', 'B-wide', 'B-narrow', 'B-wide']
    """
    winner, accepted, overlaps = _resolve(times, spans)
    tags = []
    previous = -1
    for w in winner.tolist():
        if w < 0:
            tags.append(OUTSIDE_TAG)
        else:
            tags.append(("I-" if w == previous else "B-") + accepted[w].label)
        previous = w
    return tags, overlaps


def _digest(
    series: dict[tuple[str, str], pd.DataFrame],
    spans: list[Span],
    spec: FeatureSpec,
    window: int,
    encoding: str,
) -> str:
    h = hashlib.sha256()
    head = {"format": FORMAT_VERSION, "features": FEATURES_VERSION, "spec": spec.to_dict()}
    head |= {"window": window, "encoding": encoding}
    h.update(json.dumps(head, sort_keys=True).encode())
    for key in sorted(series):
        frame = series[key]
        h.update(json.dumps(list(key)).encode())
        h.update(np.asarray(frame.index, dtype="<i8").tobytes())
        for col in OHLCV:
            h.update(np.ascontiguousarray(frame[col].to_numpy(dtype="<f8")).tobytes())
    for s in sorted(spans, key=lambda s: (s.symbol, s.timeframe, s.start, s.end, s.label)):
        h.update(json.dumps([s.symbol, s.timeframe, s.start, s.end, s.label]).encode())
    return h.hexdigest()[:12]


def build_dataset(
    series: dict[tuple[str, str], pd.DataFrame],
    spans: list[Span],
    spec: FeatureSpec,
    window: int,
    root: Path,
    encoding: str = "windowed",
) -> DatasetInfo:
    """Compute features and labels for every ``(symbol, timeframe)`` series and store them.

    Writes ``root/<version>/data.parquet`` (columns symbol, timeframe, time, open..volume,
    warmup, the feature columns, label, bio) and ``manifest.json``; returns the existing one
    untouched when that version is already built. Raises :class:`DatasetError` when there are
    no candles or no accepted span covers any of them.
    """
    if encoding not in ENCODINGS:
        raise DatasetError(f"unknown encoding {encoding!r} (use one of {', '.join(ENCODINGS)})")
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise DatasetError(f"window must be a whole number >= 1, got {window!r}")
    series = {key: frame for key, frame in series.items() if len(frame)}
    if not series:
        raise DatasetError("no candles to build a dataset from: load or record some first")
    used = [s for s in spans if s.status == "accepted" and (s.symbol, s.timeframe) in series]
    if not used:
        raise DatasetError(
            "no accepted spans for these series: accept some labels (or auto-labels) first"
        )
    root = Path(root)
    version = _digest(series, used, spec, window, encoding)
    folder = root / version
    if (folder / "manifest.json").exists():
        log.info("dataset %s already built in %s", version, folder)
        manifest = json.loads((folder / "manifest.json").read_text())
        return _info(folder, manifest)

    columns = feature_columns(spec)
    parts, overlap_count, described = [], 0, []
    for (symbol, timeframe), candles in sorted(series.items()):
        own = [s for s in used if s.symbol == symbol and s.timeframe == timeframe]
        times = np.asarray(candles.index, dtype=np.int64)
        labels, overlaps = encode_windows(times, own)
        tags, _ = encode_bio(times, own)
        overlap_count += len(overlaps)
        feats = compute_features(candles, spec)
        part = pd.DataFrame({"symbol": symbol, "timeframe": timeframe, "time": times})
        for col in OHLCV:
            part[col] = candles[col].to_numpy(dtype=np.float64)
        part["warmup"] = feats["warmup"].to_numpy()
        part = pd.concat([part, feats[columns].reset_index(drop=True)], axis=1)
        part["label"] = labels
        part["bio"] = tags
        parts.append(part)
        described.append(
            {
                "symbol": symbol,
                "timeframe": timeframe,
                "rows": len(part),
                "start": int(times[0]),
                "end": int(times[-1]),
                "spans": len(own),
                "overlaps": len(overlaps),
            }
        )
    data = pd.concat(parts, ignore_index=True)
    labelled = data.loc[data["label"] != NONE_LABEL, "label"]
    if labelled.empty:
        raise DatasetError(
            f"none of the {len(used)} accepted spans covers a candle of these series: "
            "check the spans' symbols, timeframes and times"
        )
    manifest = {
        "version": version,
        "format": FORMAT_VERSION,
        "created_at": int(time.time() * 1000),
        "symbols": sorted({s for s, _ in series}),
        "timeframes": sorted({tf for _, tf in series}),
        "series": described,
        "time_range": {"start": int(data["time"].min()), "end": int(data["time"].max())},
        "rows": len(data),
        "spans": len(used),
        "label_counts": _counts(data["label"]),
        "label_counts_after_warmup": _counts(data.loc[~data["warmup"], "label"]),
        "overlaps": overlap_count,
        "feature_spec": spec.to_dict(),
        "features_version": FEATURES_VERSION,
        "feature_columns": columns,
        "warmup": spec.warmup,
        "window": window,
        "encoding": encoding,
    }
    _write(root, folder, data, manifest)
    log.info("dataset %s: %d rows, labels %s", version, len(data), manifest["label_counts"])
    return _info(folder, manifest)


def _counts(labels: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in sorted(labels.value_counts().items())}


def _write(root: Path, folder: Path, data: pd.DataFrame, manifest: dict) -> None:
    """Write into a temporary folder and rename it, so a crash never leaves half a dataset."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{folder.name}.tmp-{os.getpid()}-{time.monotonic_ns()}"
    tmp.mkdir()
    try:
        data.to_parquet(tmp / "data.parquet", index=False)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
        try:
            tmp.rename(folder)
        except OSError:
            if not (folder / "manifest.json").exists():  # not a concurrent build of the same
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _info(folder: Path, manifest: dict) -> DatasetInfo:
    return DatasetInfo(
        version=manifest["version"],
        path=folder,
        manifest=manifest,
        rows=int(manifest["rows"]),
        label_counts=dict(manifest["label_counts"]),
    )


def load_dataset(root: Path, version: str) -> tuple[pd.DataFrame, dict]:
    """The rows and manifest of a built dataset, or :class:`DatasetError` if there is none."""
    known = ", ".join(m["version"] for m in list_datasets(root)) or "none built yet"
    if not isinstance(version, str) or not _VERSION_RE.fullmatch(version):
        raise DatasetError(f"{version!r} is not a dataset version, 12 hex digits (known: {known})")
    folder = Path(root) / version
    if not (folder / "manifest.json").exists() or not (folder / "data.parquet").exists():
        raise DatasetError(f"no dataset {version!r} in {root} (known: {known})")
    manifest = json.loads((folder / "manifest.json").read_text())
    return pd.read_parquet(folder / "data.parquet"), manifest


def list_datasets(root: Path) -> list[dict]:
    """Manifests of the datasets under ``root``, newest first (each has its ``version``)."""
    root = Path(root)
    if not root.is_dir():
        return []
    manifests = []
    for path in root.glob("*/manifest.json"):
        if path.parent.name.startswith("."):
            continue
        try:
            manifest = json.loads(path.read_text())
        except (OSError, ValueError):
            log.warning("skipping unreadable dataset manifest %s", path)
            continue
        manifest.setdefault("version", path.parent.name)
        manifests.append(manifest)
    manifests.sort(key=lambda m: (m.get("created_at", 0), m["version"]), reverse=True)
    return manifests


def latest_dataset(root: Path) -> DatasetInfo | None:
    """The most recently built dataset under ``root``, or ``None`` when none is built yet."""
    manifests = list_datasets(root)
    if not manifests:
        return None
    return _info(Path(root) / manifests[0]["version"], manifests[0])
