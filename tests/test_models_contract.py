"""Every registered model honours the Predictor contract (walks models.registry.MODELS)."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from models.base import METADATA_FILE, Predictor, TrainingCallback, TrainingCancelled
from models.registry import MODELS, create_model, get_model_class, load_predictor

FAST = {"n_estimators": 8}
LABELS = np.array(["bear_run", "bull_run", "none"])


def window_frame(n: int = 240, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Window-matrix columns of 3 features x window 2; the label follows body@0."""
    rng = np.random.default_rng(seed)
    columns = [f"{name}@{k}" for k in range(2) for name in ("body", "rsi", "ret")]
    X = pd.DataFrame(rng.normal(size=(n, len(columns))), columns=columns)
    y = np.where(X["body@0"] > 0.6, "bull_run", np.where(X["body@0"] < -0.6, "bear_run", "none"))
    return X, y


class Recorder(TrainingCallback):
    def __init__(self, stop_after: int | None = None):
        self.progress: list[float] = []
        self.stop_after = stop_after

    def on_progress(self, fraction: float) -> None:
        self.progress.append(fraction)

    def should_stop(self) -> bool:
        return self.stop_after is not None and len(self.progress) > self.stop_after


@pytest.fixture(params=sorted(MODELS))
def name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def fitted(name: str) -> tuple[Predictor, pd.DataFrame, np.ndarray]:
    X, y = window_frame()
    return create_model(name, **FAST).fit(X, y), X, y


def test_registry_names_match_class_names():
    for key, cls in MODELS.items():
        assert cls.name == key
        assert cls.input_kind in ("tabular", "sequence")


def test_unknown_model_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="random_forest, xgboost"):
        get_model_class("lstm")


def test_unknown_hyperparameter_is_refused_with_the_allowed_ones(name):
    with pytest.raises(ValueError, match="n_estimators"):
        create_model(name, n_trees=3)


def test_hyperparameters_round_trip_through_get_params(name):
    model = create_model(name, **FAST)
    assert model.get_params()["n_estimators"] == 8
    assert type(model)(**model.get_params()).get_params() == model.get_params()
    assert not model.is_fitted


def test_fit_returns_self_and_learns_sorted_string_classes(name):
    X, y = window_frame()
    model = create_model(name, **FAST)
    assert model.fit(X, y) is model
    assert model.classes_.tolist() == LABELS.tolist()


def test_predict_proba_has_one_column_per_class_and_rows_sum_to_one(fitted):
    model, X, _ = fitted
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), len(model.classes_))
    assert np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)


def test_predict_returns_string_labels_and_learns_the_pattern(fitted):
    model, X, y = fitted
    predicted = model.predict(X)
    assert set(predicted) <= set(model.classes_)
    assert isinstance(predicted[0], str)
    assert (predicted == y).mean() > 0.9


def test_two_class_labels_work(name):
    X, y = window_frame()
    y = np.where(y == "none", "none", "run")
    model = create_model(name, **FAST).fit(X, y)
    assert model.predict_proba(X).shape == (len(X), 2)


def test_single_class_is_refused(name):
    X, _ = window_frame(20)
    with pytest.raises(ValueError, match="at least 2 classes"):
        create_model(name, **FAST).fit(X, ["none"] * len(X))


def test_save_load_round_trip_gives_identical_probabilities(fitted, tmp_path):
    model, X, _ = fitted
    model.save(tmp_path / "m")
    for loaded in (type(model).load(tmp_path / "m"), load_predictor(tmp_path / "m")):
        assert type(loaded) is type(model)
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
        assert loaded.metadata() == model.metadata()


def test_saved_folder_is_json_metadata_plus_a_model_file_that_is_not_a_pickle(fitted, tmp_path):
    model, _, _ = fitted
    model.save(tmp_path)
    document = json.loads((tmp_path / METADATA_FILE).read_text())
    assert sorted(os.listdir(tmp_path)) == sorted([METADATA_FILE, document["model_file"]])
    head = (tmp_path / document["model_file"]).read_bytes()[:2]
    assert head != b"\x80\x04" and head[:1] != b"\x80"  # no pickle protocol header


