"""Technical indicators of candles: one definition for the charts, ``GET /api/indicators`` and the
model features (``training/features.py`` computes its RSI, MACD, Bollinger, ATR and SMA ratios
with these functions).

SMA, EMA, BBANDS, RSI, MACD and ATR are TA-Lib's. VWAP is not in TA-Lib: :func:`vwap` computes it
in numpy, anchored at each UTC midnight (the cumulative typical price times volume over the
cumulative volume since the day began).

Each value at candle ``t`` depends only on candles up to ``t``. The exponentially smoothed ones
(EMA, RSI, MACD, ATR) also depend, ever less, on where the series began: a chart computes them
over :func:`warmup` earlier candles as well, so what it draws agrees with the values over the
whole stored series (to about 1e-9 of their scale).

>>> spec = parse("RSI", {"period": "14"})
>>> values = compute(spec, arrays)  # doctest: +SKIP
>>> list(values) == output_names(spec)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import talib

DAY_MS = 86_400_000


@dataclass(frozen=True)
class Param:
    name: str
    default: float
    low: float
    high: float
    whole: bool = True


@dataclass(frozen=True)
class Kind:
    """One indicator: its parameters, the series it outputs, and where a chart draws it
    (``price``: over the candles; ``panel``: the sub-panel below them)."""

    name: str
    label: str
    params: tuple[Param, ...]
    outputs: tuple[str, ...]
    place: str


PERIOD = Param("period", 14, 2, 500)
KINDS = {
    "SMA": Kind("SMA", "SMA", (Param("period", 20, 2, 500),), ("SMA",), "price"),
    "EMA": Kind("EMA", "EMA", (Param("period", 50, 2, 500),), ("EMA",), "price"),
    "BBANDS": Kind(
        "BBANDS",
        "Bollinger",
        (Param("period", 20, 2, 500), Param("std", 2.0, 0.1, 10, whole=False)),
        ("BB_upper", "BB_middle", "BB_lower"),
        "price",
    ),  # fmt: skip
    "VWAP": Kind("VWAP", "VWAP", (), ("VWAP",), "price"),
    "RSI": Kind("RSI", "RSI", (PERIOD,), ("RSI",), "panel"),
    "MACD": Kind(
        "MACD",
        "MACD",
        (Param("fast", 12, 2, 500), Param("slow", 26, 2, 500), Param("signal", 9, 1, 500)),
        ("MACD", "MACD_signal", "MACD_hist"),
        "panel",
    ),  # fmt: skip
    "ATR": Kind("ATR", "ATR", (PERIOD,), ("ATR",), "panel"),
}
OVERLAYS = tuple(name for name, kind in KINDS.items() if kind.place == "price")
PANELS = tuple(name for name, kind in KINDS.items() if kind.place == "panel")
# Smoothing periods a value must run for before its seed weighs below e^-20 (about 2e-9).
SETTLE = 20
MAX_WARMUP = 10_000


@dataclass(frozen=True)
class Spec:
    """An indicator with its parameters, e.g. ``Spec("MACD", (("fast", 12), ...))``."""

    name: str
    params: tuple[tuple[str, float], ...]

    @property
    def kind(self) -> Kind:
        return KINDS[self.name]

    def get(self, name: str) -> float:
        return dict(self.params)[name]

    def label(self) -> str:
        values = ", ".join(f"{v:g}" for _, v in self.params)
        return f"{self.kind.label} {values}".strip()

    def key(self) -> str:
        return f"{self.name}({','.join(f'{v:g}' for _, v in self.params)})"


def parse(name: str, raw: dict | None = None, where: str = "") -> Spec:
    """A checked Spec from an indicator name and parameters (strings or numbers; missing ones
    take their default). A ValueError names the indicator, the parameter and what it accepts."""
    at = f" in {where}" if where else ""
    kind = KINDS.get(str(name).upper())
    if kind is None:
        raise ValueError(f"unknown indicator {name!r}{at}; known: {', '.join(KINDS)}")
    raw = dict(raw or {})
    unknown = sorted(set(raw) - {p.name for p in kind.params})
    if unknown:
        allowed = ", ".join(p.name for p in kind.params) or "none"
        raise ValueError(f"{kind.name}{at} has no parameter {unknown[0]!r}; it takes: {allowed}")
    values = []
    for param in kind.params:
        value = raw.get(param.name)
        if value is None or value == "":
            value = param.default
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        bad = not math.isfinite(number) or not param.low <= number <= param.high
        if param.whole and not bad and number != int(number):
            bad = True
        if bad:
            what = "a whole number" if param.whole else "a number"
            raise ValueError(
                f"{kind.name} {param.name}{at} must be {what} in {param.low:g}..{param.high:g},"
                f" got {value!r}"
            )
        values.append((param.name, int(number) if param.whole else number))
    spec = Spec(kind.name, tuple(values))
    fast, slow = dict(values).get("fast"), dict(values).get("slow")
    if kind.name == "MACD" and fast >= slow:
        raise ValueError(f"MACD fast{at} must be below slow, got fast {fast}, slow {slow}")
    return spec


def output_names(spec: Spec) -> list[str]:
    return list(spec.kind.outputs)


def warmup(spec: Spec) -> int:
    """Candles before the first drawn one that a chart reads too: enough for the first value to
    exist and for an exponential smoothing to have forgotten its seed."""
    p = dict(spec.params)
    need = {
        "SMA": lambda: p["period"] - 1,
        "BBANDS": lambda: p["period"] - 1,
        "EMA": lambda: SETTLE * p["period"] // 2,
        "RSI": lambda: SETTLE * p["period"],
        "ATR": lambda: SETTLE * p["period"],
        "MACD": lambda: SETTLE * p["slow"] // 2 + SETTLE * p["signal"] // 2,
        "VWAP": lambda: 0,  # the day's start instead: see ``warmup_start``
    }[spec.name]()
    return int(min(need, MAX_WARMUP))


def warmup_start(spec: Spec, first_time: int, frame_ms: int) -> int:
    """The open time a chart whose first candle opens at ``first_time`` reads candles from."""
    if spec.name == "VWAP":
        return first_time - first_time % DAY_MS
    return first_time - warmup(spec) * frame_ms


def _f64(values) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64)


def sma(close, period: int) -> np.ndarray:
    return talib.SMA(_f64(close), int(period))


def ema(close, period: int) -> np.ndarray:
    return talib.EMA(_f64(close), int(period))


def bbands(close, period: int, std: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(upper, middle, lower): the SMA plus and minus ``std`` population standard deviations."""
    return talib.BBANDS(_f64(close), int(period), float(std), float(std), 0)


