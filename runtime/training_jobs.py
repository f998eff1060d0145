"""Training as a background job (Train button, schedule) or in the foreground (CLI).

One training per model type at a time. A failed or cancelled run leaves the champion untouched
(the pipeline only moves the alias at its very end); a finished one makes the served model check
the alias at once, so a new champion is live without a restart.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator

from core.jobs import JobBusy, JobCancelled, JobContext, JobState
from models.base import TrainingCallback, TrainingCancelled
from training.datasets import DatasetError

log = logging.getLogger(__name__)


class JobHooks(TrainingCallback):
    """Training hooks that report to a job (progress bar, stage, Cancel button)."""

    def __init__(
        self,
        report: Callable[[float, str | None], None],
        stop: Callable[[], bool],
        commit: Callable[[], bool] | None = None,
    ):
        self._report = report
        self._stop = stop
        self._commit = commit
        self._stage = "starting"

    def commit(self) -> bool:
        return self._commit() if self._commit is not None else not self._stop()

    def on_stage(self, stage: str) -> None:
        self._stage = stage
        self._report_safe(None, stage)

    def on_progress(self, fraction: float) -> None:
        self._report_safe(fraction, None)

    def should_stop(self) -> bool:
        return self._stop()

    def _report_safe(self, fraction: float | None, stage: str | None) -> None:
        # On cancel the model's own should_stop() check raises TrainingCancelled, which ends
        # the MLflow run as KILLED; the job's JobCancelled must not cut in before that.
        with contextlib.suppress(JobCancelled):
            self._report(fraction, stage)


def train_now(
    orch, model_type: str, dataset_version: str | None = None, hooks=None, started_by: str = ""
):
    """Train, evaluate, log and register; returns the pipeline's TrainingResult."""
    from training.pipeline import train

    config = orch.config
    if config.compute.backend == "ray":
        from runtime.compute_jobs import train_pattern_on_cluster

        result, where = train_pattern_on_cluster(
            config, model_type, dataset_version, hooks, started_by
        )
        orch.last_compute = {"backend": "ray", "address": config.compute.address, **where}
    else:
        result = train(
            model_type,
            config.datasets_path,
            config.data_path,
            config.training,
            dataset_version,
            hooks,
            started_by,
        )
    if orch.patterns.refresh():
        orch.live_patterns.request(orch.config.symbols)
    return result


def result_summary(result) -> dict:
    return {
        "run_id": result.run_id,
        "model_type": result.model_type,
        "model_version": result.model_version,
        "dataset_version": result.dataset_version,
        "val_macro_f1": result.metrics.get("val_macro_f1"),
        "test_macro_f1": result.metrics.get("test_macro_f1"),
        "champion": result.champion.to_dict(),
        "rare_classes": result.rare_classes,
    }


class _ThreadWarnings(logging.Handler):
    """Warnings logged by one thread (its training run), kept to show in the panel."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextlib.contextmanager
def captured_warnings(*names: str) -> Iterator[list[str]]:
    """The warnings this thread logs under the ``names`` loggers while the block runs."""
    handler = _ThreadWarnings()
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def start_training(
    orch,
    model_type: str,
    dataset_version: str | None = None,
    started_by: str = "",
    job_id: str | None = None,
) -> JobState:
    """Start a background training job (``started_by``: who started it); raises JobBusy when
    this model type is training. On a follower process it is queued for the leader."""
    from models.registry import get_model_class

    get_model_class(model_type)  # an unknown type fails here, with the list of names
    label = dataset_version or "latest dataset"
    title = f"train {model_type} on {label}"
    if orch.role == "follower":
        args = {"model_type": model_type, "dataset_version": dataset_version}
        return orch.jobs.enqueue(f"train:{model_type}", title, "train", args, started_by)

    def run(job: JobContext) -> dict:
        progress = {"stage": "starting", "fraction": 0.0}

        def report(fraction, stage):
            if stage:
                progress["stage"] = stage
            if fraction is not None:
                progress["fraction"] = fraction
            job.progress(progress["fraction"], progress["stage"])

        try:
            with captured_warnings("training", "models") as warnings:
                hooks = JobHooks(report, job.cancelled, job.commit)
                result = train_now(orch, model_type, dataset_version, hooks, started_by)
        except TrainingCancelled as exc:
            raise JobCancelled(str(exc)) from exc
        return {**result_summary(result), "warnings": warnings}

    return orch.jobs.submit(f"train:{model_type}", title, run, started_by, job_id)


def dataset_summary(info) -> dict:
    labels = ", ".join(f"{k} {v}" for k, v in info.label_counts.items())
    return {"version": info.version, "rows": info.rows, "labels": labels}


def start_dataset_build(orch, started_by: str = "", job_id: str | None = None) -> JobState:
    """Build a dataset from the accepted labels in the background; on a follower process it is
    queued for the leader. Raises DatasetError when nothing is accepted yet."""
    from training.dataset_from_store import build_from_store

    if not orch.annotations.list(status="accepted"):
        raise DatasetError("no accepted spans to learn from: label spans on the chart or accept"
                           " auto-labels first")  # fmt: skip
    title = "build dataset from accepted labels"
    if orch.role == "follower":
        return orch.jobs.enqueue("dataset", title, "dataset", {}, started_by)
    return orch.jobs.submit(
        "dataset",
        title,
        lambda job: dataset_summary(build_from_store(orch, progress=job.progress)),
        started_by,
        job_id,
    )


def schedule_retraining(orch) -> None:
    """Periodic retraining from config: rebuild the dataset from current labels, then train."""
    minutes = orch.config.training.schedule_minutes
    if not minutes:
        return
    model_type = orch.config.training.default_model

    def retrain() -> None:
        from training.dataset_from_store import build_from_store

        try:
            info = build_from_store(orch)
            start_training(orch, model_type, info.version)
        except (DatasetError, JobBusy) as exc:
            log.info("scheduled retraining skipped: %s", exc)

    orch.jobs.schedule("retrain", minutes, retrain)
    log.info("retraining %s every %d minutes", model_type, minutes)
