"""Training the neural models as background jobs (Train panel, CLI, first start, schedule).

One job per kind (``train:<kind>``). While a model trains, its job publishes epoch, batch, loss
and the loss curve (``JobState.details``), and during the first epoch every
``neural.training_predictions_every`` batches the model's prediction for the newest candle of the
batch is stored with source ``training`` (that model's earlier training predictions are cleared
when the job starts). When it ends, the live service reloads a moved champion and predicts at once.

**First start**: when a kind has no registered model, small models (``neural.bootstrap_params``)
train one after another on the backfilled history, in a background thread.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import pandas as pd

from core.candles import timeframe_ms
from core.jobs import DONE, RUNNING, JobBusy, JobCancelled, JobContext, JobState
from models.base import TrainingCallback, TrainingCancelled
from models.registry import NEURAL_KINDS

log = logging.getLogger(__name__)

MAX_CURVE_POINTS = 2000


def history_frames(orch, symbols, timeframe: str, start=None, end=None) -> dict[str, pd.DataFrame]:
    """Stored closed candles per series ``"SYMBOL|TF"`` in [start, end), newest
    ``neural.max_candles`` of each."""
    limit = orch.config.neural.max_candles
    frames = {}
    for symbol in symbols:
        frame = orch.store.history(symbol, timeframe, start, end)
        if len(frame):
            frames[f"{symbol}|{timeframe}"] = frame.iloc[-limit:]
    if not frames:
        raise ValueError(f"no {timeframe} candles stored for {', '.join(symbols)} in that range")
    return frames


class NeuralJobHooks(TrainingCallback):
    """Reports a training to its job and draws training-time predictions on the charts."""

    def __init__(self, orch, kind: str, job: JobContext | None, report=None):
        self.orch, self.kind, self.job, self.report = orch, kind, job, report
        self.model = self.train = self.run_id = None
        self.every = orch.config.neural.training_predictions_every
        self.stored = 0
        self._fraction = 0.0

    def attach(self, train, model, run_id: str) -> None:
        self.train, self.model, self.run_id = train, model, run_id

    # On cancel the model's own should_stop() check raises TrainingCancelled, which ends the
    # MLflow run as KILLED; the job's JobCancelled must not cut in before that.
    def on_stage(self, stage: str) -> None:
        if self.job is not None:
            with contextlib.suppress(JobCancelled):
                self.job.progress(self._fraction, stage)
        if self.report is not None:
            self.report(stage)

    def on_progress(self, fraction: float) -> None:
        self._fraction = fraction
        if self.job is not None:
            with contextlib.suppress(JobCancelled):
                self.job.progress(fraction)

    def should_stop(self) -> bool:
        return self.job is not None and self.job.cancelled()

    def commit(self) -> bool:
        return self.job.commit() if self.job is not None else True

    def on_batch(self, event: dict) -> None:
        if self.job is not None:
            details = self.job.details
            details.update(
                epoch=event["epoch"] + 1,
                batch=event["batch"] + 1,
                batches=event["batches"],
                loss=event["loss"],
            )
            curve = details.setdefault("curve", [])
            curve.append(event["loss"])
            del curve[:-MAX_CURVE_POINTS]
        if event["epoch"] == 0 and event["batch"] % self.every == 0 and self.train is not None:
            try:
                self._store_training_predictions(event["rows"])
            except Exception:  # a drawing problem must not stop the training
                log.exception("could not store %s training predictions", self.kind)

    def _store_training_predictions(self, rows) -> None:
        from serving.neural_live import prediction_record

        train, model = self.train, self.model
        frame = pd.DataFrame({"row": rows, "series": train.series[rows], "time": train.times[rows]})
        for series, group in frame.groupby("series"):
            row = int(group.sort_values("time")["row"].iloc[-1])  # the batch's newest candle
            symbol, timeframe = str(series).rsplit("|", 1)
            window = train.X[row : row + 1]
            record = {"time": int(train.times[row]), "current_price": float(train.close[row])}
            if self.kind == "dqn":
                proba = model.predict_proba(window)[0]
                best = int(proba.argmax())
                record.update(action=str(model.classes_[best]), confidence=float(proba[best]))
            else:
                proba = model.predict_proba(window)[0]
                best = int(proba.argmax())
                change = float(model.predict_change(window)[0]) if model.change_scale_ else 0.0
                neural = self.orch.config.neural
                # The horizon counts candles; predictions carry it in minutes.
                horizon = neural.horizon * timeframe_ms(neural.timeframe) / 60_000
                record.update(
                    direction=str(model.classes_[best]),
                    confidence=float(proba[best]),
                    price_change=change,
                    horizon_minutes=horizon,
                    target_price=record["current_price"] * (1 + change / 100),
                    predicted_price=record["current_price"] * (1 + change / 100),
                )
            data = prediction_record(self.kind, None, record, timeframe, "training")
            data.update(
                model=self.orch.config.neural.registered_model(self.kind),
                model_version=None,
                run_id=self.run_id,
            )
            self.orch.store_prediction(self.kind, symbol, data)
            self.stored += 1


def train_kind(
    orch,
    kind: str,
    symbols=None,
    timeframe=None,
    start=None,
    end=None,
    bootstrap: bool = False,
    hooks: NeuralJobHooks | None = None,
    started_by: str = "",
):
    """Train one kind now (in this thread); returns the pipeline's NeuralResult."""
    from training.neural_pipeline import train_neural

    config = orch.config
    if kind not in NEURAL_KINDS:
        raise ValueError(f"unknown neural model {kind!r}: choose one of {', '.join(NEURAL_KINDS)}")
    symbols = list(symbols or config.symbols)
    timeframe = timeframe or config.neural.timeframe
    frames = history_frames(orch, symbols, timeframe, start, end)
    hooks = hooks or NeuralJobHooks(orch, kind, None)
    for symbol in symbols:
        orch.clear_predictions(symbol, kinds=(kind,), source="training")
    if config.compute.backend == "ray":
        # No training-time predictions on the charts from a remote task (its model stays there).
        from runtime.compute_jobs import train_neural_on_cluster

        result, where = train_neural_on_cluster(config, kind, frames, hooks, bootstrap, started_by)
        orch.last_compute = {"backend": "ray", "address": config.compute.address, **where}
    else:
        result = train_neural(
            kind,
            frames,
            config.data_path,
            config.training,
            config.neural,
            hooks,
            bootstrap=bootstrap,
            on_data=hooks.attach,
            started_by=started_by,
        )
    if orch.neural.refresh((kind,)):
        orch.live_neural.request(config.symbols)
    return result


