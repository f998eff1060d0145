"""MLflow wiring: where runs live, what a training run logs, the registry and its aliases.

By default everything stays under the data folder: the tracking and registry store is
``sqlite:///<data_dir>/mlflow.db`` and artifacts go to ``<data_dir>/mlartifacts`` (set on the
experiment when it is created, so nothing lands in ``./mlruns``). A remote server is one config
value (``training.tracking_uri: http://host:5000``); its own artifact store is used then.

The champion is the registered model version with alias ``champion``; when the alias moves is
the champion policy, in :mod:`training.champion`. Downloaded models are cached by
:mod:`training.model_cache`.

``mlflow`` is imported inside functions only: it takes seconds and the web server does not need
it to start.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.schema import MIGRATION_LOCK
from core.versions import is_version_number
from models.base import Predictor, TrainingCancelled
from training.model_cache import ModelCache

logger = logging.getLogger(__name__)

# While a model is logged, MLflow records which environment variables get read by patching
# os.environ for the whole process, and iterates that record at the end: any other thread
# reading os.environ meanwhile (a page tick, a second training) makes log_model fail with "Set
# changed size during iteration". We record none (they are for Databricks serving).
os.environ.setdefault("MLFLOW_RECORD_ENV_VARS_IN_MODEL_LOGGING", "false")

CHAMPION_ALIAS = "champion"
SCORE_METRIC = "val_macro_f1"
MODEL_ARTIFACT = "model"
PREDICTOR_ARTIFACT = "predictor"  # same as models.pyfunc.PREDICTOR_ARTIFACT
TRAINING_INFO_FILE = "training.json"
MODELS_PACKAGE = Path(__file__).resolve().parent.parent / "models"
# Distributions a logged model needs to load anywhere (pinned to what is installed here).
MODEL_REQUIREMENTS = ("mlflow", "numpy", "pandas", "scikit-learn", "skops", "xgboost-cpu")


def default_tracking_uri(data_dir: str | Path) -> str:
    """``sqlite:///<absolute data_dir>/mlflow.db``."""
    return f"sqlite:///{(Path(data_dir).resolve() / 'mlflow.db').as_posix()}"


def _is_local(uri: str) -> bool:
    return uri.startswith(("sqlite:", "file:")) or "://" not in uri


def pip_requirements(extra: tuple[str, ...] = ()) -> list[str]:
    """Exact pins of the packages a logged model needs, as installed now."""
    pins = []
    for name in (*MODEL_REQUIREMENTS, *extra):
        candidates = (name, "xgboost") if name == "xgboost-cpu" else (name,)
        for candidate in candidates:
            try:
                pins.append(f"{candidate}=={importlib.metadata.version(candidate)}")
                break
            except importlib.metadata.PackageNotFoundError:
                continue
    return pins


def _mlflow() -> Any:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    return mlflow


def finite_or_none(value: Any) -> float | None:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if np.isfinite(result) else None


# MLflow creates a store's tables on first use and experiments on demand: two threads doing it
# at once (the live-pattern worker and the Train panel, say) race. Both happen once, under this,
# which is also the lock of our own migrations: both use Alembic's process-wide context.
_INIT_LOCK = MIGRATION_LOCK
_READY: set[str] = set()
# Runs open in this process (run id -> tracking URI): a shutdown marks the ones left KILLED.
ACTIVE_RUNS: dict[str, str] = {}


