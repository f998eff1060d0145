"""A parameter search or walk-forward request (REST body, Backtest tab, CLI), checked field by
field: every refusal names the field to fix (an unknown symbol is a 404, the rest 400)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from backtest.engine import BacktestSettings
from backtest.request import (
    ACCOUNT_FIELDS,
    RequestError,
    check_fields,
    count_candles,
    parse_account,
    parse_period,
    parse_symbols,
)
from backtest.rules import EXIT_PARAMS, Param, StrategyError
from backtest.search_space import (
    Dimension,
    SpaceError,
    grid_size,
    iter_grid,
    parse_constraint,
    parse_dimension,
)
from backtest.stats import DURATION_KEYS, STAT_KEYS
from backtest.strategies import STRATEGIES, StrategyContext, make_strategy

METHODS = ("grid", "tpe")
# statistics a search may maximise: every number backtesting.py reports
MAXIMIZABLE = tuple(k for k in STAT_KEYS if k not in DURATION_KEYS and k not in ("Start", "End"))
SEARCH_FIELDS = (
    "symbol", "timeframe", "start", "end", "strategy", "params", "constraint", "method",
    "max_tries", "seed", "maximize", "min_trades", *ACCOUNT_FIELDS,
)  # fmt: skip
WALKFORWARD_FIELDS = (*SEARCH_FIELDS, "is_bars", "oos_bars", "gap_bars", "anchored")
DEFAULT_TPE_TRIES = 100
MAX_ENUMERATED = 5_000_000  # grid combinations a request may enumerate to count the admissible


@dataclass(frozen=True)
class SearchRequest:
    symbol: str
    timeframe: str
    start: int
    end: int
    strategy: str
    params: dict[str, Any]  # as given: a range "5:50:5", a list, or a fixed value
    constraint: str | None = None
    method: str = "grid"
    max_tries: int | None = None
    seed: int = 0
    maximize: str = "SQN"
    min_trades: int = 1
    cash: float = 10_000.0
    commission: float = 0.001
    size: float = 1.0
    allow_short: bool = True
    trade_on_close: bool = False
    fractional_unit: float = 1.0
    spread: float = 0.0
    # the values each parameter takes (name -> list), in the order given
    space: dict[str, list] = field(default_factory=dict)
    # walk-forward: in-sample, out-of-sample and gap lengths in bars; anchored or rolling
    is_bars: int | None = None
    oos_bars: int | None = None
    gap_bars: int = 0
    anchored: bool = False

    @property
    def settings(self) -> BacktestSettings:
        return BacktestSettings(self.cash, self.commission, self.size, self.allow_short,
                                self.trade_on_close, self.fractional_unit,
                                self.spread)  # fmt: skip

    @property
    def dimensions(self) -> list[Dimension]:
        return [Dimension(name, tuple(values)) for name, values in self.space.items()]

    @property
    def varying(self) -> list[str]:
        return [name for name, values in self.space.items() if len(values) > 1]

    @property
    def fixed(self) -> dict[str, Any]:
        return {name: values[0] for name, values in self.space.items() if len(values) == 1}

    @property
    def tries(self) -> int:
        """Trials tpe runs (grid: at most)."""
        return self.max_tries or DEFAULT_TPE_TRIES

    def admissible(self):
        """The constraint as a function of a trial's params (None: every combination)."""
        check = parse_constraint(self.constraint, list(self.space) + self._defaults_named())
        if check is None:
            return None
        defaults = self._defaults()
        return lambda params: check({**defaults, **self.fixed, **params})

    def _defaults(self) -> dict:
        cls = STRATEGIES[self.strategy]
        return {k: p.default for k, p in {**cls.params, **EXIT_PARAMS}.items()}

    def _defaults_named(self) -> list[str]:
        return list(self._defaults())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.is_bars is None:
            for key in ("is_bars", "oos_bars", "gap_bars", "anchored"):
                data.pop(key)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> SearchRequest:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def _error(exc: SpaceError | StrategyError) -> RequestError:
    return RequestError(str(exc), exc.field)


