"""Typed configuration sections of the ground and market layers, and the loader that builds any
section from a mapping.

Every section is a frozen dataclass; ``build_section`` walks a mapping against the type hints and a
wrong value raises a ``ConfigError`` naming the key and what is allowed. The whole ``Config``
(these sections plus training's) is composed in ``runtime/config.py``, which reads the YAML.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import math
import os
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from core.candles import is_timeframe
from core.people import ADMIN, ROLES, name_problem
from core.spans import label_problem


class ConfigError(ValueError):
    """A configuration value that is missing, of the wrong type or out of range."""


def check(ok: bool, key: str, message: str) -> None:
    if not ok:
        raise ConfigError(f"{key}: {message}")


MIN_TOKEN_LENGTH = 16
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class UserConfig:
    """One person of ``server.users``: a name, a role and a token (or its sha256, so the config
    file need not hold the token itself)."""

    name: str = ""
    role: str = ""
    token: str | None = None
    token_sha256: str | None = None

    def validate(self, key: str) -> None:
        check(bool(self.name), f"{key}.name", "is required (the person's name)")
        problem = name_problem(self.name)
        check(problem is None, f"{key}.name", str(problem))
        check(bool(self.role), f"{key}.role", f"is required: one of {', '.join(ROLES)}")
        check(
            self.role in ROLES,
            f"{key}.role",
            f"{self.role!r} is not one of {', '.join(ROLES)}",
        )
        check(
            (self.token is None) != (self.token_sha256 is None),
            key,
            "give either token or token_sha256 (one of them, not both)",
        )
        check(
            self.token is None or len(self.token) >= MIN_TOKEN_LENGTH,
            f"{key}.token",
            f"must be at least {MIN_TOKEN_LENGTH} characters (a long random string)",
        )
        digest = self.token_sha256
        check(
            digest is None or (len(digest) == 64 and set(digest.lower()) <= _HEX),
            f"{key}.token_sha256",
            'must be 64 hex digits (python -c "import hashlib; '
            "print(hashlib.sha256(b'TOKEN').hexdigest())\")",
        )


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
    # The reverse proxy's address: X-Forwarded-For/-Proto/-Host/-Port are honoured from it only
    # (the client's address, https for the cookie's Secure flag). None: never honoured.
    trusted_proxy: str | None = None
    session_hours: float = 24.0  # a signed-in browser's cookie expires this long after sign-in
    # Failed sign-ins (the form, or a wrong Bearer token) allowed per client address per window.
    login_attempts: int = 10
    login_window_minutes: float = 15.0
    # Named people with roles; each signs in with their own token. auth_token, when also set,
    # signs in as an operator named "admin".
    users: tuple[UserConfig, ...] = ()

    @property
    def auth_on(self) -> bool:
        """Every request must carry a token: ``auth_token`` or any user is set."""
        return bool(self.auth_token or self.users)

    def validate(self, key: str) -> None:
        check(0 < self.port < 65536, f"{key}.port", f"must be 1..65535, got {self.port}")
        check(
            self.auth_token is None or len(self.auth_token) >= MIN_TOKEN_LENGTH,
            f"{key}.auth_token",
            f"must be at least {MIN_TOKEN_LENGTH} characters (a long random string)",
        )
        self._validate_users(f"{key}.users")
        check(1 <= self.threads <= 64, f"{key}.threads", "must be 1..64")
        check(1 <= self.max_body_mb <= 1024, f"{key}.max_body_mb", "must be 1..1024")
        check(
            self.trusted_proxy is None or _is_ip_address(self.trusted_proxy),
            f"{key}.trusted_proxy",
            f"must be the proxy's IP address (e.g. 127.0.0.1) or null, got {self.trusted_proxy!r}",
        )
        check(
            0 < self.session_hours <= 24 * 90,
            f"{key}.session_hours",
            f"must be more than 0 and at most 2160 (90 days), got {self.session_hours}",
        )
        check(
            1 <= self.login_attempts <= 1000,
            f"{key}.login_attempts",
            f"must be 1..1000 failed sign-ins per window, got {self.login_attempts}",
        )
        check(
            0 < self.login_window_minutes <= 24 * 60,
            f"{key}.login_window_minutes",
            f"must be more than 0 and at most 1440, got {self.login_window_minutes}",
        )

    def _validate_users(self, key: str) -> None:
        """Names and tokens unique (a token must name one person), ``admin`` kept for the
        auth_token."""
        names: dict[str, int] = {}
        digests: dict[str, int] = {}
        if self.auth_token:
            names[ADMIN] = -1
            digests[hashlib.sha256(self.auth_token.encode("utf-8")).hexdigest()] = -1
        for i, user in enumerate(self.users):
            where = f"{key}[{i}]"
            first = names.setdefault(user.name, i)
            check(
                first == i,
                f"{where}.name",
                f"{user.name!r} is taken by server.auth_token (it signs in as {ADMIN!r})"
                if first < 0
                else f"{user.name!r} is already the name of {key}[{first}]",
            )
            digest = (user.token_sha256 or "").lower() or hashlib.sha256(
                (user.token or "").encode("utf-8")
            ).hexdigest()
            first = digests.setdefault(digest, i)
            check(
                first == i,
                where,
                "has the same token as server.auth_token"
                if first < 0
                else f"has the same token as {key}[{first}]: each person needs their own",
            )


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class LimitsConfig:
    """Caps on the work one request or one button press can start."""

    autolabel_hours: float = 24.0 * 31
    range_days: float = 366.0  # a span, export or history range
    dataset_candles: int = 5_000_000
    queued_jobs: int = 20  # backtests waiting to run (besides the one running); more: 429
    # Resolved predictions the accuracy figures read per (kind, model version, symbol): the
    # newest ones (the counts cover all of them).
    accuracy_predictions: int = 20_000

    def validate(self, key: str) -> None:
        check(0 < self.autolabel_hours <= 24 * 3660, f"{key}.autolabel_hours", "must be > 0")
        check(0 < self.range_days <= 36600, f"{key}.range_days", "must be > 0")
        check(self.dataset_candles >= 1000, f"{key}.dataset_candles", "must be >= 1000")
        check(
            1 <= self.queued_jobs <= 1000,
            f"{key}.queued_jobs",
            f"must be 1..1000 waiting jobs, got {self.queued_jobs}",
        )
        check(
            1000 <= self.accuracy_predictions <= 10_000_000,
            f"{key}.accuracy_predictions",
            f"must be 1000..10000000 predictions per model and symbol, got "
            f"{self.accuracy_predictions}",
        )


@dataclass(frozen=True)
class RetentionConfig:
    """How long the live symbols' candles are kept in SQLite, per timeframe, in days; a
    timeframe not listed (or null) is kept forever, and so are imported series."""

    days: dict[str, float | None] = field(default_factory=lambda: {"1s": 30.0})
    every_minutes: float = 60.0

    def validate(self, key: str) -> None:
        for timeframe, days in self.days.items():
            check(is_timeframe(timeframe), f"{key}.days.{timeframe}", "is not a timeframe")
            check(days is None or days > 0, f"{key}.days.{timeframe}", "must be > 0 or null")
        check(self.every_minutes > 0, f"{key}.every_minutes", "must be > 0")


def _masked(url: str) -> str:
    """``url`` with its password as ``***``: config errors are shown and logged."""
    return re.sub(r"(://[^/@:]*:)[^/]*@", r"\1***@", url)


@dataclass(frozen=True)
class StorageConfig:
    """Where the app keeps what must survive a restart. Empty ``url``: SQLite in
    ``<data_dir>/tradedash.db``; ``sqlite:///PATH`` (relative to the config file) or
    ``postgresql://user[:password]@host:port/database`` (needs requirements-scale.txt)."""

    url: str = ""

    def validate(self, key: str) -> None:
        url = self.url.strip()
        check(
            url == "" or url.startswith(("sqlite:///", "postgresql://", "postgres://")),
            f"{key}.url",
            f"must be empty (SQLite under data_dir), sqlite:///PATH or "
            f"postgresql://user@host:port/database, got {_masked(self.url)!r}",
        )
        if url.startswith("sqlite:///"):
            check(len(url) > len("sqlite:///"), f"{key}.url", "names no file after sqlite:///")


