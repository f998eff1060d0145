"""Every strategy a backtest can name: the built-in rules and the model strategies.

A model strategy loads a registered model (the champion or a pinned version), computes each bar's
prediction from candles up to that bar only, maps it to a target position, and says when the
model's training data lies, so a run over that time is marked in-sample: the pattern classifier
(:class:`PatternStrategy`) and the neural kinds (:class:`NeuralStrategy`: ``cnn``,
``transformer``, ``dqn``). A neural kind is one subclass with a ``targets(predict_frame)`` method
and one line in ``STRATEGIES``::

    class CnnStrategy(DirectionStrategy):       # min_confidence; UP 1, DOWN -1, STABLE 0
        name = kind = "cnn"

    class DqnStrategy(NeuralStrategy):
        name = kind = "dqn"

        def targets(self, frame):               # the agent's position after each decision
            return frame["position"].to_numpy(dtype=np.float64)

The runner stores each ``(kind, prediction)`` through the orchestrator (validated against the
prediction contract, source ``backtest``, ``backtest_id`` = the run) as the run advances, and
marks the run in-sample where ``trained_on`` overlaps its period.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from backtest.rules import BUILTIN, Param, Signals, Strategy, StrategyError
from core.versions import CHAMPION, is_version_number
from serving.neural_live import missing_message, prediction_record

if TYPE_CHECKING:  # the composite is built in runtime/; only its type is named here
    from runtime.config import Config

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StrategyContext:
    """What a model strategy may use besides the candles."""

    config: Config
    symbol: str
    timeframe: str
    patterns: Any = None  # serving.pattern_inference.PatternService (the served pattern classifier)


class ModelStrategy(Strategy):
    """Base of strategies driven by a registered model (``version``: champion or a number)."""

    params = {"version": Param(str, "champion", help="'champion' or a registered version number")}

    def check(self) -> None:
        version = self.values["version"]
        if version != CHAMPION and not is_version_number(version):
            raise StrategyError(
                f"params.version: 'champion' or a version number, got {version!r}",
                "params.version",
            )


def dataset_range(config: Config, dataset_version: str | None) -> dict | None:
    """Time range and symbols of a training dataset (its manifest), or None when unknown."""
    if not dataset_version:
        return None
    path = config.datasets_path / str(dataset_version) / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
        span = manifest["time_range"]
        return {
            "start": int(span["start"]),
            "end": int(span["end"]),
            "symbols": list(manifest.get("symbols") or []) or None,
            "dataset_version": str(dataset_version),
        }
    except (OSError, KeyError, TypeError, ValueError):
        log.warning("training range of dataset %s unknown (%s unreadable)", dataset_version, path)
        return None


class PatternStrategy(ModelStrategy):
    name = "pattern"
    description = (
        "The pattern classifier (champion or a pinned version): each bar's predicted label is a"
        " position through backtest.label_directions in config."
    )
    params = {
        **ModelStrategy.params,
        "min_confidence": Param(float, 0.0, 0.0, 1.0, "ignore predictions below this confidence"),
    }

    def _load(self):
        context: StrategyContext = self.context
        if context is None or context.patterns is None:
            raise StrategyError("the pattern strategy needs the served model", "strategy")
        try:
            return context.patterns.get(None, self.values["version"])
        except LookupError as exc:  # NoModel
            raise StrategyError(f"params.version: {exc}", "params.version") from exc
        except ValueError as exc:  # InputError: a version that is not registered
            raise StrategyError(f"params.version: {exc}", "params.version") from exc

    def search_inputs(self, candles: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict]:
        """The model's call at each bar, computed once: its position (NaN: none or a label
        that keeps) and its confidence; a trial keeps those at or above ``min_confidence``."""
        return self.inputs_from(self._load(), candles)

    def inputs_from(self, loaded, candles: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict]:
        """:meth:`search_inputs` with a given model (a walk-forward fold's, trained in memory)."""
        from serving.pattern_inference import predict_candles

        times, labels, confidence = predict_candles(loaded, candles)
        directions = self.context.config.backtest.label_directions
        position = candles.index.get_indexer(times)
        target = np.full(len(candles), np.nan)
        sure = np.full(len(candles), np.nan)
        target[position] = [float(directions.get(str(label), np.nan)) for label in labels]
        sure[position] = confidence
        info = loaded.info
        model = {"kind": "pattern", "name": info.get("name"), "version": info.get("version"),
                 "run_id": info.get("run_id")}  # fmt: skip
        meta = {
            "warmup": int(position[0]) if len(position) else len(candles),
            "model": model,
            "trained_on": dataset_range(self.context.config, info.get("dataset_version")),
        }
        return {"target": target, "confidence": sure}, meta

    def trial_signals(self, candles) -> Signals:
        with np.errstate(invalid="ignore"):
            keep = candles.input("confidence") >= self.values["min_confidence"]
        targets = np.where(keep, candles.input("target"), np.nan)
        warmup = max(0, int(candles.meta.get("warmup", 0)) - candles.lo)
        return Signals(targets, warmup=min(warmup, max(len(candles) - 1, 0)))

    def signals(self, candles: pd.DataFrame) -> Signals:
        from serving.pattern_inference import predict_candles

        loaded = self._load()
        context: StrategyContext = self.context
        times, labels, confidence = predict_candles(loaded, candles)
        directions = context.config.backtest.label_directions
        position = candles.index.get_indexer(times)
        targets = np.full(len(candles), np.nan)
        mapped = np.array([float(directions.get(str(label), np.nan)) for label in labels])
        keep = confidence >= self.values["min_confidence"]
        targets[position[keep]] = mapped[keep]
        info = loaded.info
        model = {
            "kind": "pattern",
            "name": info.get("name"),
            "version": info.get("version"),
            "run_id": info.get("run_id"),
        }
        warmup = int(position[0]) if len(position) else len(candles)
        return Signals(
            targets,
            warmup=min(warmup, max(len(candles) - 1, 0)),
            model=model,
            trained_on=dataset_range(context.config, info.get("dataset_version")),
        )


# The CNN's and the transformer's direction -> target position (below min_confidence: keep).
DIRECTION_TARGETS = {"UP": 1.0, "DOWN": -1.0, "STABLE": 0.0}


class NeuralStrategy(ModelStrategy):
    """A neural model kind's champion (or a pinned version), loaded from the registry.

    Its predictions (one per bar with a complete window, from candles up to that bar only; see
    ``serving.neural_inference``) are stored with source ``backtest`` as the run advances, and
    its training period (the train split's decision times, on the symbols it was trained on)
    marks the run in-sample where they overlap.
    """

    kind: ClassVar[str]

    def __init__(self, params: dict[str, Any] | None = None, context: Any = None):
        super().__init__(params, context)
        if context is not None and self.values["version"] == "champion":
            # a cheap registry read, so a request for a kind never trained is refused at once
            from serving.neural_inference import champion_version

            if champion_version(context.config, self.kind) is None:
                raise StrategyError(f"strategy: {missing_message(self.kind)}", "strategy")

    def targets(self, frame: pd.DataFrame) -> np.ndarray:
        """Target position per row of ``predict_frame`` (NaN: keep)."""
        confidence = (frame["confidence"].to_numpy(dtype=np.float64) if "confidence" in frame
                      else np.full(len(frame), np.nan))  # fmt: skip
        return self.keep(self.positions(frame), confidence)

    def positions(self, frame: pd.DataFrame) -> np.ndarray:
        """The position each row of ``predict_frame`` calls for, whatever its confidence."""
        raise NotImplementedError

    def keep(self, positions: np.ndarray, confidence: np.ndarray) -> np.ndarray:
        """The calls the strategy acts on (NaN: keep the position); by default all."""
        return positions

    def _load(self):
        from serving.neural_inference import NoNeuralModel, load_neural

        context: StrategyContext = self.context
        version = self.values["version"]
        try:
            return load_neural(context.config, self.kind, version)
        except NoNeuralModel as exc:
            if version == "champion":
                raise StrategyError(f"strategy: {missing_message(self.kind)}", "strategy") from exc
            raise StrategyError(f"params.version: {exc}", "params.version") from exc

    def search_inputs(self, candles: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict]:
        """The model's call at each bar, computed once (its position and confidence); a trial
        applies its own ``min_confidence``. The model is loaded read-only."""
        return self.inputs_from(self._load(), candles)

    def inputs_from(self, model, candles: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict]:
        """:meth:`search_inputs` with a given model (a walk-forward fold's, trained in memory)."""
        frame = self._frame(model, candles)
        position = candles.index.get_indexer(frame["time"])
        calls = np.full(len(candles), np.nan)
        sure = np.full(len(candles), np.nan)
        calls[position] = self.positions(frame)
        sure[position] = frame["confidence"].to_numpy(dtype=np.float64)
        meta = {"warmup": int(position[0]), "model": self._model_info(model),
                "trained_on": {**model.trained_on, "symbols": self._symbols(model)}}  # fmt: skip
        return {"calls": calls, "confidence": sure}, meta

    def trial_signals(self, candles) -> Signals:
        targets = self.keep(candles.input("calls"), candles.input("confidence"))
        warmup = max(0, int(candles.meta.get("warmup", 0)) - candles.lo)
        return Signals(targets, warmup=min(warmup, max(len(candles) - 1, 0)))

    def _frame(self, model, candles: pd.DataFrame) -> pd.DataFrame:
        frame = model.predict_frame(candles)
        if frame.empty:
            raise StrategyError(
                f"{self.kind} v{model.version} needs at least {model.min_candles} candles for its"
                f" first prediction; the period holds {len(candles)}",
                "start",
            )
        return frame

    @staticmethod
    def _symbols(model) -> list[str] | None:
        series = model.info.get("series") or []
        return sorted({str(name).split("|")[0] for name in series}) or None

    def _model_info(self, model) -> dict:
        return {"kind": self.kind, "name": model.name, "version": model.version,
                "run_id": model.run_id}  # fmt: skip

    def signals(self, candles: pd.DataFrame) -> Signals:
        context: StrategyContext = self.context
        model = self._load()
        frame = self._frame(model, candles)
        position = candles.index.get_indexer(frame["time"])
        targets = np.full(len(candles), np.nan)
        targets[position] = self.targets(frame)
        records = frame.to_dict("records")
        predictions = [
            (self.kind, prediction_record(self.kind, model, row, context.timeframe, "backtest"))
            for row in records
        ]
        symbols = self._symbols(model)
        model_info = self._model_info(model)
        return Signals(
            targets,
            warmup=min(int(position[0]), max(len(candles) - 1, 0)),
            predictions=predictions,
            model=model_info,
            trained_on={**model.trained_on, "symbols": symbols},
        )


class DirectionStrategy(NeuralStrategy):
    """CNN and transformer: the predicted direction, when the model is sure enough."""

    params = {
        **ModelStrategy.params,
        "min_confidence": Param(float, 0.5, 0.0, 1.0, "below this confidence the position is kept"),
    }

    def positions(self, frame: pd.DataFrame) -> np.ndarray:
        return frame["direction"].map(DIRECTION_TARGETS).to_numpy(dtype=np.float64)

    def keep(self, positions: np.ndarray, confidence: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            sure = confidence >= self.values["min_confidence"]
        return np.where(sure, positions, np.nan)


class CnnStrategy(DirectionStrategy):
    name = kind = "cnn"
    description = (
        "The CNN (champion or a pinned version): UP -> long, DOWN -> short (flat when short is"
        " off), STABLE -> flat, each when its confidence is at least min_confidence; else keep."
    )


class TransformerStrategy(DirectionStrategy):
    name = kind = "transformer"
    description = (
        "The transformer (champion or a pinned version): UP -> long, DOWN -> short (flat when"
        " short is off), STABLE -> flat, each when its confidence is at least min_confidence;"
        " else keep."
    )


class DqnStrategy(NeuralStrategy):
    """The DQN's own positions: its actions are target positions (``models/trading_env.py``),
    BUY -> long, SELL -> short (flat for an agent trained without short), HOLD -> keep. The
    agent is played forward from flat at its first complete window, each decision seeing the
    position the previous one left; its ``position`` column (after each decision) is the target.
    With allow_short off the engine takes a short target as flat."""

    name = kind = "dqn"
    description = (
        "The DQN agent (champion or a pinned version): BUY -> long, SELL -> short (flat when"
        " short is off), HOLD -> keep the position."
    )

    def positions(self, frame: pd.DataFrame) -> np.ndarray:
        return frame["position"].to_numpy(dtype=np.float64)


STRATEGIES: dict[str, type[Strategy]] = {
    **BUILTIN,
    PatternStrategy.name: PatternStrategy,
    CnnStrategy.name: CnnStrategy,
    TransformerStrategy.name: TransformerStrategy,
    DqnStrategy.name: DqnStrategy,
}


# strategies driven by a registered model (a walk-forward trains one per fold instead)
MODEL_STRATEGIES = tuple(n for n, cls in STRATEGIES.items() if issubclass(cls, ModelStrategy))


def make_strategy(name: Any, params: dict | None, context: StrategyContext | None) -> Strategy:
    """The named strategy with checked params, or StrategyError naming the field."""
    cls = STRATEGIES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise StrategyError(
            f"strategy: unknown strategy {name!r} (one of {', '.join(STRATEGIES)})", "strategy"
        )
    if params is not None and not isinstance(params, dict):
        raise StrategyError(f"params: must be an object, got {params!r}", "params")
    return cls(params, context)


def in_sample(trained_on: dict | None, symbol: str, start: int, end: int) -> dict | None:
    """The overlap of the backtest period with the model's training data, or None."""
    if not trained_on:
        return None
    symbols = trained_on.get("symbols")
    if symbols and symbol not in symbols:
        return None
    low, high = max(start, trained_on["start"]), min(end, trained_on["end"])
    if low > high:
        return None
    return {"start": int(low), "end": int(high), "trained_on": trained_on}
