"""A walk-forward of a model strategy: each fold trains its own model on its in-sample window
only, then the fold's search and out-of-sample run use that model's calls.

- ``cnn``, ``transformer``, ``dqn``: the neural pipeline on the fold's in-sample candles;
- ``pattern``: a dataset of the accepted spans inside the fold's in-sample window (and those
  candles), and the pattern classifier (``training.default_model``) trained on it.

Each fold's model is logged to MLflow as a run of the walk-forward (nested under its parent run,
in ``research.experiment``) and is never registered as a version, aliased or made champion. So no
out-of-sample bar was ever seen in training.
"""

from __future__ import annotations

import logging

from backtest.strategies import STRATEGIES, StrategyContext
from backtest.trials import INPUT_PREFIX, candle_arrays
from core.jobs import JobCancelled
from models.base import TrainingCallback, TrainingCancelled

log = logging.getLogger(__name__)


class _FoldHooks(TrainingCallback):
    """A fold's training reports to the walk-forward's job, and stops on its Cancel."""

    def __init__(self, job, fold: int, total: int, share: float):
        self.job, self.fold, self.total, self.share = job, fold, total, share

    def on_stage(self, stage: str) -> None:
        self.job.progress(self.share, f"fold {self.fold + 1}/{self.total}: training ({stage})")

    def should_stop(self) -> bool:
        return bool(getattr(self.job, "cancelled", lambda: False)())


class FoldModels:
    """The walk-forward's candles, and one model (and its calls) per fold."""

    def __init__(self, research, run_id: str, request, parent_run: str | None, folds: int = 0):
        self.research = research
        self.config = research.config
        self.run_id = run_id
        self.request = request
        self.parent_run = parent_run
        self.candles = None
        self.total = folds
        self._described: dict[int, dict] = {}

    def load(self, job):
        request = self.request
        job.progress(0.0, "loading candles")
        self.candles = self.research.candles.history(request.symbol, request.timeframe,
                                                     request.start, request.end + 1)  # fmt: skip
        if len(self.candles) < 3:
            raise ValueError(f"only {len(self.candles)} candles in the period: nothing to search")
        return self.candles, candle_arrays(self.candles), {}

    def fold_inputs(self, fold, job, share: float = 0.0):
        """Train the fold's model on its in-sample candles only, then its calls on every bar up
        to the end of the fold's out-of-sample window (each from candles up to that bar)."""
        request = self.request
        in_sample = self.candles.iloc[fold.is_lo : fold.is_hi]
        hooks = _FoldHooks(job, fold.index, self.total, share)
        tags = {"walkforward_id": self.run_id, "fold": str(fold.index),
                "in_sample": f"{int(in_sample.index[0])}..{int(in_sample.index[-1])}"}  # fmt: skip
        if self.parent_run:
            tags["mlflow.parentRunId"] = self.parent_run
        try:
            if request.strategy == "pattern":
                model, described = self._train_pattern(fold, in_sample, hooks, tags)
            else:
                model, described = self._train_neural(fold, in_sample, hooks, tags)
        except TrainingCancelled as exc:
            raise JobCancelled() from exc
        self._described[fold.index] = described
        upto = self.candles.iloc[: fold.oos_hi]
        context = StrategyContext(self.config, request.symbol, request.timeframe)
        strategy = STRATEGIES[request.strategy](None, None)  # no champion needed
        strategy.context = context
        inputs, meta = strategy.inputs_from(model, upto)
        meta["model"] = described
        meta["trained_on"] = {**described["trained_on"], "symbols": [request.symbol]}
        arrays = candle_arrays(upto)
        arrays.update({INPUT_PREFIX + name: values for name, values in inputs.items()})
        return arrays, meta

    def describe(self, fold) -> dict:
        return self._described.get(fold.index, {})

    def _train_neural(self, fold, in_sample, hooks, tags):
        from serving.neural_inference import NeuralModel
        from training.neural_pipeline import train_neural

        request, config = self.request, self.config
        frames = {f"{request.symbol}|{request.timeframe}": in_sample}
        result = train_neural(
            request.strategy, frames, config.data_path, config.training, config.neural,
            callback=hooks, register=False, experiment=config.research.experiment, tags=tags,
        )  # fmt: skip
        version = f"walk-forward {self.run_id} fold {fold.index + 1}"
        model = NeuralModel(request.strategy, result.model, result.info, version)
        return model, {"kind": request.strategy, "run_id": result.run_id, "registered": False,
                       "version": version, "trained_on": result.trained_on}  # fmt: skip

    def _train_pattern(self, fold, in_sample, hooks, tags):
        from core.config import build_section
        from serving.pattern_inference import LoadedModel
        from training.datasets import build_dataset
        from training.feature_config import FeatureSpec
        from training.pipeline import train

        request, config = self.request, self.config
        start, end = int(in_sample.index[0]), int(in_sample.index[-1])
        spans = [
            s for s in self.research.annotations.list(
                symbol=request.symbol, timeframe=request.timeframe, status="accepted")
            if s.start >= start and s.end <= end
        ]  # fmt: skip
        if not spans:
            raise ValueError(
                f"fold {fold.index + 1}: no accepted spans of {request.symbol}"
                f" {request.timeframe} inside its in-sample window to train the pattern"
                " classifier on"
            )
        root = config.data_path / "walkforward" / self.run_id / "datasets"
        dataset = build_dataset({(request.symbol, request.timeframe): in_sample}, spans,
                                config.features, config.training.window, root)  # fmt: skip
        model_type = config.training.default_model
        result = train(model_type, root, config.data_path, config.training, dataset.version,
                       callback=hooks, register=False, experiment=config.research.experiment,
                       tags=tags)  # fmt: skip
        version = f"walk-forward {self.run_id} fold {fold.index + 1}"
        # no dataset_version: the fold's dataset lives with the walk-forward, not in datasets/
        info = {**result.info, "name": model_type, "version": version, "dataset_version": None}
        spec = build_section(FeatureSpec, info.get("feature_spec") or {}, "feature_spec")
        loaded = LoadedModel(result.model, info, spec, int(info["window"]))
        return loaded, {"kind": "pattern", "run_id": result.run_id, "registered": False,
                        "version": version, "trained_on": {"start": start, "end": end},
                        "spans": len(spans)}  # fmt: skip