def default_workers() -> int:
    """The CPU count less one, at least 1: the server keeps a core."""
    return max(1, (os.cpu_count() or 1) - 1)


@dataclass(frozen=True)
class ComputeConfig:
    """The ``compute:`` section (``core/compute.py``).

    ``backend``/``address``: where training jobs (and other long work through ``core.compute``'s
    executor hook) run: ``local`` (this process's workers) or ``ray`` (tasks on the Ray cluster at
    ``address``: ``auto``, the ``host:port`` of a head, or ``ray://host:10001``; needs
    requirements-scale.txt).

    With ``ray`` the trials of searches and walk-forwards run there too (``core.ray_executor``),
    and so do backtests of rule strategies over at least ``ray_backtest_bars`` candles
    (``backtest/remote.py``; shorter ones run here, where they take less than a task's trip).

    ``workers``: local worker processes of parameter-search trials (``core.compute.LocalExecutor``;
    default: the CPU count less one, at least 1, so the server keeps a core).
    """

    backend: Literal["local", "ray"] = "local"
    address: str = "auto"
    workers: int = field(default_factory=default_workers)
    ray_backtest_bars: int = 200_000

    def validate(self, key: str) -> None:
        address = self.address.strip()
        ok = address == "auto" or (
            ":" in address.removeprefix("ray://")
            and address.removeprefix("ray://").rpartition(":")[2].isdigit()
        )
        check(ok, f"{key}.address",
              f"must be auto, host:port or ray://host:10001, got {self.address!r}")  # fmt: skip
        check(
            1 <= self.workers <= 1024,
            f"{key}.workers",
            f"must be 1..1024 worker processes, got {self.workers}",
        )
        check(
            self.ray_backtest_bars >= 0,
            f"{key}.ray_backtest_bars",
            f"must be 0 (every backtest) or more candles, got {self.ray_backtest_bars}",
        )


