"""Typed configuration, loaded once from ``config.yaml`` and validated.

Every section is a frozen dataclass; ``load_config`` walks the YAML against the type hints and a
wrong value stops start-up with a ``ConfigError`` naming the key and what is allowed. Nothing else
in the code reads YAML or uses ``.get(...)`` chains on configuration.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from core.candles import is_timeframe
from training.feature_config import FeatureSpec
from training.neural_config import NeuralConfig
from training.training_config import TrainingConfig

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"


class ConfigError(ValueError):
    """A configuration value that is missing, of the wrong type or out of range."""


def _check(ok: bool, key: str, message: str) -> None:
    if not ok:
        raise ConfigError(f"{key}: {message}")


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8050
    debug: bool = False
    # Required for any host but loopback, and for debug: every request must carry it.
    auth_token: str | None = None
    # Host names clients use besides loopback and `host` (DNS-rebinding check); "*" for any.
    allowed_hosts: tuple[str, ...] = ()
    threads: int = 8
    max_body_mb: int = 16

    def validate(self, key: str) -> None:
        _check(0 < self.port < 65536, f"{key}.port", f"must be 1..65535, got {self.port}")
        _check(
            self.auth_token is None or len(self.auth_token) >= 16,
            f"{key}.auth_token",
            "must be at least 16 characters (a long random string)",
        )
        _check(1 <= self.threads <= 64, f"{key}.threads", "must be 1..64")
        _check(1 <= self.max_body_mb <= 1024, f"{key}.max_body_mb", "must be 1..1024")


@dataclass(frozen=True)
class LimitsConfig:
    """Caps on the work one request or one button press can start."""

    autolabel_hours: float = 24.0 * 31
    range_days: float = 366.0  # a span, export or history range
    dataset_candles: int = 5_000_000

    def validate(self, key: str) -> None:
        _check(0 < self.autolabel_hours <= 24 * 3660, f"{key}.autolabel_hours", "must be > 0")
        _check(0 < self.range_days <= 36600, f"{key}.range_days", "must be > 0")
        _check(self.dataset_candles >= 1000, f"{key}.dataset_candles", "must be >= 1000")


@dataclass(frozen=True)
class RetentionConfig:
    """How long the live symbols' candles are kept in SQLite, per timeframe, in days; a
    timeframe not listed (or null) is kept forever, and so are imported series."""

    days: dict[str, float | None] = field(default_factory=lambda: {"1s": 30.0})
    every_minutes: float = 60.0

    def validate(self, key: str) -> None:
        for timeframe, days in self.days.items():
            _check(is_timeframe(timeframe), f"{key}.days.{timeframe}", "is not a timeframe")
            _check(days is None or days > 0, f"{key}.days.{timeframe}", "must be > 0 or null")
        _check(self.every_minutes > 0, f"{key}.every_minutes", "must be > 0")


@dataclass(frozen=True)
class MarketConfig:
    """Character of one simulated market."""

    price: float = 100.0
    tick_size: float = 0.01
    daily_volatility: float = 0.03
    base_volume: float = 10.0

    def validate(self, key: str) -> None:
        _check(self.price > 0, f"{key}.price", "must be > 0")
        _check(0 < self.tick_size < self.price, f"{key}.tick_size", "must be > 0 and below price")
        _check(0 < self.daily_volatility < 1, f"{key}.daily_volatility", "must be in (0, 1)")
        _check(self.base_volume > 0, f"{key}.base_volume", "must be > 0")


@dataclass(frozen=True)
class SimFeedConfig:
    seed: int = 42
    tick_interval_ms: int = 250
    markets: dict[str, MarketConfig] = field(default_factory=dict)

    def validate(self, key: str) -> None:
        _check(20 <= self.tick_interval_ms <= 1000, f"{key}.tick_interval_ms", "must be 20..1000")


@dataclass(frozen=True)
class CsvFeedConfig:
    """Replay of OHLCV files, one per symbol."""

    files: dict[str, str] = field(default_factory=dict)
    speed: float = 1.0
    loop: bool = True

    def validate(self, key: str) -> None:
        _check(self.speed > 0, f"{key}.speed", "must be > 0 (1.0 = real time)")


@dataclass(frozen=True)
class CcxtFeedConfig:
    exchange: str = "binance"
    api_url: str | None = None
    timeout_ms: int = 10_000
    market_symbols: dict[str, str] = field(default_factory=dict)

    def validate(self, key: str) -> None:
        _check(self.timeout_ms > 0, f"{key}.timeout_ms", "must be > 0")


@dataclass(frozen=True)
class FeedConfig:
    kind: Literal["sim", "csv", "ccxt"] = "sim"
    poll_interval_s: float = 0.25
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    stale_after_s: float = 10.0
    # History fetched (or, for the simulator, generated) at start where none is stored yet.
    backfill_1m_hours: float = 24.0
    backfill_1s_minutes: float = 60.0
    sim: SimFeedConfig = field(default_factory=SimFeedConfig)
    csv: CsvFeedConfig = field(default_factory=CsvFeedConfig)
    ccxt: CcxtFeedConfig = field(default_factory=CcxtFeedConfig)

    def validate(self, key: str) -> None:
        _check(0 < self.poll_interval_s <= 60, f"{key}.poll_interval_s", "must be in (0, 60]")
        _check(self.backoff_initial_s > 0, f"{key}.backoff_initial_s", "must be > 0")
        _check(
            self.backoff_max_s >= self.backoff_initial_s,
            f"{key}.backoff_max_s",
            "must be >= backoff_initial_s",
        )
        _check(self.stale_after_s > 0, f"{key}.stale_after_s", "must be > 0")
        _check(0 <= self.backfill_1m_hours <= 24 * 30, f"{key}.backfill_1m_hours", "must be 0..720")
        _check(
            0 <= self.backfill_1s_minutes <= 24 * 60,
            f"{key}.backfill_1s_minutes",
            "must be 0..1440",
        )


@dataclass(frozen=True)
class DashboardConfig:
    refresh_interval_ms: int = 1000
    window_1s_minutes: float = 10.0
    window_1m_candles: int = 2000
    title: str = "TradeDash"
    view_candles: int = 150  # candles the minute chart opens on (the 1 s chart: its window)
    pattern_min_confidence: float = 0.8  # the slider's start: below it the chart gets crowded

    def validate(self, key: str) -> None:
        _check(
            200 <= self.refresh_interval_ms <= 60_000,
            f"{key}.refresh_interval_ms",
            "must be 200..60000",
        )
        _check(self.window_1s_minutes > 0, f"{key}.window_1s_minutes", "must be > 0")
        _check(
            10 <= self.window_1m_candles <= 20_000, f"{key}.window_1m_candles", "must be 10..20000"
        )
        _check(10 <= self.view_candles <= 20_000, f"{key}.view_candles", "must be 10..20000")
        _check(
            0 <= self.pattern_min_confidence <= 1,
            f"{key}.pattern_min_confidence",
            "must be 0..1",
        )


@dataclass(frozen=True)
class OrchestratorConfig:
    prediction_maxlen: int = 50

    def validate(self, key: str) -> None:
        _check(
            1 <= self.prediction_maxlen <= 10_000, f"{key}.prediction_maxlen", "must be 1..10000"
        )


@dataclass(frozen=True)
class OutcomesConfig:
    """How stored predictions are scored once their horizon has passed (see core/outcomes.py)."""

    # A move within +-band % counts as STABLE, for a missing direction and for scoring a
    # prediction that doesn't carry its model's band (our neural models' predictions do).
    stable_band_pct: float = 0.05
    fee_pct: float = 0.1  # per side, for the net return of a DQN action
    dqn_horizon_candles: int = 5  # candles held after the fill before a DQN action is scored
    interval_s: float = 5.0  # resolution pass at least this often (imported series, catch-up)

    def validate(self, key: str) -> None:
        _check(0 <= self.stable_band_pct < 50, f"{key}.stable_band_pct", "must be 0..50")
        _check(0 <= self.fee_pct < 10, f"{key}.fee_pct", "must be 0..10 (percent per side)")
        horizon = self.dqn_horizon_candles
        _check(1 <= horizon <= 10_000, f"{key}.dqn_horizon_candles", "must be 1..10000")
        _check(0.1 <= self.interval_s <= 3600, f"{key}.interval_s", "must be 0.1..3600 seconds")


@dataclass(frozen=True)
class AnnotationsConfig:
    labels: tuple[str, ...] = (
        "bull_flag", "bear_flag", "double_top", "double_bottom", "head_and_shoulders",
        "breakout", "breakdown", "reversal_up", "reversal_down", "consolidation",
    )  # fmt: skip
    author: str = "annotator"

    def validate(self, key: str) -> None:
        _check(all(label.strip() for label in self.labels), f"{key}.labels", "has an empty label")


@dataclass(frozen=True)
class BacktestConfig:
    """The ``backtest:`` section: defaults of the Backtest tab and API, and model strategies."""

    cash: float = 10_000.0
    commission: float = 0.001
    size: float = 1.0  # fraction of equity per trade (1 = all of it)
    fractional_unit: float = 1e-8  # smallest tradable amount of an asset (1 = whole units)
    period_hours: float = 24.0  # default period: the last N hours
    max_candles: int = 2_000_000
    experiment: str = "backtests"  # MLflow experiment the runs are logged to
    # pattern classifier: its labels -> 1 long, -1 short, 0 flat (labels not listed: keep)
    label_directions: dict[str, int] = field(
        default_factory=lambda: {
            "bull_flag": 1, "double_bottom": 1, "breakout": 1, "reversal_up": 1,
            "bear_flag": -1, "double_top": -1, "head_and_shoulders": -1, "breakdown": -1,
            "reversal_down": -1,
        }
    )  # fmt: skip

    def validate(self, key: str) -> None:
        _check(self.cash > 0, f"{key}.cash", f"must be > 0, got {self.cash}")
        _check(-0.1 <= self.commission < 0.1, f"{key}.commission", "must be in [-0.1, 0.1)")
        _check(0 < self.size <= 1, f"{key}.size", f"must be in (0, 1], got {self.size}")
        _check(0 < self.fractional_unit <= 1, f"{key}.fractional_unit", "must be in (0, 1]")
        _check(self.period_hours > 0, f"{key}.period_hours", "must be > 0")
        _check(self.max_candles >= 100, f"{key}.max_candles", "must be >= 100")
        for label, direction in self.label_directions.items():
            _check(
                direction in (-1, 0, 1),
                f"{key}.label_directions.{label}",
                f"must be 1 (long), -1 (short) or 0 (flat), got {direction}",
            )


@dataclass(frozen=True)
class Config:
    symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT", "SOL/USDT")
    timeframes: tuple[str, ...] = ("1s", "1m")
    data_dir: str = "data"
    buffers: dict[str, int] = field(default_factory=lambda: {"1s": 3600, "1m": 2880})
    server: ServerConfig = field(default_factory=ServerConfig)
    feed: FeedConfig = field(default_factory=FeedConfig)
    dashboard: DashboardConfig = field(default_factory=DashboardConfig)
    orchestrator: OrchestratorConfig = field(default_factory=OrchestratorConfig)
    annotations: AnnotationsConfig = field(default_factory=AnnotationsConfig)
    outcomes: OutcomesConfig = field(default_factory=OutcomesConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    features: FeatureSpec = field(default_factory=FeatureSpec)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    neural: NeuralConfig = field(default_factory=NeuralConfig)
    backtest: BacktestConfig = field(default_factory=BacktestConfig)
    # Set by load_config: the folder relative paths (data_dir, csv files) are resolved against.
    base_dir: str = "."

    def validate(self, key: str) -> None:
        _check(len(self.symbols) > 0, "symbols", "list at least one symbol")
        _check(len(set(self.symbols)) == len(self.symbols), "symbols", "has duplicates")
        for symbol in self.symbols:
            _check(bool(symbol.strip()), "symbols", "a symbol name is empty")
        _check(
            self.timeframes == ("1s", "1m"),
            "timeframes",
            f"the live charts are 1s and 1m: use [1s, 1m], got {list(self.timeframes)}",
        )
        for timeframe, size in self.buffers.items():
            _check(
                is_timeframe(timeframe), f"buffers.{timeframe}", "is not a timeframe like 1s or 1m"
            )
            _check(60 <= size <= 1_000_000, f"buffers.{timeframe}", "must be 60..1000000 candles")
        if self.feed.kind == "csv":
            missing = [s for s in self.symbols if s not in self.feed.csv.files]
            _check(not missing, "feed.csv.files", f"no file for symbols {missing}")

    @property
    def datasets_path(self) -> Path:
        return self.data_path / "datasets"

    @property
    def data_path(self) -> Path:
        path = Path(self.data_dir)
        return path if path.is_absolute() else Path(self.base_dir) / path

    def resolve(self, path: str) -> Path:
        candidate = Path(path)
        return candidate if candidate.is_absolute() else Path(self.base_dir) / candidate


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (tuple, list):
        return "a list"
    if origin is dict:
        return "a mapping"
    if dataclasses.is_dataclass(tp):
        return "a mapping"
    return getattr(tp, "__name__", str(tp))


def _convert(tp: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, key)
    if origin is Literal:
        _check(value in args, key, f"must be {_type_name(tp)}, got {value!r}")
        return value
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key)
    if origin is tuple:
        _check(isinstance(value, list), key, f"must be a list, got {value!r}")
        return tuple(_convert(args[0], v, f"{key}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        _check(isinstance(value, dict), key, f"must be a mapping, got {value!r}")
        return {
            _convert(args[0], k, f"{key}"): _convert(args[1], v, f"{key}.{k}")
            for k, v in value.items()
        }
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        _check(ok, key, f"must be a number, got {value!r}")
        try:
            number = float(value)
        except OverflowError:  # a whole number too large for a float
            number = math.inf
        _check(math.isfinite(number), key, f"must be a finite number, got {value!r}")
        return number
    if tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        _check(ok, key, f"must be a whole number, got {value!r}")
        return value
    if tp is bool:
        _check(isinstance(value, bool), key, f"must be true or false, got {value!r}")
        return value
    if tp is str:
        _check(isinstance(value, str), key, f"must be text, got {value!r}")
        return value
    return value


def _build(cls: type, data: Any, key: str) -> Any:
    _check(isinstance(data, dict), key or "config", f"must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init and f.name != "base_dir"}
    unknown = sorted(set(data) - names)
    prefix = f"{key}." if key else ""
    if unknown:
        raise ConfigError(
            f"{prefix}{unknown[0]}: unknown key (allowed here: {', '.join(sorted(names))})"
        )
    kwargs = {name: _convert(hints[name], value, f"{prefix}{name}") for name, value in data.items()}
    obj = cls(**kwargs)
    try:
        if hasattr(obj, "validate"):
            obj.validate(key)
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if (
                dataclasses.is_dataclass(value)
                and f.name not in data
                and hasattr(value, "validate")
            ):
                value.validate(f"{prefix}{f.name}")
    except ConfigError:
        raise
    except ValueError as exc:
        # Sections defined outside core (training/, models/) raise plain ValueError.
        raise ConfigError(str(exc)) from exc
    return obj


def config_from_dict(data: dict, base_dir: str | Path = ".") -> Config:
    data = dict(data or {})
    data.pop("base_dir", None)
    config = _build(Config, data, "")
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


def build_section(cls: type, data: dict, key: str):
    """One typed section from a mapping (e.g. the feature spec stored with a trained model)."""
    return _build(cls, dict(data), key)
