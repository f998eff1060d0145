"""Outcome arithmetic: how a stored prediction is scored against the candles that followed it.

Pure functions over a ``Closes`` series (closed candles only, open times ascending).

- **CNN / transformer targets**: the realised price is the close of the candle covering
  ``timestamp + horizon``. Where that candle is missing but a later one exists (a gap the feed never
  filled), the realised price is the last close before it: the last price anyone could trade at
  the horizon. The direction is right when the realised move falls on the same side of the STABLE
  band (``outcomes.stable_band_pct``) as the predicted one. ``error_pct`` is the target's absolute
  error as a percentage of the realised price; ``naive_error_pct`` the same for the naive
  forecast, the price at prediction time. ``resolved_at`` is the close time of the covering
  candle: the market time at which the outcome became known, the same after a restart or replay.
- **Actions** (DQN, and transformer predictions that carry only an action): the action fills at
  the open of the candle after the prediction's candle and is held ``dqn_horizon_candles`` candles,
  to the close of the last. BUY scores the long return, SELL the short return, each net of
  ``fee_pct`` on entry and on exit; a hit is a positive net return. HOLD is a hit when neither
  trade would have earned its fees. The realised price is the exit close.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.candles import bucket_start
from predictions.book import TARGET_FIELD
from predictions.input import direction_of_change


@dataclass(frozen=True)
class Closes:
    """Closed candles of one series: open times, opens and closes, and the candle length."""

    times: np.ndarray
    opens: np.ndarray
    closes: np.ndarray
    frame_ms: int

    @classmethod
    def from_frame(cls, frame, frame_ms: int) -> Closes:
        return cls(
            frame.index.to_numpy(dtype=np.int64),
            frame["open"].to_numpy(dtype=float),
            frame["close"].to_numpy(dtype=float),
            frame_ms,
        )


def is_action(prediction: dict) -> bool:
    """Scored as a trade: a DQN action, or a prediction with an action and no target."""
    target = TARGET_FIELD.get(prediction["kind"])
    return target is None or prediction.get(target) is None


def due_time(prediction: dict, frame_ms: int, hold_candles: int) -> int:
    """The earliest market time at which the prediction can be scored."""
    if is_action(prediction):
        return bucket_start(prediction["timestamp"], frame_ms) + (hold_candles + 1) * frame_ms
    due = prediction["timestamp"] + int(round(prediction["horizon_minutes"] * 60_000))
    return bucket_start(due, frame_ms) + frame_ms


def target_outcome(prediction: dict, series: Closes, band_pct: float) -> dict | None:
    """The outcome of a CNN/transformer target, or None while it can't be known yet."""
    due = prediction["timestamp"] + int(round(prediction["horizon_minutes"] * 60_000))
    times = series.times
    index = int(np.searchsorted(times, due, side="right")) - 1
    if index < 0:
        return None  # no candle at or before the horizon: nothing to compare with
    covered = times[index] + series.frame_ms > due
    if not covered and index + 1 >= len(times):
        return None  # the covering candle has not closed yet
    realised = float(series.closes[index])
    current = float(prediction["current_price"])
    target = float(prediction[TARGET_FIELD[prediction["kind"]]])
    realised_direction = direction_of_change((realised / current - 1) * 100, band_pct)
    return {
        "resolved_at": bucket_start(due, series.frame_ms) + series.frame_ms,
        "realised_price": realised,
        "hit": realised_direction == prediction["direction"],
        "error_pct": abs(target - realised) / realised * 100,
        "naive_error_pct": abs(current - realised) / realised * 100,
        "detail": {
            "realised_direction": realised_direction,
            "realised_from": "close at horizon" if covered else "last close before a gap",
        },
    }


def action_outcome(prediction: dict, series: Closes, hold: int, fee_pct: float) -> dict | None:
    """The outcome of a trade action, or None while its holding period has not closed."""
    candle = bucket_start(prediction["timestamp"], series.frame_ms)
    fill = int(np.searchsorted(series.times, candle, side="right"))
    exit_ = fill + hold - 1
    if exit_ >= len(series.times):
        return None
    entry, leave = float(series.opens[fill]), float(series.closes[exit_])
    long_net = (leave / entry - 1) * 100 - 2 * fee_pct
    short_net = (1 - leave / entry) * 100 - 2 * fee_pct
    action = prediction["action"]
    net = {"BUY": long_net, "SELL": short_net, "HOLD": 0.0}[action]
    hit = net > 0 if action != "HOLD" else max(long_net, short_net) <= 0
    best = "BUY" if long_net > 0 else "SELL" if short_net > 0 else "HOLD"
    return {
        "resolved_at": int(series.times[exit_]) + series.frame_ms,
        "realised_price": leave,
        "hit": hit,
        "error_pct": None,
        "naive_error_pct": None,
        "detail": {
            "realised_direction": best,
            "return_pct": net,
            "entry_price": entry,
            "entry_time": int(series.times[fill]),
        },
    }


def resolve(prediction: dict, series: Closes, config) -> dict | None:
    """The outcome of one prediction (with ``id`` and ``symbol``), or None while pending.
    ``config``: the ``outcomes`` section (stable_band_pct, fee_pct, dqn_horizon_candles)."""
    if is_action(prediction):
        found = action_outcome(prediction, series, config.dqn_horizon_candles, config.fee_pct)
    else:
        # Scored with the band its model was trained with, where the prediction says so.
        band = prediction.get("stable_band_pct")
        band = config.stable_band_pct if band is None else float(band)
        found = target_outcome(prediction, series, band)
    if found is None:
        return None
    return {"id": prediction["id"], "symbol": prediction["symbol"], **found}