class Tracker:
    """One MLflow store (tracking + registry) and one experiment."""

    def __init__(
        self,
        data_dir: str | Path,
        tracking_uri: str | None = None,
        experiment: str = "pattern-classifier",
    ):
        self.data_dir = Path(data_dir)
        self.tracking_uri = tracking_uri or default_tracking_uri(self.data_dir)
        self.experiment = experiment
        self.artifact_location = (
            (self.data_dir.resolve() / "mlartifacts").as_uri()
            if _is_local(self.tracking_uri)
            else None
        )
        self._experiment_id: str | None = None

    @classmethod
    def from_config(
        cls, training: Any, data_dir: str | Path, experiment: str | None = None
    ) -> Tracker:
        """The app's store: ``training`` is the ``training:`` section (its ``tracking_uri``, and
        its ``experiment`` unless another one, the neural or backtest one, is named)."""
        return cls(data_dir, training.tracking_uri, experiment or training.experiment)

    # ---- plumbing ------------------------------------------------------------------------------

    def activate(self) -> Any:
        """Point MLflow's process-wide URIs at this store; returns the ``mlflow`` module."""
        mlflow = _mlflow()
        if _is_local(self.tracking_uri):
            self.data_dir.mkdir(parents=True, exist_ok=True)
        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)
        return mlflow

    @property
    def client(self) -> Any:
        self.activate()
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
        if self.tracking_uri not in _READY:
            with _INIT_LOCK:
                if self.tracking_uri not in _READY:
                    client.search_experiments(max_results=1)  # creates the tables, once
                    _READY.add(self.tracking_uri)
        return client

    def experiment_id(self) -> str:
        if self._experiment_id is None:
            client = self.client
            with _INIT_LOCK:
                found = client.get_experiment_by_name(self.experiment)
                if found is not None:
                    self._experiment_id = found.experiment_id
                else:
                    self._experiment_id = client.create_experiment(
                        self.experiment, artifact_location=self.artifact_location
                    )
        return self._experiment_id

    # ---- a training run ------------------------------------------------------------------------

    @contextlib.contextmanager
    def start_run(self, run_name: str, tags: Mapping[str, str] | None = None) -> Iterator[str]:
        """Open a run and yield its id. An exception marks it FAILED (a cancel: KILLED), with
        the error as tag ``error``, and propagates."""
        mlflow = self.activate()
        run = mlflow.start_run(
            experiment_id=self.experiment_id(), run_name=run_name, tags=dict(tags or {})
        )
        ACTIVE_RUNS[run.info.run_id] = self.tracking_uri
        try:
            yield run.info.run_id
        except BaseException as exc:
            status = (
                "KILLED" if isinstance(exc, TrainingCancelled | KeyboardInterrupt) else "FAILED"
            )
            with contextlib.suppress(Exception):
                mlflow.set_tag("error", f"{type(exc).__name__}: {exc}"[:5000])
            mlflow.end_run(status=status)
            raise
        finally:
            ACTIVE_RUNS.pop(run.info.run_id, None)
        mlflow.end_run(status="FINISHED")

    def log_params(self, params: Mapping[str, Any]) -> None:
        mlflow = self.activate()
        flat = {
            k: json.dumps(v) if isinstance(v, dict | list | tuple) else v for k, v in params.items()
        }
        mlflow.log_params({k: str(v)[:6000] for k, v in flat.items()})

    def log_metrics(self, metrics: Mapping[str, float]) -> None:
        mlflow = self.activate()
        mlflow.log_metrics(
            {k: float(v) for k, v in metrics.items() if finite_or_none(v) is not None}
        )

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        self.activate().set_tags({k: str(v) for k, v in tags.items()})

    def log_dataset(
        self, df: pd.DataFrame, version: str, source: str | Path, context: str = "training"
    ) -> None:
        """Record the dataset version as the run's input (and as tag ``dataset_version``)."""
        self.activate()
        import mlflow.data

        with warnings.catch_warnings():
            # MLflow's notes on a local path source and on integer columns (the times) do not
            # apply: the dataset is recorded, not served.
            warnings.simplefilter("ignore", UserWarning)
            dataset = mlflow.data.from_pandas(
                df, source=str(source), name=f"dataset-{version}", targets="label"
            )
            mlflow.log_input(dataset, context=context, tags={"version": str(version)})
        mlflow.set_tag("dataset_version", str(version))

    def log_artifacts(self, folder: str | Path, artifact_path: str | None = None) -> None:
        self.activate().log_artifacts(str(folder), artifact_path=artifact_path)

    def log_model(
        self,
        predictor_dir: str | Path,
        input_example: pd.DataFrame,
        output_example: pd.DataFrame,
        code_file: str = "pyfunc.py",
        extra_requirements: tuple[str, ...] = (),
    ) -> str:
        """Log the saved predictor as an MLflow pyfunc model; returns its model URI.
        ``code_file``: the model-code file of the ``models`` package MLflow runs to load it."""
        self.activate()
        import mlflow.pyfunc
        from mlflow.models import infer_signature

        code_file = MODELS_PACKAGE / code_file
        with tempfile.TemporaryDirectory() as tmp:
            # Log a clean copy of the package (no __pycache__) so the model loads anywhere.
            package = Path(tmp) / "models"
            shutil.copytree(MODELS_PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
            info = mlflow.pyfunc.log_model(
                name=MODEL_ARTIFACT,
                python_model=str(code_file),
                artifacts={PREDICTOR_ARTIFACT: str(predictor_dir)},
                code_paths=[str(package)],
                pip_requirements=pip_requirements(extra_requirements),
                signature=infer_signature(input_example, output_example),
                input_example=input_example,
            )
        return info.model_uri

    # ---- registry ------------------------------------------------------------------------------

    def register(self, model_uri: str, name: str, tags: Mapping[str, Any]) -> str:
        """Create a new version of registered model ``name``; returns the version number."""
        mlflow = self.activate()
        version = mlflow.register_model(model_uri, name, tags={k: str(v) for k, v in tags.items()})
        return str(version.version)

    def alias_version(self, name: str, alias: str = CHAMPION_ALIAS) -> Any:
        """The model version ``alias`` points at, or None (no such model or alias)."""
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_model_version_by_alias(name, alias)
        except MlflowException:
            return None

    def list_runs(self, limit: int = 20, name: str | None = None) -> list[dict[str, Any]]:
        """Latest runs first: model type and version, dataset, macro-F1s, champion flag."""
        champion = self.alias_version(name) if name else None
        runs = self.client.search_runs(
            [self.experiment_id()], order_by=["attributes.start_time DESC"], max_results=limit
        )
        rows = []
        for run in runs:
            tags, metrics = run.data.tags, run.data.metrics
            rows.append(
                {
                    "run_id": run.info.run_id,
                    "run_name": run.info.run_name,
                    "status": run.info.status,
                    "model_type": tags.get("model_type"),
                    "version": tags.get("model_version"),
                    "dataset": tags.get("dataset_version"),
                    "val_macro_f1": finite_or_none(metrics.get(SCORE_METRIC)),
                    "test_macro_f1": finite_or_none(metrics.get("test_macro_f1")),
                    "champion": champion is not None and champion.run_id == run.info.run_id,
                    "champion_decision": tags.get("champion_decision"),
                    "started_by": tags.get("started_by") or "",
                    "created": int(run.info.start_time),
                }
            )
        return rows

    def download_model(self, name: str, version_or_alias: str = CHAMPION_ALIAS) -> Path:
        """Local folder of a registered model version (cached by run id under
        ``<data_dir>/model_cache``, see training.model_cache)."""
        client = self.client
        if is_version_number(version_or_alias):
            version = version_or_alias
        else:
            found = self.alias_version(name, version_or_alias)
            if found is None:
                raise LookupError(
                    f"registered model {name!r} has no version with alias {version_or_alias!r}: "
                    "train one first"
                )
            version = str(found.version)
        import mlflow.artifacts

        model_version = client.get_model_version(name, version)
        key = model_version.run_id or f"{name}-v{version}"

        def fetch(tmp: Path) -> Path:
            source = client.get_model_version_download_uri(name, version)
            return Path(mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=str(tmp)))

        return ModelCache(self.data_dir / "model_cache").get(key, fetch)

    def load_predictor(
        self, name: str, version_or_alias: str = CHAMPION_ALIAS
    ) -> tuple[Predictor, dict[str, Any]]:
        """Our own predictor of a registered version (no pyfunc layer) and its training info."""
        from models.registry import load_predictor

        folder = self.download_model(name, version_or_alias) / "artifacts" / PREDICTOR_ARTIFACT
        info_file = folder / TRAINING_INFO_FILE
        info = json.loads(info_file.read_text()) if info_file.is_file() else {}
        return load_predictor(folder), info
