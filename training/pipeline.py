"""Train a pattern classifier on a dataset version, track it in MLflow, register it.

    result = train("xgboost", "data/datasets", data_dir="data", config=TrainingConfig())
    result.model_version, result.metrics["val_macro_f1"], result.champion.reason

Steps: load the dataset -> window matrix per series, keeping rows whose whole window is past the
features' warm-up -> split by time with a purge gap -> balance the training period -> fit ->
evaluate on validation and test -> log params, metrics, dataset input, artifacts and the model ->
register a version -> apply the champion policy. Any failure marks the MLflow run FAILED (a
cancel: KILLED) and leaves the champion alone.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from models.base import CallbackList, Predictor, TrainingCallback, TrainingCancelled
from models.registry import create_model, get_model_class
from training import evaluation
from training.champion import ChampionDecision, champion_info, decide_champion
from training.champion_lock import champion_lock
from training.datasets import latest_dataset, load_dataset
from training.samples import balance, build_windows
from training.splits import time_split
from training.tracking import TRAINING_INFO_FILE, Tracker
from training.training_config import TrainingConfig

logger = logging.getLogger(__name__)

EXAMPLE_ROWS = 5


@dataclass(frozen=True)
class TrainingResult:
    run_id: str
    model_type: str
    registered_model: str
    model_version: str
    dataset_version: str
    metrics: dict[str, float]
    per_class: dict[str, dict[str, dict[str, float]]]  # {"val"|"test": {label: {...}}}
    champion: ChampionDecision
    rare_classes: dict[str, int]
    rows: dict[str, int]  # train (after balancing), val, test
    # the trained model and its training info (what a walk-forward fold predicts with)
    model: Any = None
    info: dict | None = None


class _Scaled(TrainingCallback):
    """Maps a sub-task's progress into ``[low, high]`` of the whole run."""

    def __init__(self, hooks: CallbackList, low: float, high: float):
        self.hooks, self.low, self.high = hooks, low, high

    def on_stage(self, stage: str) -> None:
        self.hooks.on_stage(stage)

    def on_progress(self, fraction: float) -> None:
        self.hooks.on_progress(self.low + (self.high - self.low) * fraction)

    def should_stop(self) -> bool:
        return self.hooks.should_stop()


def _limit_threads(threads: int) -> Any:
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")  # only when something already imported it
    if torch is not None:
        torch.set_num_threads(threads)
    return threadpool_limits(limits=threads)


def _champion_score_here(tracker, name, dataset_version, data, rows) -> float | None:
    """The champion's macro-F1 on this run's validation rows when it was trained on another
    dataset, so both are judged on the same candles; None when the stored score applies (same
    dataset) or the champion can't read these inputs (other features or window)."""
    champion = champion_info(tracker, name)
    if champion is None or champion.get("dataset_version") == dataset_version:
        return None
    try:
        predictor, _ = tracker.load_predictor(name)
    except Exception:  # an unloadable champion is judged by its stored score
        logger.exception("could not load the champion to re-score it")
        return None
    if list(getattr(predictor, "feature_names_in_", [])) != list(data.X.columns):
        logger.info("champion uses other inputs: judged by its stored validation score")
        return None
    predicted = predictor.predict(data.X.iloc[rows])
    return evaluation.classification_report(data.y[rows], predicted).macro_f1


def _metric_key(text: str) -> str:
    return "".join(c if c.isalnum() or c in "_-./ " else "_" for c in text)


