"""The ``features:`` section of config.yaml, without the feature code (and TA-Lib) behind it.

``core.config`` loads this at start-up; :mod:`training.features` computes what it describes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import cache

from core.config_checks import requirer, whole
from labels.cdl_names import CDL_PATTERNS, check_patterns

# Relative weight the seed of an exponential smoothing may keep when warm-up ends.
SETTLE_TOLERANCE = 1e-4


@dataclass(frozen=True)
class FeatureSpec:
    """The ``features:`` section of config.yaml. An empty tuple turns that indicator off."""

    rsi_periods: tuple[int, ...] = (14,)
    macd: tuple[int, ...] = (12, 26, 9)
    bollinger_period: int = 20
    bollinger_std: float = 2.0
    atr_period: int = 14
    adx_period: int = 14
    obv: bool = True
    obv_window: int = 20
    ma_ratios: tuple[int, ...] = (5, 20, 50)
    stoch: tuple[int, ...] = (14, 3, 3)
    return_lags: tuple[int, ...] = (1, 2, 3, 5, 10)
    volume_zscore_window: int = 20
    cdl_patterns: tuple[str, ...] | None = None
    include_cdl: bool = True

    def validate(self, key: str = "features") -> None:
        need = requirer(self, key)
        for name in ("rsi_periods", "ma_ratios"):
            values = getattr(self, name)
            need(all(whole(v, 2) for v in values), name, "must be a list of periods >= 2")
        need(all(whole(v, 1) for v in self.return_lags), "return_lags", "must be lags >= 1")
        need(
            len(self.macd) == 0 or (len(self.macd) == 3 and all(whole(v, 2) for v in self.macd)),
            "macd",
            "must be [fast, slow, signal] periods >= 2, or [] to turn MACD off",
        )
        need(len(self.macd) == 0 or self.macd[0] < self.macd[1], "macd", "fast must be < slow")
        need(
            len(self.stoch) == 0 or (len(self.stoch) == 3 and all(whole(v, 1) for v in self.stoch)),
            "stoch",
            "must be [fastk, slowk, slowd] periods >= 1, or [] to turn it off",
        )
        for name in ("bollinger_period", "atr_period", "adx_period", "obv_window"):
            need(whole(getattr(self, name), 2), name, "must be a whole number >= 2")
        need(whole(self.volume_zscore_window, 2), "volume_zscore_window", "must be >= 2")
        std = self.bollinger_std
        ok = isinstance(std, (int, float)) and not isinstance(std, bool) and 0 < std <= 10
        need(ok and math.isfinite(std), "bollinger_std", "must be a number in (0, 10]")
        if self.cdl_patterns is not None:
            try:
                check_patterns(self.cdl_patterns)
            except ValueError as exc:
                raise ValueError(f"{key}.cdl_patterns: {exc}") from None
            need(len(set(self.cdl_patterns)) == len(self.cdl_patterns), "cdl_patterns", "repeats")

    @property
    def patterns(self) -> tuple[str, ...]:
        """The CDL functions these features use (none when ``include_cdl`` is false)."""
        if not self.include_cdl:
            return ()
        return CDL_PATTERNS if self.cdl_patterns is None else tuple(self.cdl_patterns)

    @property
    def warmup(self) -> int:
        """Rows at the start of a series whose features are not yet valid."""
        need = [self.atr_period + _settle(1 / self.atr_period), 1, self.volume_zscore_window - 1]
        need += [n + _settle(1 / n) for n in self.rsi_periods]
        if self.macd:
            fast, slow, signal = self.macd
            ema = _settle(2 / (slow + 1)) + _settle(2 / (signal + 1))
            need.append(slow + signal - 2 + ema)
        need.append(self.bollinger_period - 1)
        need.append(2 * self.adx_period - 1 + 2 * _settle(1 / self.adx_period))
        if self.obv:
            need.append(self.obv_window - 1)
        need += [n - 1 for n in self.ma_ratios] + list(self.return_lags)
        if self.stoch:
            need.append(sum(self.stoch) - 3)
        need += [cdl_lookback(name) for name in self.patterns]
        return max(need)

    def to_dict(self) -> dict:
        """JSON-ready form (lists for tuples), as stored in dataset manifests."""
        data = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def _settle(alpha: float) -> int:
    """Steps after which an exponential smoothing's seed weighs less than SETTLE_TOLERANCE."""
    return math.ceil(math.log(SETTLE_TOLERANCE) / math.log(1 - alpha))


@cache
def cdl_lookback(name: str) -> int:
    import talib.abstract

    return int(talib.abstract.Function(name).lookback)