def start_neural_training(
    orch,
    kind: str,
    symbols=None,
    timeframe=None,
    start=None,
    end=None,
    bootstrap: bool = False,
    started_by: str = "",
    job_id: str | None = None,
) -> JobState:
    """Start a background training job (``started_by``: who started it); raises JobBusy when
    this kind is training. On a follower process it is queued for the leader."""
    if kind not in NEURAL_KINDS:
        raise ValueError(f"unknown neural model {kind!r}: choose one of {', '.join(NEURAL_KINDS)}")
    where = ", ".join(symbols) if symbols else "all symbols"
    title = f"train {kind} on {where}" + (" (first start)" if bootstrap else "")
    if orch.role == "follower":
        args = {"kind": kind, "symbols": list(symbols) if symbols else None,
                "timeframe": timeframe, "start": start, "end": end}  # fmt: skip
        return orch.jobs.enqueue(f"train:{kind}", title, "train_neural", args, started_by)

    def run(job: JobContext) -> dict:
        job.details.update(kind=kind, bootstrap=bootstrap)
        try:
            result = train_kind(
                orch,
                kind,
                symbols,
                timeframe,
                start,
                end,
                bootstrap,
                NeuralJobHooks(orch, kind, job),
                started_by,
            )
        except TrainingCancelled as exc:
            raise JobCancelled(str(exc)) from exc
        return result.summary()

    return orch.jobs.submit(f"train:{kind}", title, run, started_by, job_id)


def train_in_turn(orch, kinds, bootstrap: bool = False) -> None:
    """Train ``kinds`` one job after another (first start, schedule); a busy kind is skipped."""
    for kind in kinds:
        if orch.role != "leader":  # stepped down: the new leader trains what it needs
            return
        try:
            job = start_neural_training(orch, kind, bootstrap=bootstrap)
        except (JobBusy, ValueError) as exc:
            log.info("%s training skipped: %s", kind, exc)
            continue
        while job.status == RUNNING and orch.role == "leader":
            time.sleep(0.5)
        if job.status != DONE:
            log.warning("%s training ended %s: %s", kind, job.status, job.message)


MIN_SPLIT_ROWS = 100  # labelled windows per series below which a split is meaningless


def history_is_enough(orch) -> bool:
    """Whether every symbol has candles enough for windows, labels and a time split."""
    neural = orch.config.neural
    need = neural.features.warmup + neural.window + neural.horizon + MIN_SPLIT_ROWS
    return all(
        len(orch.store.tail(symbol, neural.timeframe, need)) >= need
        for symbol in orch.config.symbols
    )


def start_background(orch) -> None:
    """First-start bootstrap and the retraining schedule for the neural kinds."""

    def bootstrap() -> None:
        if not history_is_enough(orch):
            log.info("neural first-start training skipped: the history is too short")
            return
        orch.neural.refresh()
        missing = [k for k, s in orch.neural.status().items() if s["status"] == "missing"]
        if missing:
            log.info("no registered %s model: training small default models", ", ".join(missing))
            train_in_turn(orch, missing, bootstrap=True)

    if orch.config.neural.bootstrap:
        threading.Thread(target=bootstrap, name="neural-bootstrap", daemon=True).start()
    minutes = orch.config.training.schedule_minutes
    if minutes:
        # The trigger only starts a thread: the jobs it waits for need the scheduler's workers.
        orch.jobs.schedule(
            "retrain-neural",
            minutes,
            lambda: threading.Thread(
                target=train_in_turn, args=(orch, NEURAL_KINDS), name="neural-retrain", daemon=True
            ).start(),
        )
