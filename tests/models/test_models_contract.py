"""Every registered model honours the Predictor contract (walks models.registry.MODELS).

Tabular models take window-matrix rows, sequence models (cnn, transformer, dqn) the same values as
windows ``(n, 2, 3)``. The DQN learns from per-decision returns instead of labels (its classes are
the actions), so the tests about labels and sample weights are for the classifiers.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
import torch

from models.base import METADATA_FILE, Predictor, TrainingCallback, TrainingCancelled
from models.registry import MODELS, create_model, get_model_class, load_predictor

torch.set_num_threads(1)

LABELS = np.array(["bear_run", "bull_run", "none"])
ACTIONS = ["BUY", "HOLD", "SELL"]
FEATURES = ["body", "rsi", "ret"]


@dataclass(frozen=True)
class Case:
    param: str  # a hyperparameter every case sets
    fast: dict
    slow: dict  # long enough to be cancelled midway
    task: str = "classify"  # or "trade" (dqn)
    fit_kwargs: dict = field(default_factory=dict)


_NET = {"epochs": 60, "batch_size": 32, "learning_rate": 0.01, "dropout": 0.0}
_NAMES = {"feature_names": FEATURES}
CASES = {
    "random_forest": Case("n_estimators", {"n_estimators": 8}, {"n_estimators": 50}),
    "xgboost": Case("n_estimators", {"n_estimators": 8}, {"n_estimators": 50}),
    "cnn": Case("epochs", {**_NET, "channels": 16}, {"epochs": 50}, fit_kwargs=_NAMES),
    "transformer": Case(
        "epochs",
        {**_NET, "d_model": 16, "heads": 2, "layers": 1},
        {"epochs": 50},
        fit_kwargs=_NAMES,
    ),
    "dqn": Case(
        "episodes",
        {
            "episodes": 12,
            "fee": 0.0,
            "gamma": 0.5,
            "train_every": 2,
            "epsilon_decay": 0.5,
            "learning_rate": 0.005,
            "target_sync": 50,
        },
        {"episodes": 50},
        task="trade",
        fit_kwargs=_NAMES,
    ),
}


def window_frame(n: int = 240, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Window-matrix columns of 3 features x window 2; the label follows body@0."""
    rng = np.random.default_rng(seed)
    columns = [f"{name}@{k}" for k in range(2) for name in FEATURES]
    X = pd.DataFrame(rng.normal(size=(n, len(columns))), columns=columns)
    y = np.where(X["body@0"] > 0.6, "bull_run", np.where(X["body@0"] < -0.6, "bear_run", "none"))
    return X, y


def inputs(name: str, X: pd.DataFrame):
    """The model's kind of input: the frame, or windows (n, 2, 3) oldest first."""
    if MODELS[name].input_kind == "tabular":
        return X
    return X.to_numpy().reshape(len(X), 2, 3)[:, ::-1, :].copy()


def targets(name: str, y: np.ndarray) -> np.ndarray:
    """Labels, or for the DQN the return each decision earns: a bull row pays the long."""
    if CASES[name].task == "trade":
        return np.where(y == "bull_run", 0.002, np.where(y == "bear_run", -0.002, 0.0))
    return y


def expected_actions(y: np.ndarray) -> np.ndarray:
    return np.where(y == "bull_run", "BUY", np.where(y == "bear_run", "SELL", "-"))


def fit(name: str, X, y, **kwargs) -> Predictor:
    case = CASES[name]
    model = create_model(name, **{**case.fast, **kwargs.pop("params", {})})
    return model.fit(inputs(name, X), targets(name, y), **case.fit_kwargs, **kwargs)


def learnt(name: str, model: Predictor, X, y) -> float:
    """Share of rows predicted as the planted pattern says."""
    predicted = model.predict(inputs(name, X))
    if CASES[name].task == "trade":
        signal = y != "none"
        return float((predicted[signal] == expected_actions(y)[signal]).mean())
    return float((predicted == y).mean())


class Recorder(TrainingCallback):
    def __init__(self, stop_after: int | None = None):
        self.progress: list[float] = []
        self.stop_after = stop_after

    def on_progress(self, fraction: float) -> None:
        self.progress.append(fraction)

    def should_stop(self) -> bool:
        return self.stop_after is not None and len(self.progress) > self.stop_after


_FITTED: dict[str, Predictor] = {}


@pytest.fixture(params=sorted(MODELS))
def name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def fitted(name: str) -> tuple[Predictor, pd.DataFrame, np.ndarray]:
    """One fitted model per name for the module (the tests only read it)."""
    X, y = window_frame()
    if name not in _FITTED:
        _FITTED[name] = fit(name, X, y)
    return _FITTED[name], X, y


def classifiers_only(name: str) -> None:
    if CASES[name].task != "classify":
        pytest.skip("about labels: the DQN learns from returns (see its own tests)")


def test_registry_names_match_class_names():
    assert sorted(MODELS) == sorted(CASES)
    for key, cls in MODELS.items():
        assert cls.name == key
        assert cls.input_kind in ("tabular", "sequence")


def test_unknown_model_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="cnn, dqn, random_forest, transformer, xgboost"):
        get_model_class("lstm")


def test_unknown_hyperparameter_is_refused_with_the_allowed_ones(name):
    with pytest.raises(ValueError, match=CASES[name].param):
        create_model(name, n_trees=3)


def test_hyperparameters_round_trip_through_get_params(name):
    case = CASES[name]
    model = create_model(name, **case.fast)
    assert model.get_params()[case.param] == case.fast[case.param]
    assert type(model)(**model.get_params()).get_params() == model.get_params()
    assert not model.is_fitted