def train(
    model_type: str,
    dataset_root: str | Path,
    data_dir: str | Path,
    config: TrainingConfig | None = None,
    dataset_version: str | None = None,
    callback: TrainingCallback | None = None,
    started_by: str = "",
    dataset: tuple[pd.DataFrame, dict] | None = None,
    register: bool = True,
    experiment: str | None = None,
    tags: dict[str, str] | None = None,
) -> TrainingResult:
    """Train, evaluate, log and register one model; see the module docstring. ``started_by``:
    the person who started it (an MLflow tag, shown in the Train panel's run list).
    ``dataset``: its rows and manifest, already loaded (a Ray task gets them through the object
    store, not from a folder it may not see).

    ``register=False`` (a walk-forward fold's model): the run is logged (in ``experiment``, with
    ``tags``) but the model is never registered, aliased or made champion; the result carries
    the trained model."""
    config = config or TrainingConfig()
    config.validate("training")
    get_model_class(model_type)
    hooks = CallbackList(callback)
    if dataset_version is None:
        latest = latest_dataset(Path(dataset_root))
        if latest is None:
            raise ValueError(f"no dataset in {dataset_root}: build one from accepted labels first")
        dataset_version = latest.version
    tracker = Tracker.from_config(config, data_dir, experiment)
    run_name = f"{config.model_name_prefix}-{model_type}-{dataset_version}"
    tags = {"model_type": model_type, "dataset_version": str(dataset_version), **(tags or {})}
    if started_by:
        tags["started_by"] = started_by
    hooks.on_stage("starting")
    with tracker.start_run(run_name, tags) as run_id:
        return _train_in_run(
            tracker, run_id, model_type, Path(dataset_root), str(dataset_version), config, hooks,
            dataset, register,
        )  # fmt: skip


