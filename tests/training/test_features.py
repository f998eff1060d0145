from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import talib

from labels.cdl_names import CDL_PATTERNS
from tests.helpers import market_data as fixtures_market
from tests.helpers.market_data import random_candles
from training.feature_config import FeatureSpec
from training.features import compute_features, feature_columns, window_matrix

goog = fixtures_market.goog  # real-data fixtures, see tests/helpers/market_data.py
eurusd = fixtures_market.eurusd

SPEC = FeatureSpec()
COLS = feature_columns(SPEC)


@pytest.fixture(scope="module")
def goog_features(goog):
    return compute_features(goog, SPEC)


def test_columns_are_the_feature_columns_then_warmup_on_the_same_index(goog, goog_features):
    assert list(goog_features.columns) == COLS + ["warmup"]
    assert goog_features.index.equals(goog.index)
    assert goog_features["warmup"].dtype == bool
    assert len(COLS) == len(set(COLS)) == 29 + 61
    assert COLS[-61:] == [f"cdl_{name[3:].lower()}" for name in CDL_PATTERNS]


def test_feature_columns_follow_the_spec():
    spec = FeatureSpec(rsi_periods=(7, 21), macd=(), stoch=(), obv=False, include_cdl=False)
    cols = feature_columns(spec)
    assert cols[:2] == ["rsi_7", "rsi_21"]
    assert not any(c.startswith(("macd", "stoch", "obv", "cdl_")) for c in cols)
    only = feature_columns(FeatureSpec(cdl_patterns=("CDLHAMMER", "CDLDOJI")))
    assert only[-2:] == ["cdl_hammer", "cdl_doji"]
    assert list(compute_features(random_candles(300), spec).columns) == cols + ["warmup"]


@pytest.mark.parametrize("cut", [0, 60, 299, 300, 301, 777, 1500, 2146])
def test_changing_every_candle_after_t_changes_nothing_up_to_t(goog, goog_features, cut):
    future = random_candles(len(goog) - cut - 1, seed=cut) * 5
    changed = goog.copy()
    changed.iloc[cut + 1 :] = future.to_numpy()
    again = compute_features(changed, SPEC)
    pd.testing.assert_frame_equal(again.iloc[: cut + 1], goog_features.iloc[: cut + 1])
    assert not again.iloc[cut + 1 :].equals(goog_features.iloc[cut + 1 :])


def test_warmup_rows_are_flagged_and_left_unfilled(goog_features):
    warm = goog_features["warmup"].to_numpy()
    assert warm[: SPEC.warmup].all()
    assert not warm[SPEC.warmup :].any()
    values = goog_features[COLS]
    assert values.iloc[SPEC.warmup :].notna().all().all()
    defined = values.columns[values.iloc[0].notna()].tolist()
    assert defined == ["body", "upper_shadow", "lower_shadow", "range"]  # one candle is enough
    assert np.isnan(goog_features["rsi_14"].iloc[13])
    assert np.isnan(goog_features["close_sma_50"].iloc[48])
    assert goog_features["close_sma_50"].iloc[49:].notna().all()


def test_a_nan_candle_after_warmup_marks_its_rows_instead_of_being_filled(goog):
    broken = goog.copy()
    broken.iloc[1000, broken.columns.get_loc("close")] = np.nan
    feats = compute_features(broken, SPEC)
    assert feats["warmup"].iloc[1000]
    assert np.isnan(feats["ret_1"].iloc[1000])
    assert not feats["warmup"].iloc[999]


def test_after_warmup_a_shorter_history_gives_the_same_features(eurusd):
    full = compute_features(eurusd, SPEC)
    for start in (1, 250, 2000):
        tail = compute_features(eurusd.iloc[start:], SPEC)
        assert not tail["warmup"].iloc[SPEC.warmup :].any()
        np.testing.assert_allclose(
            tail[COLS].iloc[SPEC.warmup :].to_numpy(),
            full[COLS].iloc[start + SPEC.warmup :].to_numpy(),
            rtol=1e-6,
            atol=1e-7,
        )


def test_features_do_not_depend_on_price_or_volume_scale(eurusd):
    scaled = eurusd.copy()
    scaled[["open", "high", "low", "close"]] *= 32_768.0  # powers of two: exact
    scaled["volume"] *= 0.125
    a = compute_features(eurusd, SPEC)[COLS].iloc[SPEC.warmup :]
    b = compute_features(scaled, SPEC)[COLS].iloc[SPEC.warmup :]
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-6, atol=1e-7)