def test_fit_returns_self_and_learns_sorted_string_classes(name):
    X, y = window_frame(60)
    model = create_model(name, **CASES[name].fast)
    assert model.fit(inputs(name, X), targets(name, y), **CASES[name].fit_kwargs) is model
    expected = ACTIONS if CASES[name].task == "trade" else LABELS.tolist()
    assert model.classes_.tolist() == expected


def test_predict_proba_has_one_column_per_class_and_rows_sum_to_one(fitted, name):
    model, X, _ = fitted
    proba = model.predict_proba(inputs(name, X))
    assert proba.shape == (len(X), len(model.classes_))
    assert np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)


def test_predict_returns_string_labels_and_learns_the_pattern(fitted, name):
    model, X, y = fitted
    predicted = model.predict(inputs(name, X))
    assert set(predicted) <= set(model.classes_)
    assert isinstance(predicted[0], str)
    assert learnt(name, model, X, y) > 0.9


def test_two_class_labels_work(name):
    classifiers_only(name)
    X, y = window_frame()
    y = np.where(y == "none", "none", "run")
    model = fit(name, X, y, params={CASES[name].param: 2})
    assert model.predict_proba(inputs(name, X)).shape == (len(X), 2)


def test_single_class_is_refused(name):
    classifiers_only(name)
    X, _ = window_frame(20)
    with pytest.raises(ValueError, match="at least 2 classes"):
        fit(name, X, np.array(["none"] * len(X)))


def test_save_load_round_trip_gives_identical_probabilities(fitted, name, tmp_path):
    model, X, _ = fitted
    model.save(tmp_path / "m")
    for loaded in (type(model).load(tmp_path / "m"), load_predictor(tmp_path / "m")):
        assert type(loaded) is type(model)
        np.testing.assert_array_equal(
            loaded.predict_proba(inputs(name, X)), model.predict_proba(inputs(name, X))
        )
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
    assert meta["classes"] == model.classes_.tolist()
    assert meta["window"] == 2
    assert meta["features"] == FEATURES
    assert meta["params"] == model.get_params()
    json.dumps(meta)


def test_nan_inputs_are_handled_in_fit_and_predict(name):
    X, y = window_frame()
    X.iloc[::5, 1] = np.nan
    X["ret@1"] = np.nan  # a column that is never known
    model = fit(name, X, y)
    proba = model.predict_proba(inputs(name, X.iloc[:10].assign(**{"body@1": np.nan})))
    assert np.all(np.isfinite(proba))
    assert learnt(name, model, X, y) > 0.9


def test_dataframe_columns_are_matched_by_name(fitted, name):
    model, X, _ = fitted
    if model.input_kind != "tabular":
        pytest.skip("sequence models take windows, not named columns")
    shuffled = X[list(reversed(X.columns))]
    np.testing.assert_array_equal(model.predict_proba(shuffled), model.predict_proba(X))
    with pytest.raises(ValueError, match="lacks 1 column"):
        model.predict_proba(X.drop(columns="rsi@1"))


def test_wrong_width_or_rank_is_refused(fitted, name):
    model, X, _ = fitted
    array = np.asarray(inputs(name, X), dtype=float)
    if model.input_kind == "tabular":
        width, rank = "6 features", "2 dimensions"
    else:
        width, rank = "3 features", "3 dimensions"
    with pytest.raises(ValueError, match=width):
        model.predict_proba(array[..., :2] if array.ndim == 3 else array[:, :4])
    with pytest.raises(ValueError, match=rank):
        model.predict_proba(array[..., None])


def test_sample_weight_is_used(name):
    X, y = window_frame()
    if CASES[name].task == "trade":
        with pytest.raises(ValueError, match="sample_weight"):
            fit(name, X, y, sample_weight=np.ones(len(y)))
        return
    weights = np.where(y == "bull_run", 0.0, 1.0)
    model = fit(name, X, y, sample_weight=weights)
    bull = model.classes_.tolist().index("bull_run")
    assert model.predict_proba(inputs(name, X))[y == "bull_run", bull].mean() < 0.5
    with pytest.raises(ValueError, match="sample_weight"):
        fit(name, X, y, sample_weight=weights[:5])


def test_progress_is_reported_up_to_one(name):
    X, y = window_frame(60)
    recorder = Recorder()
    fit(name, X, y, callbacks=[recorder], params={CASES[name].param: 2})
    assert recorder.progress[-1] == 1.0
    assert recorder.progress == sorted(recorder.progress)


def test_cancel_through_the_callback_raises_training_cancelled(name):
    X, y = window_frame()
    recorder = Recorder(stop_after=2)
    with pytest.raises(TrainingCancelled):
        fit(name, X, y, callbacks=recorder, params=CASES[name].slow)
    assert recorder.progress[-1] < 1.0


def test_predicting_before_fit_says_so(name):
    shape = (1, 6) if MODELS[name].input_kind == "tabular" else (1, 2, 3)
    with pytest.raises(RuntimeError, match="fit"):
        create_model(name).predict_proba(np.zeros(shape))


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
    model = create_model("random_forest", n_estimators=8).fit(X, y)
    model.save(tmp_path)
    skops.io.dump(FunctionTransformer(os.getcwd), tmp_path / "model.skops")  # a planted file
    with pytest.raises(skops.io.exceptions.UntrustedTypesFoundException):
        load_predictor(tmp_path)


@pytest.mark.parametrize("kind", ["cnn", "transformer", "dqn"])
def test_torch_file_holding_code_is_refused(kind, tmp_path):
    X, y = window_frame(60)
    fit(kind, X, y, params={CASES[kind].param: 1}).save(tmp_path)
    torch.save({"weight": os.getcwd}, tmp_path / "model.pt")  # a planted callable
    with pytest.raises(Exception, match="(?i)weights_only|unsupported global"):
        load_predictor(tmp_path)
