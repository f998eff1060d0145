"""Backtest strategies: candles and params in, one target position per bar out.

A strategy is a small class with its parameters declared once (``params``: name -> ``Param``)
and one method, ``signals(candles)``, that returns a :class:`Signals`: the target position of each
bar (``1`` long, ``-1`` short, ``0`` flat, ``NaN`` keep; see ``backtest/engine.py``), computed
only from candles up to that bar. A model strategy also returns the model's per-bar predictions
(stored with source ``backtest`` while the run advances) and the time range of its training data,
so a run whose period overlaps it is marked in-sample.

Every strategy also takes the exit parameters ``EXIT_PARAMS`` (``sl_pct``, ``tp_pct``,
``trailing_atr``, ``atr_period``; 0 means off): the engine applies them to each trade
(``backtest/exits.py``), so they never change the signals.

The built-in rules live here; model strategies (which need the model store) are added to the map
in ``backtest/strategies.py``. Adding one is a subclass and a line in that map.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from backtest.exits import Exits


class StrategyError(ValueError):
    """A bad strategy name or parameter; ``field`` says which request field to fix."""

    def __init__(self, message: str, field: str = "params"):
        super().__init__(message)
        self.field = field


def finite_number(value: Any, where: str) -> float:
    """A number (or numeric text) as float, or StrategyError naming ``where``."""
    if isinstance(value, bool):
        raise StrategyError(f"{where}: must be a number, got {value!r}", where)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StrategyError(f"{where}: must be a number, got {value!r}", where) from None
    if not math.isfinite(number):
        raise StrategyError(f"{where}: must be finite, got {value!r}", where)
    return number


@dataclass(frozen=True)
class Param:
    kind: type  # int, float or str
    default: Any
    low: float | None = None
    high: float | None = None
    help: str = ""

    def parse(self, name: str, value: Any) -> Any:
        """The value as ``kind``, or StrategyError naming ``params.<name>``."""
        where = f"params.{name}"
        if self.kind is str:
            if not isinstance(value, str) or not value.strip():
                raise StrategyError(f"{where}: must be a non-empty string, got {value!r}", where)
            return value.strip()
        number = finite_number(value, where)
        if self.kind is int:
            if number != int(number):
                raise StrategyError(f"{where}: must be a whole number, got {value!r}", where)
            number = int(number)
        if self.low is not None and number < self.low:
            raise StrategyError(f"{where}: must be >= {self.low:g}, got {value!r}", where)
        if self.high is not None and number > self.high:
            raise StrategyError(f"{where}: must be <= {self.high:g}, got {value!r}", where)
        return number


@dataclass
class Signals:
    """What a strategy hands the engine and the runner."""

    targets: np.ndarray
    warmup: int = 0
    # model predictions to store, in time order: (kind, prediction dict with "timestamp")
    predictions: list[tuple[str, dict]] = field(default_factory=list)
    # the model that made them: {"name", "version", "run_id"} and its training data's
    # {"start", "end"} (epoch ms) and "symbols" (None: any symbol)
    model: dict | None = None
    trained_on: dict | None = None


# The exits every strategy takes (the engine applies them; 0 or absent: off).
EXIT_PARAMS: dict[str, Param] = {
    "sl_pct": Param(float, 0.0, 0.0, 99.0, "stop-loss, % from the signal bar's close (0: off)"),
    "tp_pct": Param(
        float, 0.0, 0.0, 10_000.0, "take-profit, % from the signal bar's close (0: off)"
    ),
    "trailing_atr": Param(
        float, 0.0, 0.0, 1000.0, "trailing stop, in ATRs from each close (0: off)"
    ),
    "atr_period": Param(int, 100, 1, 100_000, "bars in the trailing stop's average true range"),
}


class Strategy(ABC):
    name: ClassVar[str]
    description: ClassVar[str] = ""
    params: ClassVar[dict[str, Param]] = {}

    def __init__(self, params: dict[str, Any] | None = None, context: Any = None):
        given = dict(params or {})
        unknown = sorted(set(given) - set(self.params) - set(EXIT_PARAMS))
        if unknown:
            allowed = ", ".join([*self.params, *EXIT_PARAMS])
            raise StrategyError(
                f"params.{unknown[0]}: unknown parameter of {self.name} (allowed: {allowed})",
                f"params.{unknown[0]}",
            )
        self.values = {
            key: spec.parse(key, given[key]) if key in given else spec.default
            for key, spec in self.params.items()
        }
        exits = {
            key: spec.parse(key, given[key]) if key in given else spec.default
            for key, spec in EXIT_PARAMS.items()
        }
        self.exits = Exits(**exits)
        # the exits in force, recorded with the run (none: the run records what it did before)
        self.exit_values = {k: v for k, v in exits.items() if v != EXIT_PARAMS[k].default}
        self.check()
        self.context = context

    @property
    def all_values(self) -> dict[str, Any]:
        """The strategy's own parameters (defaults included) and the exits in force."""
        return {**self.values, **self.exit_values}

    @classmethod
    def signal_params(cls) -> tuple[str, ...]:
        """The parameters that change the signals (the exits don't)."""
        return tuple(cls.params)

    def check(self) -> None:  # noqa: B027 (an optional hook)
        """Relations between parameters; raise StrategyError."""

    @abstractmethod
    def signals(self, candles: pd.DataFrame) -> Signals:
        """Target positions for ``candles`` (columns open, high, low, close, volume; index time)."""

    def trial_signals(self, candles) -> Signals:
        """The same signals in a search trial, from the shared arrays (``backtest.trials.
        CandleArrays``: the candles, the signal inputs computed once, a small indicator cache).
        By default through a candle frame; a rule overrides it to reuse indicators across trials,
        a model strategy to map its predictions (computed once) without loading the model."""
        return self.signals(candles.frame())

    def search_inputs(self, candles: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict]:
        """What a search computes once for every trial, in the server (e.g. a model's
        predictions): per-bar arrays shipped to the workers, and facts for the run (``model``,
        ``trained_on``, ``warmup``). Rules need nothing."""
        return {}, {}

    @classmethod
    def describe(cls) -> dict:
        return {
            "name": cls.name,
            "description": cls.description,
            "params": {
                key: {
                    "type": spec.kind.__name__,
                    "default": spec.default,
                    "min": spec.low,
                    "max": spec.high,
                    "help": spec.help,
                }  # fmt: skip
                for key, spec in {**cls.params, **EXIT_PARAMS}.items()
            },
        }