def rsi(close, period: int) -> np.ndarray:
    return talib.RSI(_f64(close), int(period))


def macd(close, fast: int, slow: int, signal: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(line, signal, histogram)."""
    return talib.MACD(_f64(close), int(fast), int(slow), int(signal))


def atr(high, low, close, period: int) -> np.ndarray:
    return talib.ATR(_f64(high), _f64(low), _f64(close), int(period))


def vwap(times, high, low, close, volume) -> np.ndarray:
    """Volume-weighted average of the typical price (high + low + close) / 3 since each candle's
    UTC midnight; NaN while the day has traded no volume."""
    times = np.asarray(times, dtype=np.int64)
    if len(times) == 0:
        return np.array([], dtype=np.float64)
    typical = (_f64(high) + _f64(low) + _f64(close)) / 3
    volume = _f64(volume)
    day = times // DAY_MS
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])
    lengths = np.diff(np.r_[starts, len(times)])
    # Cumulative sums that restart each day: subtracting the running total at the day's start
    # from one cumulative sum would lose digits over a year of candles.
    out = np.empty(len(times))
    for begin, size in zip(starts.tolist(), lengths.tolist(), strict=True):
        end = begin + size
        pv = np.cumsum(typical[begin:end] * volume[begin:end])
        vol = np.cumsum(volume[begin:end])
        with np.errstate(divide="ignore", invalid="ignore"):
            out[begin:end] = np.where(vol > 0, pv / vol, np.nan)
    return out


def compute(spec: Spec, times, high, low, close, volume) -> dict[str, np.ndarray]:
    """Every output series of ``spec`` over time-ordered candle columns, named as
    :func:`output_names` lists them; NaN where undefined (the first candles)."""
    p = dict(spec.params)
    if spec.name == "SMA":
        return {"SMA": sma(close, p["period"])}
    if spec.name == "EMA":
        return {"EMA": ema(close, p["period"])}
    if spec.name == "BBANDS":
        return dict(zip(spec.kind.outputs, bbands(close, p["period"], p["std"]), strict=True))
    if spec.name == "RSI":
        return {"RSI": rsi(close, p["period"])}
    if spec.name == "MACD":
        lines = macd(close, p["fast"], p["slow"], p["signal"])
        return dict(zip(spec.kind.outputs, lines, strict=True))
    if spec.name == "ATR":
        return {"ATR": atr(high, low, close, p["period"])}
    return {"VWAP": vwap(times, high, low, close, volume)}


def compute_candles(spec: Spec, candles) -> dict[str, np.ndarray]:
    """:func:`compute` over a list of ``Candle``."""
    columns = [[getattr(c, name) for c in candles]
               for name in ("time", "high", "low", "close", "volume")]  # fmt: skip
    return compute(spec, *columns)
