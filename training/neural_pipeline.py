"""Train one neural model (dqn, cnn, transformer) on candle history, evaluate it against its
baselines, log it to MLflow as our own model code, register it and apply the champion policy.

    result = train_neural("cnn", {"BTC/USDT|1m": candles}, "data", training, neural)
    result.model_version, result.evaluation["val"], result.champion.reason

Steps: windows and labels per series -> split by time (purge of horizon + 2 candles after each
boundary, so no training label reaches into validation) -> fit on the training period (the
model's normalisation sees only it) -> evaluate validation and test with baselines -> log params,
metrics, the loss curve, the evaluation JSON and the model -> register ``<prefix>-<kind>`` ->
champion per kind: the first version becomes champion, a later one only when its validation
``score`` (``training.neural_eval``) beats the champion's.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.base import CallbackList, TrainingCallback, TrainingCancelled
from models.registry import NEURAL_KINDS, create_model
from training import neural_eval
from training.champion import ChampionDecision, decide_champion
from training.neural_config import NeuralConfig
from training.neural_data import Windows, concat, labelled, series_windows
from training.splits import time_split
from training.tracking import TRAINING_INFO_FILE, Tracker
from training.training_config import TrainingConfig

logger = logging.getLogger(__name__)

SCORE = "val_score"
EXAMPLE_ROWS = 3
_CHAMPION_LOCK = threading.Lock()


@dataclass(frozen=True)
class NeuralResult:
    kind: str
    run_id: str
    registered_model: str
    model_version: str
    trained_on: dict[str, int]
    evaluation: dict[str, dict]  # {"val": {...}, "test": {...}}
    champion: ChampionDecision
    rows: dict[str, int]
    loss_history: list[float] = field(default_factory=list)
    # the trained model and its training info (what a walk-forward fold predicts with)
    model: Any = None
    info: dict | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "run_id": self.run_id,
            "model_version": self.model_version,
            "trained_on": self.trained_on,
            "rows": self.rows,
            "val": _brief(self.evaluation["val"]),
            "champion": self.champion.to_dict(),
        }


def _brief(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k != "calibration"}


def resolve_device(setting: str) -> str:
    """``auto``: CUDA when torch sees a GPU, else the CPU."""
    if setting != "auto":
        return setting
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def build_windows(frames: dict[str, pd.DataFrame], neural: NeuralConfig, kind: str) -> Windows:
    parts = [
        series_windows(
            df, neural.features, neural.window, neural.horizon, neural.stable_band_pct, name
        )
        for name, df in frames.items()
    ]
    data = concat(parts)
    return data.take(labelled(data, kind))


def _in_series_order(data: Windows, rows: np.ndarray) -> np.ndarray:
    """Rows of one split grouped by series, each in time order (the DQN plays them in order)."""
    return rows[np.lexsort((data.times[rows], data.series[rows].astype(str)))]


def prepare(
    kind: str, frames: dict[str, pd.DataFrame], neural: NeuralConfig
) -> tuple[Windows, dict[str, np.ndarray]]:
    """Windows with known targets, and the rows of each split (by time, purged, each split's
    rows grouped by series in time order)."""
    data = build_windows(frames, neural, kind)
    split = time_split(data.times, neural.split, neural.horizon + 2, groups=data.series)
    names = ("train", "val", "test")
    return data, {n: _in_series_order(data, r) for n, r in zip(names, split[:3], strict=True)}


def evaluate(kind: str, model, data: Windows, train_labels: np.ndarray, bins: int) -> dict:
    """Metrics of ``model`` on ``data`` (one split), each with its baseline."""
    if kind == "dqn":
        actions = np.concatenate(
            [model.policy(data.X[data.series == name])[0] for name in dict.fromkeys(data.series)]
        )
        return neural_eval.trading_metrics(actions, data.step_return, model.fee, model.allow_short)
    proba = model.predict_proba(data.X)
    best = proba.argmax(axis=1)
    metrics = neural_eval.direction_metrics(
        data.direction, model.classes_[best], proba[np.arange(len(best)), best], train_labels, bins
    )
    predicted = data.close * (1 + model.predict_change(data.X) / 100)
    realised = data.close * (1 + data.change_pct / 100)
    metrics.update(neural_eval.price_metrics(data.close, predicted, realised))
    return metrics


def train_neural(
    kind: str,
    frames: dict[str, pd.DataFrame],
    data_dir: str | Path,
    training: TrainingConfig,
    neural: NeuralConfig,
    callback: TrainingCallback | None = None,
    bootstrap: bool = False,
    on_data: Any = None,
    started_by: str = "",
    register: bool = True,
    experiment: str | None = None,
    tags: dict[str, str] | None = None,
) -> NeuralResult:
    """Train, evaluate, log and register one model. ``frames``: candles per series name
    (``"SYMBOL|TF"``), indexed by open time. ``on_data(train_windows, model, run_id)`` is called
    before fitting (the live app uses it to draw training-time predictions). ``started_by``: the
    person who started it (an MLflow tag).

    ``register=False`` (a walk-forward fold's model): the run is logged (in ``experiment``, with
    ``tags``) but the model is never registered, aliased or made champion; the result carries
    the trained model."""
    if kind not in NEURAL_KINDS:
        raise ValueError(f"unknown neural model {kind!r}: choose one of {', '.join(NEURAL_KINDS)}")
    neural.validate("neural")
    hooks = CallbackList(callback)
    hooks.on_stage("windows")
    data, rows = prepare(kind, frames, neural)
    train = data.take(rows["train"])
    device = resolve_device(training.device)
    params = {
        "random_state": training.seed,
        **neural.model_params(kind, bootstrap),
        "device": device,
    }
    tracker = Tracker.from_config(training, data_dir, experiment or neural.experiment)
    name = neural.registered_model(kind)
    trained_on = {"start": int(train.times.min()), "end": int(train.times.max())}
    extra_tags = dict(tags or {})
    tags = {"model_type": kind, "bootstrap": str(bootstrap), **extra_tags}
    if started_by:
        tags["started_by"] = started_by
    with tracker.start_run(f"{name}-{time.strftime('%Y%m%d-%H%M%S')}", tags) as run_id:
        tracker.log_params(
            {
                "kind": kind,
                **{f"model.{k}": v for k, v in params.items()},
                "window": neural.window,
                "horizon": neural.horizon,
                "stable_band_pct": neural.stable_band_pct,
                "series": sorted(frames),
                "rows_train": len(rows["train"]),
                "rows_val": len(rows["val"]),
                "rows_test": len(rows["test"]),
                "train_start": trained_on["start"],
                "train_end": trained_on["end"],
                "threads": training.threads,
                "device": device,
            }
        )
        model = create_model(kind, **params)
        if on_data is not None:
            on_data(train, model, run_id)
        hooks.on_stage("fitting")
        started = time.perf_counter()
        _fit(kind, model, train, hooks, training.threads)
        fit_seconds = time.perf_counter() - started
        hooks.on_stage("evaluating")
        evaluation = {
            split_name: evaluate(
                kind, model, data.take(rows[split_name]), train.direction, neural.calibration_bins
            )
            for split_name in ("val", "test")
        }
        score = neural_eval.score(kind, evaluation["val"])
        metrics = {"fit_seconds": fit_seconds, SCORE: score}
        for split_name, values in evaluation.items():
            metrics.update(neural_eval.flat_metrics(values, split_name))
        tracker.log_metrics(metrics)
        for step, loss in enumerate(model.loss_history_):
            tracker.activate().log_metric("train_loss", float(loss), step=step)
        hooks.on_stage("logging")
        info = {
            "kind": kind,
            "registered_model": name,
            "run_id": run_id,
            "trained_at": int(time.time() * 1000),
            "trained_on": trained_on,
            "series": sorted(frames),
            "timeframe": neural.timeframe,
            "window": neural.window,
            "horizon": neural.horizon,
            "stable_band_pct": neural.stable_band_pct,
            "feature_spec": neural.features.to_dict(),
            "features": data.features,
            "evaluation": evaluation,
            "score": score,
            "loss_history": [float(x) for x in model.loss_history_],
        }
        model_uri = _log_model(tracker, model, info, train)
        if not register:  # a walk-forward fold: logged, never registered nor champion
            tracker.set_tags({"registered": "false"})
            decision = ChampionDecision(False, "not registered: a walk-forward fold's model",
                                        None, score)  # fmt: skip
            return NeuralResult(kind, run_id, name, "", trained_on, evaluation, decision,
                                {k: len(v) for k, v in rows.items()},
                                [float(x) for x in model.loss_history_], model, info)  # fmt: skip
        hooks.on_stage("registering")
        if not hooks.commit():  # a cancel accepted until now: register nothing
            raise TrainingCancelled("training was cancelled")
        version = tracker.register(
            model_uri,
            name,
            tags={
                "model_type": kind,
                "run_id": run_id,
                SCORE: score,
                "trained_on": json.dumps(trained_on),
            },
        )
        with _CHAMPION_LOCK:
            decision = decide_champion(
                tracker, name, version, score, neural.min_improvement, metric=SCORE
            )
        tracker.set_tags(
            {
                "model_version": version,
                "registered_model": name,
                "champion_decision": "promoted" if decision.promoted else "kept",
                "champion_reason": decision.reason,
            }
        )
    hooks.on_stage("done")
    hooks.on_progress(1.0)
    return NeuralResult(
        kind,
        run_id,
        name,
        version,
        trained_on,
        evaluation,
        decision,
        {k: len(v) for k, v in rows.items()},
        [float(x) for x in model.loss_history_],
        model,
        info,
    )


# Trainings running now (several kinds may train at once), for the switch interval below.
_TRAINING = {"count": 0, "interval": None}
_TRAINING_LOCK = threading.Lock()
TRAINING_SWITCH_INTERVAL_S = 0.001


@contextlib.contextmanager
def training_threads(threads: int):
    """While a model trains: torch on ``threads`` threads (the charts keep a core), and the
    interpreter handing the GIL between threads every 1 ms instead of 5 ms, so a chart callback
    waits less behind the training loop's Python code."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    with _TRAINING_LOCK:
        if _TRAINING["count"] == 0:
            _TRAINING["interval"] = sys.getswitchinterval()
            sys.setswitchinterval(TRAINING_SWITCH_INTERVAL_S)
        _TRAINING["count"] += 1
    try:
        yield
    finally:
        torch.set_num_threads(previous)
        with _TRAINING_LOCK:
            _TRAINING["count"] -= 1
            if _TRAINING["count"] == 0:
                sys.setswitchinterval(_TRAINING["interval"])