def sma(values: np.ndarray, n: int) -> np.ndarray:
    """Simple moving average, NaN for the first n-1 bars (pandas' rolling mean, bit for bit)."""
    return pd.Series(values).rolling(n).mean().to_numpy()


def crossings(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bars where ``a`` crosses above / below ``b`` (backtesting.py's ``crossover``)."""
    up = np.zeros(len(a), dtype=bool)
    down = np.zeros(len(a), dtype=bool)
    with np.errstate(invalid="ignore"):
        up[1:] = (a[:-1] < b[:-1]) & (a[1:] > b[1:])
        down[1:] = (b[:-1] < a[:-1]) & (b[1:] > a[1:])
    return up, down


class SmaCross(Strategy):
    name = "sma_cross"
    description = "Long when the fast SMA of the close crosses above the slow one, short below."
    params = {
        "fast": Param(int, 10, 1, 100_000, "bars in the fast moving average"),
        "slow": Param(int, 20, 2, 100_000, "bars in the slow moving average"),
    }

    def check(self) -> None:
        if self.values["fast"] >= self.values["slow"]:
            raise StrategyError(
                f"params.fast: must be below slow ({self.values['slow']}),"
                f" got {self.values['fast']}",
                "params.fast",
            )

    def signals(self, candles: pd.DataFrame) -> Signals:
        close = candles["close"].to_numpy(dtype=np.float64)
        fast, slow = sma(close, self.values["fast"]), sma(close, self.values["slow"])
        return self._cross(fast, slow, len(close))

    def trial_signals(self, candles) -> Signals:
        fast, slow = candles.sma(self.values["fast"]), candles.sma(self.values["slow"])
        return self._cross(fast, slow, len(fast))

    def _cross(self, fast: np.ndarray, slow: np.ndarray, n: int) -> Signals:
        up, down = crossings(fast, slow)
        targets = np.full(n, np.nan)
        targets[up], targets[down] = 1.0, -1.0
        # backtesting.py starts trading once every indicator is defined: after slow - 1 bars
        return Signals(targets, warmup=min(self.values["slow"] - 1, n))


class BuyAndHold(Strategy):
    name = "buy_and_hold"
    description = "Buy on the first bar, hold to the end."

    def signals(self, candles: pd.DataFrame) -> Signals:
        # backtesting.py's first call of next() is at bar 1: its order fills at bar 2's open
        targets = np.full(len(candles), np.nan)
        targets[1:2] = 1.0
        return Signals(targets, warmup=0)


BUILTIN: dict[str, type[Strategy]] = {SmaCross.name: SmaCross, BuyAndHold.name: BuyAndHold}