def test_hand_checked_values(goog, goog_features):
    o, h, low, c = (goog[k].to_numpy() for k in ("open", "high", "low", "close"))
    f = goog_features
    i = 500
    assert f["ret_1"].iloc[i] == pytest.approx(np.log(c[i] / c[i - 1]))
    assert f["ret_5"].iloc[i] == pytest.approx(np.log(c[i] / c[i - 5]))
    assert f["gap"].iloc[i] == pytest.approx(o[i] / c[i - 1] - 1)
    assert f["body"].iloc[i] == pytest.approx((c[i] - o[i]) / c[i])
    assert f["upper_shadow"].iloc[i] == pytest.approx((h[i] - max(o[i], c[i])) / c[i])
    assert f["lower_shadow"].iloc[i] == pytest.approx((min(o[i], c[i]) - low[i]) / c[i])
    assert f["close_sma_5"].iloc[i] == pytest.approx(c[i] / c[i - 4 : i + 1].mean() - 1)
    atr = talib.ATR(h, low, c, 14)[i]
    assert f["range_atr"].iloc[i] == pytest.approx((h[i] - low[i]) / atr)
    assert f["atr"].iloc[i] == pytest.approx(atr / c[i])
    assert f["rsi_14"].iloc[i] == pytest.approx(talib.RSI(c, 14)[i] / 100)
    v = goog["volume"].to_numpy()[i - 19 : i + 1]
    assert f["volume_z"].iloc[i] == pytest.approx((v[-1] - v.mean()) / v.std())
    upper, _, lower = talib.BBANDS(c, 20, 2.0, 2.0, 0)
    assert f["bb_pctb"].iloc[i] == pytest.approx((c[i] - lower[i]) / (upper[i] - lower[i]))


def test_pattern_columns_are_the_sign_of_talib_output(goog, goog_features):
    ohlc = [goog[k].to_numpy() for k in ("open", "high", "low", "close")]
    after = slice(SPEC.warmup, None)
    for name in ("CDLENGULFING", "CDLHIKKAKE", "CDLDOJI", "CDLHARAMI"):
        column = goog_features[f"cdl_{name[3:].lower()}"].to_numpy()[after]
        expected = np.sign(getattr(talib, name)(*ohlc))[after]
        np.testing.assert_array_equal(column, expected)
        assert set(np.unique(column)) <= {-1.0, 0.0, 1.0}
    cdl = goog_features[[c for c in COLS if c.startswith("cdl_")]].iloc[SPEC.warmup :]
    assert set(np.unique(cdl.to_numpy())) == {-1.0, 0.0, 1.0}


def test_flat_markets_give_defined_features_not_nan():
    candles = random_candles(400)
    candles.iloc[200:] = 50.0  # open = high = low = close = volume: nothing moves
    feats = compute_features(candles, SPEC)
    last = feats[COLS].iloc[-1]
    assert last.notna().all()
    assert last["volume_z"] == 0 and last["bb_pctb"] == 0.5 and last["range_atr"] == 0


def test_bad_candles_are_refused():
    candles = random_candles(50)
    with pytest.raises(ValueError, match="unique, ascending"):
        compute_features(candles.iloc[::-1], SPEC)
    with pytest.raises(ValueError, match="lack column 'volume'"):
        compute_features(candles.drop(columns="volume"), SPEC)
    empty = compute_features(candles.iloc[:0], SPEC)
    assert list(empty.columns) == COLS + ["warmup"] and len(empty) == 0


def test_default_spec_is_valid_and_serialisable():
    SPEC.validate("features")
    assert 50 < SPEC.warmup < 400
    assert json.loads(json.dumps(SPEC.to_dict()))["macd"] == [12, 26, 9]
    assert (
        FeatureSpec(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in SPEC.to_dict().items()}
        )
        == SPEC
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rsi_periods": (1,)}, "features.rsi_periods: must be a list of periods >= 2"),
        ({"macd": (26, 12, 9)}, "features.macd: fast must be < slow"),
        ({"macd": (12, 26)}, r"features.macd: must be \[fast, slow, signal\]"),
        ({"stoch": (14, 0, 3)}, "features.stoch: must be"),
        ({"bollinger_std": 0.0}, r"features.bollinger_std: must be a number in \(0, 10\]"),
        ({"atr_period": 1}, "features.atr_period: must be a whole number >= 2"),
        ({"return_lags": (0,)}, "features.return_lags: must be lags >= 1"),
        ({"volume_zscore_window": True}, "features.volume_zscore_window"),
        ({"cdl_patterns": ("CDLNOPE",)}, "features.cdl_patterns: unknown TA-Lib pattern 'CDLNOPE'"),
        ({"cdl_patterns": ("CDLDOJI", "CDLDOJI")}, "features.cdl_patterns: repeats"),
    ],
)
def test_validate_names_the_key_and_what_is_allowed(changes, message):
    with pytest.raises(ValueError, match=message):
        FeatureSpec(**changes).validate("features")


def test_window_matrix_flattens_the_past_rows_newest_first():
    feats = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0], "b": [10.0, 20.0, 30.0], "warmup": [True, False, False]},
        index=pd.Index([100, 200, 300], name="time"),
    )
    matrix = window_matrix(feats, 2)
    assert list(matrix.columns) == ["a@0", "b@0", "a@1", "b@1"]
    assert matrix.index.equals(feats.index)
    expected = [[1, 10, np.nan, np.nan], [2, 20, 1, 10], [3, 30, 2, 20]]
    np.testing.assert_array_equal(matrix.to_numpy(), np.array(expected, dtype=float))
    assert window_matrix(feats, 5).shape == (3, 10)
    with pytest.raises(ValueError, match="window must be"):
        window_matrix(feats, 0)


def test_window_matrix_has_no_look_ahead(goog_features):
    matrix = window_matrix(goog_features, 4)
    t = 900
    expected = goog_features[COLS].iloc[t - 3 : t + 1].to_numpy()[::-1].ravel()
    np.testing.assert_array_equal(matrix.iloc[t].to_numpy(), expected)