def _int(body: dict, name: str, default: int | None, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RequestError(f"{name}: must be a whole number, got {value!r}", name)
    try:
        number = float(value)
    except ValueError:
        raise RequestError(f"{name}: must be a whole number, got {value!r}", name) from None
    if not math.isfinite(number) or number != int(number):
        raise RequestError(f"{name}: must be a whole number, got {value!r}", name)
    if not low <= number <= high:
        raise RequestError(f"{name}: must be {low}..{high}, got {value!r}", name)
    return int(number)


def _space(strategy: str, params: Any, cli: bool) -> dict[str, list]:
    """Each parameter's values, checked as the strategy checks one value."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise RequestError(f"params: must be an object, got {params!r}", "params")
    specs: dict[str, Param] = {**STRATEGIES[strategy].params, **EXIT_PARAMS}
    space = {}
    for name, given in params.items():
        if name not in specs:
            allowed = ", ".join(specs)
            raise RequestError(
                f"params.{name}: unknown parameter of {strategy} (allowed: {allowed})",
                f"params.{name}",
            )
        try:
            dimension = parse_dimension(name, given, cli)
            space[name] = list(dict.fromkeys(specs[name].parse(name, v) for v in dimension.values))
        except (SpaceError, StrategyError) as exc:
            raise _error(exc) from None
    return space


def parse_search(body: Any, orch, cli: bool = False, walkforward: bool = False) -> SearchRequest:
    """The checked search (``walkforward``: with the fold fields). ``cli``: parameter values are
    text from ``--param NAME=VALUE`` (``20,50,100`` is a list)."""
    allowed = WALKFORWARD_FIELDS if walkforward else SEARCH_FIELDS
    body = check_fields(body, allowed)
    if isinstance(body.get("symbol"), list):
        raise RequestError("symbol: a search or walk-forward runs on one symbol; pick one",
                           "symbol")  # fmt: skip
    symbol, _, _ = parse_symbols({k: body.get(k) for k in ("symbol",)}, orch)
    timeframe, start, end = parse_period(body, orch, (symbol,))
    strategy = body.get("strategy")
    if not isinstance(strategy, str) or strategy not in STRATEGIES:
        raise RequestError(
            f"strategy: unknown strategy {strategy!r} (one of {', '.join(STRATEGIES)})",
            "strategy",
        )
    space = _space(strategy, body.get("params"), cli)
    varying = [name for name, values in space.items() if len(values) > 1]
    if not varying:
        raise RequestError(
            "params: give at least one parameter a range (fast=5:50:5) or a list"
            " (slow=20,50,100) to search",
            "params",
        )
    fixed = {name: values[0] for name, values in space.items() if len(values) == 1}
    try:
        # a model strategy's version and the champion check, as a backtest checks them (a
        # walk-forward trains its own model per fold: no champion needed)
        texts = {k: v for k, v in fixed.items() if isinstance(v, str)}
        context = StrategyContext(orch.config, symbol, timeframe)
        make_strategy(strategy, texts, None if walkforward else context)
    except StrategyError as exc:
        raise _error(exc) from None
    method = body.get("method") or "grid"
    if method not in METHODS:
        raise RequestError(f"method: one of {', '.join(METHODS)}, got {method!r}", "method")
    maximize = body.get("maximize") or "SQN"
    if maximize not in MAXIMIZABLE:
        raise RequestError(
            f"maximize: {maximize!r} is not a statistic to maximise (one of"
            f" {', '.join(MAXIMIZABLE)})",
            "maximize",
        )
    limit = orch.config.research.max_trials
    request = SearchRequest(
        symbol, timeframe, start, end, strategy, dict(body.get("params") or {}),
        constraint=(body.get("constraint") or None), method=method,
        max_tries=_int(body, "max_tries", None, 1, limit), seed=_int(body, "seed", 0, 0, 2**32 - 1),
        maximize=maximize, min_trades=_int(body, "min_trades", 1, 0, 1_000_000),
        **parse_account(body, orch), space=space,
    )  # fmt: skip
    try:
        admissible = request.admissible()
    except SpaceError as exc:
        raise _error(exc) from None
    if method == "grid":
        _check_grid(request, admissible, limit)
    if walkforward:
        request = _folds(body, orch, request)
    return request


def _check_grid(request: SearchRequest, admissible, limit: int) -> None:
    dimensions = request.dimensions
    size = grid_size(dimensions)
    if size > MAX_ENUMERATED:
        raise RequestError(
            f"params: the grid holds {size} combinations, more than {MAX_ENUMERATED}: narrow the"
            " ranges, or search it with method tpe",
            "params",
        )
    count = size if admissible is None else sum(1 for p in iter_grid(dimensions) if admissible(p))
    if not count:
        raise RequestError("constraint: no combination of the parameters satisfies it",
                           "constraint")  # fmt: skip
    if count > limit and not request.max_tries:
        raise RequestError(
            f"params: the grid holds {count} admissible combinations, more than"
            f" research.max_trials ({limit}): narrow it, or give max_tries to try a random"
            " subset",
            "params",
        )


def _folds(body: dict, orch, request: SearchRequest) -> SearchRequest:
    from dataclasses import replace

    is_bars = _int(body, "is_bars", None, 3, 100_000_000)
    oos_bars = _int(body, "oos_bars", None, 3, 100_000_000)
    if is_bars is None:
        raise RequestError("is_bars: required, the in-sample window's length in bars", "is_bars")
    if oos_bars is None:
        raise RequestError("oos_bars: required, the out-of-sample window's length in bars",
                           "oos_bars")  # fmt: skip
    gap = _int(body, "gap_bars", 0, 0, 100_000_000)
    anchored = body.get("anchored", False)
    if not isinstance(anchored, bool):
        raise RequestError(f"anchored: must be true or false, got {anchored!r}", "anchored")
    from backtest.walkforward import fold_windows

    count = count_candles(orch, request.symbol, request.timeframe, request.start, request.end)
    request = replace(request, is_bars=is_bars, oos_bars=oos_bars, gap_bars=gap,
                      anchored=anchored)  # fmt: skip
    if not fold_windows(count, is_bars, oos_bars, gap, anchored):
        raise RequestError(
            f"is_bars: the period holds {count} candles, too few for one fold of {is_bars}"
            f" in-sample + {gap} gap + {oos_bars} out-of-sample bars",
            "is_bars",
        )
    return request
