"""The whole configuration: every package's section, read once from ``config.yaml``.

``load_config`` walks the YAML against the type hints of ``Config`` and a wrong value stops
start-up with a ``ConfigError`` naming the key and what is allowed. Nothing else in the code reads
YAML or uses ``.get(...)`` chains on configuration. It sits in runtime/ because it composes the
sections of every layer (training's included); the layers below are handed their own section.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from alerts.config import AlertsConfig
from core.candles import is_timeframe
from core.config import (
    AnnotationsConfig,
    BacktestConfig,
    ComputeConfig,
    ConfigError,
    DashboardConfig,
    FeedConfig,
    LimitsConfig,
    OrchestratorConfig,
    OutcomesConfig,
    ResearchConfig,
    RetentionConfig,
    ServerConfig,
    StorageConfig,
    build_section,
    check,
)
from training.feature_config import FeatureSpec
from training.neural_config import NeuralConfig
from training.training_config import TrainingConfig

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"


@dataclass(frozen=True)
class Config:
    symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT", "SOL/USDT")
    timeframes: tuple[str, ...] = ("1s", "1m")
    data_dir: str = "data"
    # Where datasets are written and read: empty = <data_dir>/datasets; a shared folder (NFS ...)
    # lets app processes and workers on other machines find the same datasets.
    datasets_dir: str = ""
    buffers: dict[str, int] = field(default_factory=lambda: {"1s": 3600, "1m": 2880})
    server: ServerConfig = field(default_factory=ServerConfig)
    feed: FeedConfig = field(default_factory=FeedConfig)
    dashboard: DashboardConfig = field(default_factory=DashboardConfig)
    orchestrator: OrchestratorConfig = field(default_factory=OrchestratorConfig)
    annotations: AnnotationsConfig = field(default_factory=AnnotationsConfig)
    outcomes: OutcomesConfig = field(default_factory=OutcomesConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    compute: ComputeConfig = field(default_factory=ComputeConfig)
    features: FeatureSpec = field(default_factory=FeatureSpec)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    neural: NeuralConfig = field(default_factory=NeuralConfig)
    backtest: BacktestConfig = field(default_factory=BacktestConfig)
    research: ResearchConfig = field(default_factory=ResearchConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    # Set by load_config: the folder relative paths (data_dir, csv files) are resolved against.
    base_dir: str = "."

    def validate(self, key: str) -> None:
        check(len(self.symbols) > 0, "symbols", "list at least one symbol")
        check(len(set(self.symbols)) == len(self.symbols), "symbols", "has duplicates")
        for symbol in self.symbols:
            check(bool(symbol.strip()), "symbols", "a symbol name is empty")
        check(
            self.timeframes == ("1s", "1m"),
            "timeframes",
            f"the live charts are 1s and 1m: use [1s, 1m], got {list(self.timeframes)}",
        )
        for timeframe, size in self.buffers.items():
            check(
                is_timeframe(timeframe), f"buffers.{timeframe}", "is not a timeframe like 1s or 1m"
            )
            check(60 <= size <= 1_000_000, f"buffers.{timeframe}", "must be 60..1000000 candles")
        if self.feed.kind == "csv":
            missing = [s for s in self.symbols if s not in self.feed.csv.files]
            check(not missing, "feed.csv.files", f"no file for symbols {missing}")

    @property
    def datasets_path(self) -> Path:
        return self.resolve(self.datasets_dir) if self.datasets_dir else self.data_path / "datasets"

    @property
    def data_path(self) -> Path:
        path = Path(self.data_dir)
        return path if path.is_absolute() else Path(self.base_dir) / path

    @property
    def storage_url(self) -> str:
        """The database URL: ``storage.url``, or SQLite in the data folder by default; a
        relative SQLite path is read from the config file's folder."""
        url = self.storage.url.strip()
        if not url:
            return f"sqlite:///{(self.data_path / 'tradedash.db').resolve().as_posix()}"
        if url.startswith("sqlite:///"):
            return f"sqlite:///{self.resolve(url[len('sqlite:///') :]).resolve().as_posix()}"
        return url

    def resolve(self, path: str) -> Path:
        candidate = Path(path)
        return candidate if candidate.is_absolute() else Path(self.base_dir) / candidate


def config_from_dict(data: dict, base_dir: str | Path = ".") -> Config:
    data = dict(data or {})
    data.pop("base_dir", None)
    config = build_section(Config, data, "")
    return dataclasses.replace(config, base_dir=str(base_dir))


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate a config file (``config.yaml`` beside the code by default)."""
    path = Path(path) if path else DEFAULT_CONFIG
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return config_from_dict(data, base_dir=path.resolve().parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