@dataclass(frozen=True)
class MarketConfig:
    """Character of one simulated market."""

    price: float = 100.0
    tick_size: float = 0.01
    daily_volatility: float = 0.03
    base_volume: float = 10.0

    def validate(self, key: str) -> None:
        check(self.price > 0, f"{key}.price", "must be > 0")
        check(0 < self.tick_size < self.price, f"{key}.tick_size", "must be > 0 and below price")
        check(0 < self.daily_volatility < 1, f"{key}.daily_volatility", "must be in (0, 1)")
        check(self.base_volume > 0, f"{key}.base_volume", "must be > 0")


@dataclass(frozen=True)
class SimFeedConfig:
    seed: int = 42
    tick_interval_ms: int = 250
    markets: dict[str, MarketConfig] = field(default_factory=dict)

    def validate(self, key: str) -> None:
        check(20 <= self.tick_interval_ms <= 1000, f"{key}.tick_interval_ms", "must be 20..1000")


@dataclass(frozen=True)
class CsvFeedConfig:
    """Replay of OHLCV files, one per symbol."""

    files: dict[str, str] = field(default_factory=dict)
    speed: float = 1.0
    loop: bool = True

    def validate(self, key: str) -> None:
        check(self.speed > 0, f"{key}.speed", "must be > 0 (1.0 = real time)")