def test_metadata_describes_inputs_and_classes(fitted):
    model, _, _ = fitted
    meta = model.metadata()
    assert set(meta) == {"name", "classes", "window", "features", "params", "input_kind"}
    assert meta["name"] == type(model).name
    assert meta["classes"] == LABELS.tolist()
    assert meta["window"] == 2
    assert meta["features"] == ["body", "rsi", "ret"]
    assert meta["params"] == model.get_params()
    json.dumps(meta)


def test_nan_inputs_are_handled_in_fit_and_predict(name):
    X, y = window_frame()
    X.iloc[::5, 1] = np.nan
    X["ret@1"] = np.nan  # a column that is never known
    model = create_model(name, **FAST).fit(X, y)
    proba = model.predict_proba(X.iloc[:10].assign(**{"body@1": np.nan}))
    assert np.all(np.isfinite(proba))
    assert (model.predict(X) == y).mean() > 0.9


def test_dataframe_columns_are_matched_by_name(fitted):
    model, X, _ = fitted
    shuffled = X[list(reversed(X.columns))]
    np.testing.assert_array_equal(model.predict_proba(shuffled), model.predict_proba(X))
    with pytest.raises(ValueError, match="lacks 1 column"):
        model.predict_proba(X.drop(columns="rsi@1"))


def test_wrong_width_or_rank_is_refused(fitted):
    model, X, _ = fitted
    with pytest.raises(ValueError, match="6 features"):
        model.predict_proba(X.to_numpy()[:, :4])
    with pytest.raises(ValueError, match="2 dimensions"):
        model.predict_proba(X.to_numpy()[:, :, None])


def test_sample_weight_is_used(name):
    X, y = window_frame()
    weights = np.where(y == "bull_run", 0.0, 1.0)
    model = create_model(name, **FAST).fit(X, y, sample_weight=weights)
    bull = model.classes_.tolist().index("bull_run")
    assert model.predict_proba(X)[y == "bull_run", bull].mean() < 0.5
    with pytest.raises(ValueError, match="sample_weight"):
        create_model(name, **FAST).fit(X, y, sample_weight=weights[:5])


def test_progress_is_reported_up_to_one(name):
    X, y = window_frame()
    recorder = Recorder()
    create_model(name, **FAST).fit(X, y, callbacks=[recorder])
    assert recorder.progress[-1] == 1.0
    assert recorder.progress == sorted(recorder.progress)


def test_cancel_through_the_callback_raises_training_cancelled(name):
    X, y = window_frame()
    recorder = Recorder(stop_after=2)
    model = create_model(name, n_estimators=50)
    with pytest.raises(TrainingCancelled):
        model.fit(X, y, callbacks=recorder)
    assert recorder.progress[-1] < 1.0


def test_predicting_before_fit_says_so(name):
    with pytest.raises(RuntimeError, match="fit"):
        create_model(name).predict_proba(np.zeros((1, 6)))


def test_load_refuses_a_folder_of_another_model_type(fitted, tmp_path):
    model, _, _ = fitted
    model.save(tmp_path)
    other = next(cls for key, cls in MODELS.items() if key != model.name)
    with pytest.raises(ValueError, match="load_predictor"):
        other.load(tmp_path)
    with pytest.raises(FileNotFoundError, match="metadata.json"):
        load_predictor(tmp_path / "nothing")


def test_random_forest_file_with_untrusted_types_is_refused(tmp_path):
    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    X, y = window_frame(60)
    model = create_model("random_forest", **FAST).fit(X, y)
    model.save(tmp_path)
    skops.io.dump(FunctionTransformer(os.getcwd), tmp_path / "model.skops")  # a planted file
    with pytest.raises(skops.io.exceptions.UntrustedTypesFoundException):
        load_predictor(tmp_path)
