"""End to end: a real-format dataset -> train -> MLflow run, registry version, champion alias.

One sqlite MLflow store serves the whole module (its schema takes seconds to create); the runs
are made in the fixture in a known order: a weak model (v1, first champion), then a strong one
(v2, promoted). The later tests add a worse run, a failing run and a cancelled one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.base import TrainingCallback, TrainingCancelled
from tests.helpers.pattern_data import build_pattern_dataset
from training.champion import champion_info, champion_score, decide_champion
from training.datasets import load_dataset
from training.pipeline import TrainingResult, train
from training.samples import balance, build_windows
from training.tracking import Tracker, default_tracking_uri
from training.training_config import TrainingConfig

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

NAME = "pattern-classifier"
CONFIG = TrainingConfig(
    window=4,
    params={"xgboost": {"n_estimators": 15, "max_depth": 3}, "random_forest": {"n_estimators": 5}},
)
# No split is possible with leaves this large: the forest predicts the prior, i.e. "none".
WEAK = replace(
    CONFIG,
    balancing="none",
    params={"random_forest": {"n_estimators": 1, "min_samples_leaf": 100_000}},
)


@dataclass
class Store:
    root: Path
    data_dir: Path
    version: str
    tracker: Tracker
    weak: TrainingResult
    strong: TrainingResult


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    base = tmp_path_factory.mktemp("pipeline")
    root, data_dir = base / "datasets", base / "data"
    version = build_pattern_dataset(root, window=4)
    weak = train("random_forest", root, data_dir, WEAK)
    strong = train("xgboost", root, data_dir, CONFIG, dataset_version=version)
    return Store(root, data_dir, version, Tracker(data_dir), weak, strong)


def champion_version(store: Store) -> str:
    return champion_info(store.tracker, NAME)["version"]


def test_store_lives_under_the_data_folder(store):
    assert store.tracker.tracking_uri == default_tracking_uri(store.data_dir)
    assert (store.data_dir / "mlflow.db").is_file()
    assert (store.data_dir / "mlartifacts").is_dir()
    assert not Path("mlruns").exists()


def test_run_holds_params_metrics_tags_dataset_input_and_artifacts(store):
    client = store.tracker.client
    run = client.get_run(store.strong.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["model_type"] == "xgboost"
    assert run.data.params["window"] == "4"
    assert run.data.params["purge"] == "4"
    assert run.data.params["model.n_estimators"] == "15"
    assert run.data.metrics["val_macro_f1"] == pytest.approx(store.strong.metrics["val_macro_f1"])
    assert "test_macro_f1" in run.data.metrics
    assert run.data.tags["dataset_version"] == store.version
    assert run.data.tags["model_version"] == store.strong.model_version
    inputs = run.inputs.dataset_inputs
    assert [i.dataset.name for i in inputs] == [f"dataset-{store.version}"]
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "evaluation")}
    assert {"evaluation/confusion_val.png", "evaluation/classes_test.csv"} <= artifacts
    assert "evaluation/feature_importances.csv" in artifacts


def test_strong_model_learns_the_planted_patterns(store):
    assert store.strong.metrics["val_macro_f1"] > 0.8
    assert store.strong.metrics["test_macro_f1"] > 0.8
    assert set(store.strong.per_class["test"]) == {"bear_run", "bull_run", "none"}
    assert store.strong.rare_classes == {}
    assert store.weak.metrics["val_macro_f1"] < 0.5


def test_first_version_becomes_champion_and_a_better_one_takes_over(store):
    assert store.weak.model_version == "1" and store.strong.model_version == "2"
    assert store.weak.champion.promoted
    assert "first" in store.weak.champion.reason
    assert store.strong.champion.promoted
    assert store.strong.champion.previous_version == "1"
    assert "beats champion v1" in store.strong.champion.reason
    assert champion_version(store) == "2"
    tags = store.tracker.client.get_run(store.strong.run_id).data.tags
    assert tags["champion_decision"] == "promoted"
    assert tags["champion_reason"] == store.strong.champion.reason


def test_champion_loads_through_pyfunc_and_predicts_like_the_predictor(store):
    import mlflow.pyfunc

    predictor, info = store.tracker.load_predictor(NAME)
    assert info["dataset_version"] == store.version
    assert info["run_id"] == store.strong.run_id
    assert info["metrics"]["val"]["macro_f1"] == pytest.approx(store.strong.metrics["val_macro_f1"])
    assert predictor.metadata()["window"] == 4

    df, manifest = load_dataset(store.root, store.version)
    X = build_windows(df, manifest["feature_columns"], 4).X.iloc[-50:]
    store.tracker.activate()
    model = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
    out = model.predict(X)
    assert out["label"].tolist() == predictor.predict(X).tolist()
    proba = out[[f"proba_{c}" for c in predictor.classes_]].to_numpy()
    np.testing.assert_allclose(proba, predictor.predict_proba(X), rtol=1e-12)
    np.testing.assert_allclose(out["confidence"], proba.max(axis=1))
    # Logged as model code: no pickled Python object in the model.
    files = {p.name for p in store.tracker.download_model(NAME).rglob("*")}
    assert "pyfunc.py" in files and not {f for f in files if f.endswith(".pkl")}


def test_a_worse_run_does_not_move_the_champion(store):
    worse = train("random_forest", store.root, store.data_dir, WEAK, started_by="olga")
    assert worse.metrics["val_macro_f1"] < store.strong.metrics["val_macro_f1"]
    assert not worse.champion.promoted
    assert "champion kept" in worse.champion.reason
    assert worse.model_version == "3"
    assert champion_version(store) == "2"
    runs = store.tracker.list_runs(limit=10, name=NAME)
    assert runs[0]["run_id"] == worse.run_id and runs[0]["champion_decision"] == "kept"
    # Who started each run (issue 18): a tag the Train panel's run list shows; "" for none.
    assert [r["started_by"] for r in runs[:2]] == ["olga", ""]
    flagged = [r for r in runs if r["champion"]]
    assert [r["run_id"] for r in flagged] == [store.strong.run_id]
    assert flagged[0]["version"] == "2" and flagged[0]["dataset"] == store.version


def test_a_failing_run_is_marked_failed_and_leaves_the_champion(store):
    broken = replace(CONFIG, params={"random_forest": {"n_estimators": 0}})
    with pytest.raises(ValueError, match="n_estimators"):
        train("random_forest", store.root, store.data_dir, broken)
    latest = store.tracker.list_runs(limit=1)[0]
    assert latest["status"] == "FAILED"
    run = store.tracker.client.get_run(latest["run_id"])
    assert "n_estimators" in run.data.tags["error"]
    assert champion_version(store) == "2"


def test_a_cancelled_run_is_marked_killed(store):
    class CancelWhenFitting(TrainingCallback):
        stage = ""

        def on_stage(self, stage: str) -> None:
            self.stage = stage

        def should_stop(self) -> bool:
            return self.stage == "fitting"

    with pytest.raises(TrainingCancelled):
        train("xgboost", store.root, store.data_dir, CONFIG, callback=CancelWhenFitting())
    assert store.tracker.list_runs(limit=1)[0]["status"] == "KILLED"
    assert champion_version(store) == "2"


def test_unknown_dataset_version_fails_with_the_known_ones(store):
    with pytest.raises(ValueError, match=store.version):
        train("xgboost", store.root, store.data_dir, CONFIG, dataset_version="nope")


def test_missing_dataset_says_how_to_get_one(tmp_path):
    with pytest.raises(ValueError, match="build one"):
        train("xgboost", tmp_path / "none", tmp_path, CONFIG)


# ---- pieces without MLflow ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"window": 0}, "training.window"),
        ({"purge": 2}, "training.purge"),
        ({"split": (0.5, 0.5, 0.5)}, "training.split"),
        ({"balancing": "smote"}, "training.balancing"),
        ({"threads": 0}, "training.threads"),
        ({"params": {"svm": {}}}, "training.params.svm"),
        ({"params": {"xgboost": {"trees": 3}}}, "training.params.xgboost"),
        ({"default_model": "svm"}, "training.default_model"),
    ],
)
def test_config_errors_name_the_key(changes, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        replace(TrainingConfig(), **changes).validate("training")


def test_thread_cap_and_seed_reach_the_model_params():
    config = replace(TrainingConfig(), threads=2, params={"xgboost": {"n_jobs": 16}})
    assert config.model_params("xgboost")["n_jobs"] == 2
    assert config.model_params("random_forest")["random_state"] == 0
    assert TrainingConfig().effective_purge == TrainingConfig().window


def test_balancing():
    y = np.array(["none"] * 8 + ["doji"] * 2)
    rows, weights = balance(y, "class_weight")
    assert rows.tolist() == list(range(10))
    assert weights[y == "none"].sum() == pytest.approx(weights[y == "doji"].sum())
    rows, weights = balance(y, "oversample", seed=1)
    assert weights is None and (y[rows] == "doji").sum() == (y[rows] == "none").sum() == 8
    rows, weights = balance(y, "none")
    assert weights is None and len(rows) == 10


def test_windows_skip_warm_up_and_never_cross_series():
    def series(symbol: str, offset: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "symbol": symbol,
                "timeframe": "1m",
                "time": np.arange(6) * 60_000,
                "warmup": [True, True, False, False, False, False],
                "f": offset + np.arange(6.0),
                "label": "none",
            }
        )

    df = pd.concat([series("B", 100.0), series("A", 0.0)], ignore_index=True)
    data = build_windows(df, ["f"], window=2)
    # Rows 0-1 are warm-up and row 2's window holds row 1: rows 3, 4, 5 of each series remain.
    assert data.X.columns.tolist() == ["f@0", "f@1"]
    assert data.X.to_numpy().tolist() == [
        [3, 2],
        [4, 3],
        [5, 4],
        [103, 102],
        [104, 103],
        [105, 104],
    ]
    assert data.series.tolist() == ["A|1m"] * 3 + ["B|1m"] * 3
    with pytest.raises(ValueError, match="too short"):
        build_windows(df, ["f"], window=6)


def test_a_champion_from_another_dataset_is_re_scored_on_the_new_validation_rows(store):
    other = build_pattern_dataset(store.root, n=600, symbols=("SOL/USDT",), window=4)
    assert other != store.version
    result = train("random_forest", store.root, store.data_dir, WEAK, dataset_version=other)
    decision = result.champion
    assert decision.previous_version == champion_version(store) or decision.promoted
    assert "re-scored on this dataset's validation period" in decision.reason
    # The policy judges by the re-scored value, not the stored one: a champion that scores
    # 0.1 on these rows loses to 0.5 even though its stored score is higher.
    champion = decision.previous_version
    assert champion_score(store.tracker, NAME, champion) > 0.5
    fair = decide_champion(store.tracker, NAME, result.model_version, 0.5, 0.0, current_score=0.1)
    assert fair.promoted and fair.previous_score == 0.1
    store.tracker.client.set_registered_model_alias(NAME, "champion", champion)  # restore
