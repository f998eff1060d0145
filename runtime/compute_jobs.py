"""Training jobs as Ray tasks (``compute.backend: ray``): the data goes to the task once through
Ray's object store, the task trains, logs and registers as a local job would (the tracking
server at ``training.tracking_uri`` must be reachable from the workers, and a local store's
folder visible to them), and the job here shows its progress and passes on a Cancel.

The task functions are module-level so a worker imports them from the project's code, which
Ray's ``runtime_env`` ships to it (``core/compute.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from core.compute import ComputeCancelled, RemoteProgress, ray_cluster, worker_info
from models.base import TrainingCallback, TrainingCancelled

log = logging.getLogger(__name__)


class RemoteHooks(TrainingCallback):
    """Inside the task: stage and progress to the waiting job, its Cancel back."""

    def __init__(self, progress: RemoteProgress):
        self.progress = progress
        self.fraction = 0.0

    def on_stage(self, stage: str) -> None:
        self.progress.report(self.fraction, stage)

    def on_progress(self, fraction: float) -> None:
        self.fraction = fraction
        self.progress.report(fraction, None)

    def should_stop(self) -> bool:
        return self.progress.stop_requested()

    def commit(self) -> bool:
        return not self.progress.stop_requested()


@contextmanager
def _shared_database(storage_url: str) -> Iterator[None]:
    """A worker takes champion decisions under the shared database's lock, as the app does.
    The database is closed when the task ends: a worker process runs many tasks, and each
    would otherwise leave its connections open on the server."""
    if not storage_url.startswith("postgresql"):
        yield
        return
    from core.db import Database
    from training import champion_lock

    db = Database(storage_url, migrate=False)
    champion_lock.use_database(db)
    try:
        yield
    finally:
        champion_lock.use_database(None)
        db.close()


def pattern_task(model_type, dataset, dataset_root, data_dir, training, version, started_by,
                 storage_url, progress: RemoteProgress):  # fmt: skip
    """On a worker: train one pattern classifier on ``dataset`` (rows, manifest)."""
    from training.pipeline import train

    with _shared_database(storage_url):
        result = train(model_type, dataset_root, data_dir, training, version,
                       RemoteHooks(progress), started_by, dataset=dataset)  # fmt: skip
    return result, worker_info()


def neural_task(kind, frames, data_dir, training, neural, bootstrap, started_by, storage_url,
                progress: RemoteProgress):  # fmt: skip
    """On a worker: train one neural model on ``frames`` (candles per series)."""
    from training.neural_pipeline import train_neural

    with _shared_database(storage_url):
        result = train_neural(kind, frames, data_dir, training, neural, RemoteHooks(progress),
                              bootstrap=bootstrap, started_by=started_by)  # fmt: skip
    return result, worker_info()


def _gpus(training) -> float:
    return 1 if training.device == "cuda" else 0


def _wait(config, task, args, hooks):
    cluster = ray_cluster(config.compute.address)
    report = None
    cancelled = None
    if hooks is not None:

        def report(fraction, stage):
            if stage:
                hooks.on_stage(stage)
            hooks.on_progress(fraction)

        cancelled = hooks.should_stop
    try:
        result, where = cluster.run(task, *args, num_gpus=_gpus(config.training),
                                    report=report, cancelled=cancelled)  # fmt: skip
    except ComputeCancelled as exc:
        raise TrainingCancelled(str(exc)) from exc
    log.info("%s ran on the Ray cluster at %s (worker %s on %s)", task.__name__,
             config.compute.address, where["pid"], where["host"])  # fmt: skip
    return result, where


def train_pattern_on_cluster(config, model_type, dataset_version, hooks, started_by):
    """The pattern classifier trained as a Ray task: (TrainingResult, where it ran)."""
    from training.datasets import latest_dataset, load_dataset

    if dataset_version is None:
        latest = latest_dataset(config.datasets_path)
        if latest is None:
            raise ValueError(
                f"no dataset in {config.datasets_path}: build one from accepted labels first"
            )
        dataset_version = latest.version
    cluster = ray_cluster(config.compute.address)
    dataset = cluster.share(load_dataset(config.datasets_path, dataset_version))
    args = (model_type, dataset, config.datasets_path, config.data_path, config.training,
            dataset_version, started_by, config.storage_url)  # fmt: skip
    return _wait(config, pattern_task, args, hooks)


def train_neural_on_cluster(config, kind, frames, hooks, bootstrap, started_by):
    """A neural model trained as a Ray task: (NeuralResult, where it ran)."""
    frames = ray_cluster(config.compute.address).share(frames)
    args = (kind, frames, config.data_path, config.training, config.neural, bootstrap,
            started_by, config.storage_url)  # fmt: skip
    return _wait(config, neural_task, args, hooks)