def _train_in_run(
    tracker: Tracker,
    run_id: str,
    model_type: str,
    dataset_root: Path,
    dataset_version: str,
    config: TrainingConfig,
    hooks: CallbackList,
    dataset: tuple[pd.DataFrame, dict] | None = None,
    register: bool = True,
) -> TrainingResult:
    def stage(name: str, progress: float) -> None:
        hooks.check_stop()
        hooks.on_stage(name)
        hooks.on_progress(progress)

    stage("loading", 0.0)
    df, manifest = dataset or load_dataset(dataset_root, dataset_version)
    feature_cols = list(manifest["feature_columns"])
    target = "bio" if manifest.get("encoding") == "bio" else "label"
    tracker.log_dataset(df, dataset_version, dataset_root / dataset_version)

    stage("windows", 0.1)
    data = build_windows(df, feature_cols, config.window, target)
    split = time_split(data.times, config.split, config.effective_purge, groups=data.series)
    train_rows, weights = balance(data.y[split.train], config.balancing, config.seed)
    X_train = data.X.iloc[split.train[train_rows]]
    y_train = data.y[split.train[train_rows]]
    train_counts = evaluation.class_counts(data.y[split.train])
    all_labels = set(data.y)
    if target == "label":
        all_labels |= set(manifest.get("label_counts", {}))
    rare = evaluation.rare_classes(train_counts, config.min_class_support, all_labels)
    if rare:
        logger.warning(
            "classes with fewer than %d training rows: %s", config.min_class_support, rare
        )

    params = config.model_params(model_type)
    tracker.log_params(
        {
            "model_type": model_type,
            **{f"model.{k}": v for k, v in params.items()},
            "dataset_version": dataset_version,
            "dataset_window": manifest.get("window"),
            "encoding": manifest.get("encoding", "windowed"),
            "window": config.window,
            "purge": config.effective_purge,
            "split": list(config.split),
            "balancing": config.balancing,
            "min_class_support": config.min_class_support,
            "threads": config.threads,
            "n_features": len(feature_cols),
            "n_inputs": data.X.shape[1],
            "rows_train": len(split.train),
            "rows_train_balanced": len(train_rows),
            "rows_val": len(split.val),
            "rows_test": len(split.test),
            "val_start": split.boundaries[0],
            "test_start": split.boundaries[1],
        }
    )
    tracker.set_tags({"rare_classes": json.dumps(rare)})

    stage("fitting", 0.2)
    model: Predictor = create_model(model_type, **params)
    started = time.perf_counter()
    with _limit_threads(config.threads):
        model.fit(X_train, y_train, sample_weight=weights, callbacks=_Scaled(hooks, 0.2, 0.8))
        fit_seconds = time.perf_counter() - started
        stage("evaluating", 0.8)
        reports = {
            name: evaluation.classification_report(data.y[rows], model.predict(data.X.iloc[rows]))
            for name, rows in (("val", split.val), ("test", split.test))
        }
    metrics: dict[str, float] = {"fit_seconds": fit_seconds}
    for name, report in reports.items():
        metrics[f"{name}_macro_f1"] = report.macro_f1
        metrics[f"{name}_accuracy"] = report.accuracy
        for label, row in report.per_class().items():
            metrics[_metric_key(f"{name}_f1.{label}")] = row["f1"]
    tracker.log_metrics(metrics)
    per_class = {name: report.per_class() for name, report in reports.items()}

    stage("logging", 0.85)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write_evaluation(folder / "evaluation", reports, model, rare)
        tracker.log_artifacts(folder / "evaluation", "evaluation")
        predictor_dir = model.save(folder / "predictor")
        info = {
            "model_type": model_type,
            "dataset_version": dataset_version,
            "feature_spec": manifest.get("feature_spec"),
            "feature_columns": feature_cols,
            "window": config.window,
            "target": target,
            "trained_at": int(time.time() * 1000),
            "run_id": run_id,
            "registered_model": config.registered_model,
            "metrics": {
                name: {"macro_f1": report.macro_f1, "per_class": per_class[name]}
                for name, report in reports.items()
            },
            "rare_classes": rare,
        }
        (predictor_dir / TRAINING_INFO_FILE).write_text(json.dumps(info, indent=2))
        example = data.X.iloc[split.val[:EXAMPLE_ROWS]].reset_index(drop=True)
        from models.pyfunc import predictions_frame

        model_uri = tracker.log_model(predictor_dir, example, predictions_frame(model, example))

    if not register:  # a walk-forward fold: logged, never registered nor champion
        tracker.set_tags({"registered": "false"})
        decision = ChampionDecision(False, "not registered: a walk-forward fold's model", None,
                                    metrics["val_macro_f1"])  # fmt: skip
        rows = {"train": len(train_rows), "val": len(split.val), "test": len(split.test)}
        return TrainingResult(run_id, model_type, "", "", dataset_version, metrics, per_class,
                              decision, rare, rows, model, info)  # fmt: skip
    stage("registering", 0.95)
    if not hooks.commit():  # a cancel accepted until now: register nothing
        raise TrainingCancelled("training was cancelled")
    version = tracker.register(
        model_uri,
        config.registered_model,
        tags={
            "model_type": model_type,
            "dataset_version": dataset_version,
            "run_id": run_id,
            "val_macro_f1": metrics["val_macro_f1"],
            "test_macro_f1": metrics["test_macro_f1"],
        },
    )
    tracker.set_tags({"model_version": version, "registered_model": config.registered_model})
    with champion_lock(tracker.data_dir):  # two trainings must not both take the alias
        rescored = _champion_score_here(tracker, config.registered_model, dataset_version,
                                        data, split.val)  # fmt: skip
        decision = decide_champion(
            tracker,
            config.registered_model,
            version,
            metrics["val_macro_f1"],
            config.min_improvement,
            current_score=rescored,
        )
    tracker.set_tags(
        {
            "champion_decision": "promoted" if decision.promoted else "kept",
            "champion_reason": decision.reason,
        }
    )
    hooks.on_stage("done")
    hooks.on_progress(1.0)
    return TrainingResult(
        run_id=run_id,
        model_type=model_type,
        registered_model=config.registered_model,
        model_version=version,
        dataset_version=dataset_version,
        metrics=metrics,
        per_class=per_class,
        champion=decision,
        rare_classes=rare,
        rows={"train": len(train_rows), "val": len(split.val), "test": len(split.test)},
    )


def _write_evaluation(
    folder: Path,
    reports: dict[str, evaluation.ClassificationReport],
    model: Predictor,
    rare: dict[str, int],
) -> None:
    folder.mkdir(parents=True)
    for name, report in reports.items():
        evaluation.save_confusion_png(
            report, folder / f"confusion_{name}.png", f"{name}: macro-F1 {report.macro_f1:.3f}"
        )
        evaluation.save_class_table_csv(report, folder / f"classes_{name}.csv")
    columns = model.feature_names_in_ or []
    evaluation.feature_importance_table(columns, model.feature_importances()).to_csv(
        folder / "feature_importances.csv", index=False
    )
    (folder / "rare_classes.json").write_text(json.dumps(rare, indent=2))