TRAINING_NICE = 10


def run_niced(fn, threads: int):
    """``fn()`` in a fresh thread whose CPU priority is lowered (Linux: nice +10 for that thread
    only; elsewhere as is), under :func:`training_threads`; returns its result or raises its
    error. Under contention the server's threads get the CPU first, so the charts stay live."""
    box: dict = {}

    def target() -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), TRAINING_NICE)
        try:
            with training_threads(threads):
                box["result"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="neural-fit", daemon=True)
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")


def _fit(kind: str, model, train: Windows, hooks: CallbackList, threads: int) -> None:
    run_niced(lambda: _fit_now(kind, model, train, hooks), threads)


def _fit_now(kind: str, model, train: Windows, hooks: CallbackList) -> None:
    if kind == "dqn":
        model.fit(
            train.X,
            train.step_return,
            callbacks=hooks,
            episode_starts=train.episode_starts,
            feature_names=train.features,
        )
    else:
        model.fit(
            train.X,
            train.direction,
            callbacks=hooks,
            change=train.change_pct,
            feature_names=train.features,
        )


def _log_model(tracker: Tracker, model, info: dict, train: Windows) -> str:
    from models.neural_pyfunc import flatten_windows, neural_frame

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        predictor_dir = model.save(folder / "predictor")
        (predictor_dir / TRAINING_INFO_FILE).write_text(json.dumps(info, indent=2))
        (folder / "evaluation").mkdir()
        (folder / "evaluation" / "evaluation.json").write_text(
            json.dumps(info["evaluation"], indent=2)
        )
        tracker.log_artifacts(folder / "evaluation", "evaluation")
        sample = train.X[-EXAMPLE_ROWS:]
        example = flatten_windows(sample, train.features)
        return tracker.log_model(
            predictor_dir,
            example,
            neural_frame(model, sample),
            code_file="neural_pyfunc.py",
            extra_requirements=("torch",),
        )
