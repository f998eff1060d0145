"""What a search or walk-forward leaves in MLflow and in files: one parent run (experiment
``research.experiment``) with the request, the best result's statistics and the trials as a
table artifact; and the trials table itself (the CSV the tab and the API download).

No child run per trial: one costs more than a trial (``bench/search.py`` measures both).
"""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from backtest.engine import TRADE_COLUMNS
from backtest.runner import metric_name
from backtest.search_request import SearchRequest
from core.csv_cells import escape_cell

log = logging.getLogger(__name__)


def _tracker(config):
    from training.tracking import Tracker

    return Tracker.from_config(config.training, config.data_path, config.research.experiment)


def _run_name(kind: str, request: SearchRequest) -> str:
    return f"{kind}-{request.strategy}-{request.symbol}-{request.timeframe}"


def open_parent(config, run_id: str, kind: str, request: SearchRequest) -> str | None:
    """A parent run opened now (a walk-forward's fold models nest under it); None when MLflow
    fails (the run goes on without it)."""
    try:
        tracker = _tracker(config)
        created = tracker.client.create_run(
            tracker.experiment_id(), run_name=_run_name(kind, request),
            tags={"research_id": run_id, "kind": kind},
        )  # fmt: skip
    except Exception:
        log.exception("%s %s: opening its MLflow run failed", kind, run_id)
        return None
    return created.info.run_id


def end_parent(config, parent: str | None, status: str) -> None:
    """A parent run ended early (KILLED, FAILED)."""
    if parent:
        with contextlib.suppress(Exception):
            _tracker(config).client.set_terminated(parent, status=status)


def log_research(config, trials: list[dict], run_id: str, kind: str, request: SearchRequest,
                 result: dict, parent: str | None = None) -> str | None:  # fmt: skip
    """The parent run (opened here unless given): params, the best statistics, the trials as a
    table artifact (``<kind>/trials.json``), ``trials.csv`` and the best run's trades. A failure
    is logged; the run still counts."""
    try:
        from mlflow.entities import Metric, Param, RunTag

        tracker = _tracker(config)
        client = tracker.client
        if parent is None:
            parent = client.create_run(
                tracker.experiment_id(), run_name=_run_name(kind, request),
                tags={"research_id": run_id, "kind": kind},
            ).info.run_id  # fmt: skip
        params = {k: v for k, v in request.to_dict().items() if k not in ("params", "space")}
        params.update({f"param.{k}": v for k, v in request.params.items()})
        best = result.get("best") or {}
        stats = best.get("stats") or result.get("oos_stats") or {}
        metrics = {
            metric_name(k): float(v) for k, v in stats.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v)
        }  # fmt: skip
        if result.get("efficiency") is not None:
            metrics["walk-forward efficiency"] = float(result["efficiency"])
        now = int(time.time() * 1000)
        client.log_batch(
            parent,
            metrics=[Metric(k, v, now, 0) for k, v in metrics.items()],
            params=[Param(k, str(v)[:6000]) for k, v in params.items()],
            tags=[RunTag(f"best.{k}", str(v)) for k, v in (best.get("params") or {}).items()],
        )  # fmt: skip
        frame = trials_frame(trials, request)
        client.log_table(parent, frame, artifact_file=f"{kind}/trials.json")
        with tempfile.TemporaryDirectory() as tmp:
            frame.to_csv(Path(tmp) / "trials.csv", index=False)
            if best.get("trades"):
                pd.DataFrame(best["trades"], columns=list(TRADE_COLUMNS)).to_csv(
                    Path(tmp) / "best_trades.csv", index=False
                )
            client.log_artifacts(parent, tmp, kind)
        client.set_terminated(parent, status="FINISHED")
        return parent
    except Exception:
        log.exception("%s %s: logging to MLflow failed", kind, run_id)
        return parent


def trials_frame(trials: list[dict], request: SearchRequest) -> pd.DataFrame:
    """The trials as a table: (fold,) each searched parameter, value, trades, statistics."""
    names = request.varying
    rows = []
    for t in trials:
        row = {"fold": t["part"] - 1} if t.get("part") else {}
        row.update({name: t["params"].get(name) for name in names})
        row.update({"value": t["value"], "trades": t["trades"]})
        row.update(t.get("stats") or {})
        if t.get("error"):
            row["error"] = t["error"]
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.replace([np.inf, -np.inf], np.nan)


def trials_csv(trials: list[dict], request: SearchRequest) -> str:
    """The trials table as CSV text; a text cell a spreadsheet would run as a formula is
    escaped (``core/csv_cells.py``)."""
    frame = trials_frame(trials, request)
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(escape_cell)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue()
