"""The DQN's trading environment: pure numpy accounting, shared by training, evaluation and tests.

Timing, never the other way round: the observation at decision ``t`` is the window of candles
ending at the **close of t**; the action fills at the **open of t+1**; the position is then held
until the next fill at the open of t+2. So the return a decision earns is

    step_return[t] = open[t+2] / open[t+1] - 1

Actions are **target positions** (fractions of equity), not orders:

* ``BUY``  -> be long (+1), whatever the position was;
* ``SELL`` -> be short (-1), or flat (0) when ``allow_short`` is false;
* ``HOLD`` -> keep the current position.

Equity after a decision, with ``fee`` the commission rate on the traded notional::

    equity[t+1] = equity[t] * (1 - fee * |position[t] - position[t-1]|)
                            * (1 + position[t] * step_return[t])

The reward of a step is that equity change, ``equity[t+1] / equity[t] - 1``: fees included.
The position is re-marked at every open, so a constant long is exactly buy-and-hold (less one
entry fee).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACTIONS = ("BUY", "HOLD", "SELL")  # sorted, as every Predictor's classes_
BUY, HOLD, SELL = range(3)


def step_returns(opens: np.ndarray) -> np.ndarray:
    """``open[t+2] / open[t+1] - 1`` per decision t; NaN for the last two (no fill to mark)."""
    opens = np.asarray(opens, dtype=np.float64)
    out = np.full(len(opens), np.nan)
    if len(opens) > 2:
        out[:-2] = opens[2:] / opens[1:-1] - 1
    return out


def target_position(action: int, position: float, allow_short: bool = True) -> float:
    if action == BUY:
        return 1.0
    if action == SELL:
        return -1.0 if allow_short else 0.0
    return float(position)


def step(
    action: int, position: float, step_return: float, fee: float, allow_short: bool = True
) -> tuple[float, float]:
    """(new position, reward) of one decision; see the module docstring."""
    new = target_position(action, position, allow_short)
    growth = (1 - fee * abs(new - position)) * (1 + new * step_return)
    return new, growth - 1


@dataclass(frozen=True)
class Episode:
    positions: np.ndarray  # after each decision
    rewards: np.ndarray
    equity: np.ndarray  # equity after each decision's step, starting from 1.0
    trades: int  # decisions that changed the position

    @property
    def total_return(self) -> float:
        return float(self.equity[-1] - 1) if len(self.equity) else 0.0


def simulate(
    actions: np.ndarray,
    returns: np.ndarray,
    fee: float,
    allow_short: bool = True,
    position: float = 0.0,
) -> Episode:
    """Play ``actions`` (codes into ACTIONS) against per-decision ``returns``."""
    actions = np.asarray(actions, dtype=np.int64)
    returns = np.asarray(returns, dtype=np.float64)
    if len(actions) != len(returns):
        raise ValueError(f"{len(actions)} actions for {len(returns)} returns")
    positions = np.empty(len(actions))
    rewards = np.empty(len(actions))
    trades = 0
    for t, (action, ret) in enumerate(zip(actions, returns, strict=True)):
        new, rewards[t] = step(int(action), position, float(ret), fee, allow_short)
        trades += new != position
        positions[t] = position = new
    return Episode(positions, rewards, np.cumprod(1 + rewards), int(trades))


def buy_and_hold(returns: np.ndarray, fee: float) -> Episode:
    """Long from the first fill to the end: the baseline a trading policy must beat."""
    return simulate(np.full(len(returns), BUY), returns, fee)


POSITIONS = (-1.0, 0.0, 1.0)


def rollout(q_by_position: np.ndarray, allow_short: bool = True, position: float = 0.0):
    """Greedy actions in time order, each decision seeing the position the previous one left.
    ``q_by_position[t, i]``: the Q-values of state t when holding ``POSITIONS[i]`` (computed in
    three batches, not one network call per step). Returns (actions, positions)."""
    n = len(q_by_position)
    actions = np.empty(n, dtype=np.int64)
    positions = np.empty(n)
    for t in range(n):
        actions[t] = int(np.argmax(q_by_position[t, POSITIONS.index(position)]))
        positions[t] = position = target_position(int(actions[t]), position, allow_short)
    return actions, positions