@dataclass(frozen=True)
class CcxtFeedConfig:
    exchange: str = "binance"
    api_url: str | None = None
    timeout_ms: int = 10_000
    market_symbols: dict[str, str] = field(default_factory=dict)

    def validate(self, key: str) -> None:
        check(self.timeout_ms > 0, f"{key}.timeout_ms", "must be > 0")


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
        check(0 < self.poll_interval_s <= 60, f"{key}.poll_interval_s", "must be in (0, 60]")
        check(self.backoff_initial_s > 0, f"{key}.backoff_initial_s", "must be > 0")
        check(
            self.backoff_max_s >= self.backoff_initial_s,
            f"{key}.backoff_max_s",
            "must be >= backoff_initial_s",
        )
        check(self.stale_after_s > 0, f"{key}.stale_after_s", "must be > 0")
        check(0 <= self.backfill_1m_hours <= 24 * 30, f"{key}.backfill_1m_hours", "must be 0..720")
        check(
            0 <= self.backfill_1s_minutes <= 24 * 60,
            f"{key}.backfill_1s_minutes",
            "must be 0..1440",
        )


TICK_CLOCKS = ("clock", "interval")


@dataclass(frozen=True)
class DashboardConfig:
    refresh_interval_ms: int = 1000
    window_1s_minutes: float = 10.0
    window_1m_candles: int = 2000
    title: str = "TradeDash"
    view_candles: int = 150  # candles the minute chart opens on (the 1 s chart: its window)
    pattern_min_confidence: float = 0.8  # the slider's start: below it the chart gets crowded
    overlay_full_strength: int = 10  # newest predictions per kind drawn strong; older ones faded
    # "clock": the charts' tick fires tick_offset_ms after each refresh boundary of the clock,
    # the other panels' half an interval later; "interval": one free-running dcc.Interval.
    tick_clock: str = "clock"
    tick_offset_ms: int = 60

    def validate(self, key: str) -> None:
        check(
            200 <= self.refresh_interval_ms <= 60_000,
            f"{key}.refresh_interval_ms",
            "must be 200..60000",
        )
        check(
            self.tick_clock in TICK_CLOCKS,
            f"{key}.tick_clock",
            f"must be one of {', '.join(TICK_CLOCKS)}, got {self.tick_clock!r}",
        )
        check(
            0 <= self.tick_offset_ms < self.refresh_interval_ms // 2,
            f"{key}.tick_offset_ms",
            f"must be 0..{self.refresh_interval_ms // 2 - 1} (under half of refresh_interval_ms)",
        )
        check(self.window_1s_minutes > 0, f"{key}.window_1s_minutes", "must be > 0")
        check(
            10 <= self.window_1m_candles <= 20_000, f"{key}.window_1m_candles", "must be 10..20000"
        )
        check(10 <= self.view_candles <= 20_000, f"{key}.view_candles", "must be 10..20000")
        check(
            0 <= self.pattern_min_confidence <= 1,
            f"{key}.pattern_min_confidence",
            "must be 0..1",
        )
        check(
            1 <= self.overlay_full_strength <= 10_000,
            f"{key}.overlay_full_strength",
            "must be 1..10000 (predictions per kind drawn at full strength)",
        )


@dataclass(frozen=True)
class OrchestratorConfig:
    prediction_maxlen: int = 50

    def validate(self, key: str) -> None:
        check(1 <= self.prediction_maxlen <= 10_000, f"{key}.prediction_maxlen", "must be 1..10000")


@dataclass(frozen=True)
class OutcomesConfig:
    """How stored predictions are scored once their horizon has passed (predictions/outcomes.py)."""

    # A move within +-band % counts as STABLE, for a missing direction and for scoring a
    # prediction that doesn't carry its model's band (our neural models' predictions do).
    stable_band_pct: float = 0.05
    fee_pct: float = 0.1  # per side, for the net return of a DQN action
    dqn_horizon_candles: int = 5  # candles held after the fill before a DQN action is scored
    interval_s: float = 5.0  # resolution pass at least this often (imported series, catch-up)

    def validate(self, key: str) -> None:
        check(0 <= self.stable_band_pct < 50, f"{key}.stable_band_pct", "must be 0..50")
        check(0 <= self.fee_pct < 10, f"{key}.fee_pct", "must be 0..10 (percent per side)")
        horizon = self.dqn_horizon_candles
        check(1 <= horizon <= 10_000, f"{key}.dqn_horizon_candles", "must be 1..10000")
        check(0.1 <= self.interval_s <= 3600, f"{key}.interval_s", "must be 0.1..3600 seconds")


