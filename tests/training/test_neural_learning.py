"""The neural models learn a planted pattern and beat their baselines; nothing at time t depends
on a later candle (windows, normalisation, per-bar predictions, the DQN's policy)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.registry import create_model
from serving.neural_inference import NeuralModel
from tests.helpers.neural_data import SMALL_SPEC, small_neural, wave_candles
from training.neural_data import series_windows
from training.neural_pipeline import evaluate, prepare

pytestmark = pytest.mark.slow  # seconds each: `pytest -m 'not slow and not browser'` skips them

torch.set_num_threads(1)

LEARN = {
    "cnn": {"channels": 16, "epochs": 8, "batch_size": 64, "learning_rate": 0.005},
    "transformer": {
        "d_model": 16,
        "heads": 2,
        "layers": 1,
        "epochs": 8,
        "batch_size": 64,
        "learning_rate": 0.005,
    },
    "dqn": {
        "channels": 16,
        "hidden": 32,
        "episodes": 3,
        "train_every": 4,
        "fee": 0.0005,
        "gamma": 0.5,
        "learning_rate": 0.003,
        "epsilon_decay": 0.5,
    },
}


def fitted(kind: str, frames, neural):
    data, rows = prepare(kind, frames, neural)
    train = data.take(rows["train"])
    model = create_model(kind, **LEARN[kind])
    if kind == "dqn":
        model.fit(train.X, train.step_return, episode_starts=train.episode_starts)
    else:
        model.fit(train.X, train.direction, change=train.change_pct)
    return model, data, rows, train


@pytest.fixture(scope="module")
def wave():
    return {"wave|1m": wave_candles(1400, seed=3)}


@pytest.mark.parametrize("kind", ["cnn", "transformer"])
def test_direction_models_beat_the_majority_class_and_the_last_price(kind, wave):
    model, data, rows, train = fitted(kind, wave, small_neural())
    val = evaluate(kind, model, data.take(rows["val"]), train.direction, 5)
    assert val["accuracy"] > val["majority_accuracy"] + 0.2, val
    assert val["accuracy"] > 0.5 + 0.15
    assert val["mae_skill"] > 0.2, val  # clearly better than "the price stays where it is"
    assert sum(b["count"] for b in val["calibration"]) == val["rows"]


def test_dqn_beats_buy_and_hold_and_flat_where_a_policy_can(wave):
    model, data, rows, train = fitted("dqn", wave, small_neural())
    val = evaluate("dqn", model, data.take(rows["val"]), train.direction, 5)
    assert val["return"] > val["buy_and_hold_return"] + 0.05, val
    assert val["return"] > 0.05
    assert not val["degenerate"]
    assert val["trades"] > 2


def test_a_model_without_signal_shows_no_edge():
    noise = {"noise|1m": wave_candles(900, amplitude=0.0, noise=0.002, seed=5, walk=True)}
    model, data, rows, train = fitted("cnn", noise, small_neural())
    val = evaluate("cnn", model, data.take(rows["val"]), train.direction, 5)
    assert val["accuracy"] < val["majority_accuracy"] + 0.1
    assert val["mae_skill"] < 0.1


def test_normalisation_uses_the_training_period_only(wave):
    model, data, rows, train = fitted("cnn", wave, small_neural())
    flat = train.X.reshape(-1, train.X.shape[2]).astype(np.float64)
    np.testing.assert_allclose(model.mean_, np.nanmean(flat, axis=0), rtol=1e-5, atol=1e-7)
    candles = wave["wave|1m"].copy()
    later = candles.index > data.times[rows["train"]].max() + 60_000 * 8
    candles.loc[later, ["open", "high", "low", "close"]] *= 3.0  # a different future
    other, *_ = fitted("cnn", {"wave|1m": candles}, small_neural())
    np.testing.assert_array_equal(other.mean_, model.mean_)
    np.testing.assert_array_equal(other.std_, model.std_)


@pytest.mark.parametrize("kind", ["cnn", "transformer", "dqn"])
def test_per_bar_predictions_do_not_move_when_the_future_changes(kind, wave):
    neural = small_neural()
    model, *_ = fitted(kind, wave, neural)
    info = {
        "trained_on": {"start": 0, "end": 1},
        "feature_spec": neural.features.to_dict(),
        "window": neural.window,
        "horizon": neural.horizon,
        "stable_band_pct": neural.stable_band_pct,
        "timeframe": "1m",
    }
    served = NeuralModel(kind, model, info, "1")
    candles = wave["wave|1m"].iloc[:400]
    base = served.predict_frame(candles)
    cut = int(base["time"].iloc[len(base) // 2])
    moved = candles.copy()
    moved.loc[moved.index > cut, ["open", "high", "low", "close"]] *= 0.7
    changed = served.predict_frame(moved)
    upto = base["time"] <= cut
    assert upto.sum() > 10
    np.testing.assert_array_equal(changed[upto].to_numpy(), base[upto].to_numpy())
    assert not changed[~upto].equals(base[~upto])


def test_windows_at_t_hold_candles_up_to_t_only():
    candles = wave_candles(300)
    base = series_windows(candles, SMALL_SPEC, 8, 3, 0.05)
    t = 100
    moved = candles.copy()
    moved.loc[moved.index > base.times[t], ["open", "high", "low", "close"]] *= 2
    changed = series_windows(moved, SMALL_SPEC, 8, 3, 0.05)
    np.testing.assert_array_equal(changed.X[: t + 1], base.X[: t + 1])
    assert not np.array_equal(changed.X[t + 1], base.X[t + 1])
    # the window at t ends with the features of candle t itself
    assert base.times[t] == candles.index[np.searchsorted(candles.index, base.times[t])]