@dataclass(frozen=True)
class AnnotationsConfig:
    labels: tuple[str, ...] = (
        "bull_flag", "bear_flag", "double_top", "double_bottom", "head_and_shoulders",
        "breakout", "breakdown", "reversal_up", "reversal_down", "consolidation",
    )  # fmt: skip
    author: str = "annotator"

    def validate(self, key: str) -> None:
        check(all(label.strip() for label in self.labels), f"{key}.labels", "has an empty label")
        for label in self.labels:
            problem = label_problem(label)
            check(problem is None, f"{key}.labels", str(problem))


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
        check(self.cash > 0, f"{key}.cash", f"must be > 0, got {self.cash}")
        check(-0.1 <= self.commission < 0.1, f"{key}.commission", "must be in [-0.1, 0.1)")
        check(0 < self.size <= 1, f"{key}.size", f"must be in (0, 1], got {self.size}")
        check(0 < self.fractional_unit <= 1, f"{key}.fractional_unit", "must be in (0, 1]")
        check(self.period_hours > 0, f"{key}.period_hours", "must be > 0")
        check(self.max_candles >= 100, f"{key}.max_candles", "must be >= 100")
        for label, direction in self.label_directions.items():
            check(
                direction in (-1, 0, 1),
                f"{key}.label_directions.{label}",
                f"must be 1 (long), -1 (short) or 0 (flat), got {direction}",
            )


@dataclass(frozen=True)
class ResearchConfig:
    """The ``research:`` section: parameter searches and walk-forwards (``backtest/search.py``)."""

    experiment: str = "searches"  # MLflow experiment of searches and walk-forwards
    max_trials: int = 100_000  # trials one search may run (a grid larger than this is refused)
    tpe_batch: int = 8  # tpe: trials asked, run in parallel, then told in order

    def validate(self, key: str) -> None:
        check(bool(self.experiment.strip()), f"{key}.experiment", "must name an experiment")
        check(
            1 <= self.max_trials <= 10_000_000,
            f"{key}.max_trials",
            f"must be 1..10000000 trials, got {self.max_trials}",
        )
        check(1 <= self.tpe_batch <= 1024, f"{key}.tpe_batch", "must be 1..1024 trials")


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
        check(value in args, key, f"must be {_type_name(tp)}, got {value!r}")
        return value
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key)
    if origin is tuple:
        check(isinstance(value, list), key, f"must be a list, got {value!r}")
        return tuple(_convert(args[0], v, f"{key}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        check(isinstance(value, dict), key, f"must be a mapping, got {value!r}")
        return {
            _convert(args[0], k, f"{key}"): _convert(args[1], v, f"{key}.{k}")
            for k, v in value.items()
        }
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        check(ok, key, f"must be a number, got {value!r}")
        try:
            number = float(value)
        except OverflowError:  # a whole number too large for a float
            number = math.inf
        check(math.isfinite(number), key, f"must be a finite number, got {value!r}")
        return number
    if tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        check(ok, key, f"must be a whole number, got {value!r}")
        return value
    if tp is bool:
        check(isinstance(value, bool), key, f"must be true or false, got {value!r}")
        return value
    if tp is str:
        check(isinstance(value, str), key, f"must be text, got {value!r}")
        return value
    return value


def _build(cls: type, data: Any, key: str) -> Any:
    check(isinstance(data, dict), key or "config", f"must be a mapping, got {data!r}")
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


def build_section(cls: type, data: dict, key: str):
    """One typed section from a mapping (e.g. the feature spec stored with a trained model)."""
    return _build(cls, dict(data), key)
