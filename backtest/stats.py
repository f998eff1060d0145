"""Backtest statistics with backtesting.py's names and definitions (``_stats.compute_stats``).

One pure function over the trade list and the equity curve. Times are UTC epoch ms; ``Start`` and
``End`` come back as UTC ``pd.Timestamp``, durations as ``pd.Timedelta`` rounded up to the data's
resolution, as backtesting.py shows them. Ratios come from the equity at the last close of each
calendar day (UTC), with 365 trading days a year when weekends are in the data, else 252; the
risk-free rate is 0. Alpha and Beta, which backtesting.py also reports, are left out;
``Commissions [$]`` is always there (0 without fees), where backtesting.py leaves it out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

DAY_MS = 86_400_000

STAT_KEYS = (
    "Start",
    "End",
    "Duration",
    "Exposure Time [%]",
    "Equity Final [$]",
    "Equity Peak [$]",
    "Commissions [$]",
    "Return [%]",
    "Buy & Hold Return [%]",
    "Return (Ann.) [%]",
    "Volatility (Ann.) [%]",
    "CAGR [%]",
    "Sharpe Ratio",
    "Sortino Ratio",
    "Calmar Ratio",
    "Max. Drawdown [%]",
    "Avg. Drawdown [%]",
    "Max. Drawdown Duration",
    "Avg. Drawdown Duration",
    "# Trades",
    "Win Rate [%]",
    "Best Trade [%]",
    "Worst Trade [%]",
    "Avg. Trade [%]",
    "Max. Trade Duration",
    "Avg. Trade Duration",
    "Profit Factor",
    "Expectancy [%]",
    "SQN",
    "Kelly Criterion",
)
DURATION_KEYS = frozenset(
    {
        "Duration",
        "Max. Drawdown Duration",
        "Avg. Drawdown Duration",
        "Max. Trade Duration",
        "Avg. Trade Duration",
    }
)


def _nan_div(a: float, b: float) -> float:
    """``a / (b or nan)`` as backtesting.py writes it: a zero denominator gives NaN."""
    return a / b if b else math.nan


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else math.nan


def geometric_mean(returns: np.ndarray) -> float:
    growth = np.nan_to_num(returns, nan=0.0) + 1
    if np.any(growth <= 0):
        return 0.0
    return float(np.exp(np.log(growth).sum() / (len(growth) or np.nan)) - 1)


def drawdown_periods(dd: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Duration (ms) and depth of each drawdown, from one zero to the next (or the end)."""
    edges = np.unique(np.r_[np.flatnonzero(dd == 0), len(dd) - 1])
    prev, cur = edges[:-1], edges[1:]
    keep = cur > prev + 1
    prev, cur = prev[keep], cur[keep]
    if not len(prev):
        # backtesting.py's fallback when no drawdown spans two bars: the non-zero drawdowns
        rest = dd[(dd != 0) & ~np.isnan(dd)]
        return rest, rest
    # max of dd[prev:cur + 1], all at once: dd[prev] is a zero, the rest one reduceat segment each
    bounds = np.empty(2 * len(prev), dtype=np.int64)
    bounds[0::2], bounds[1::2] = prev + 1, cur + 1
    peaks = np.maximum(np.maximum.reduceat(np.r_[dd, 0.0], bounds)[0::2], dd[prev])
    return (times[cur] - times[prev]).astype(np.float64), peaks


def _period(times: np.ndarray) -> pd.Timedelta:
    tail = times[-100:]
    return pd.Timedelta(float(np.median(np.diff(tail))) if len(tail) > 1 else math.nan, unit="ms")


def _as_duration(value: float, resolution: str | None) -> object:
    """ms -> Timedelta rounded up to the data's resolution; NaN stays NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    td = pd.Timedelta(value, unit="ms")
    return td.ceil(resolution) if resolution else td


def _day_returns(times: np.ndarray, equity: np.ndarray, freq_days: int) -> np.ndarray:
    if freq_days in (7, 31, 365):
        rule = {7: "W", 31: "ME", 365: "YE"}[freq_days]
        series = pd.Series(equity, index=pd.to_datetime(times, unit="ms"))
        closes = series.resample(rule).last().dropna().to_numpy()
    else:
        day = times // DAY_MS
        closes = equity[np.r_[np.flatnonzero(np.diff(day)), len(day) - 1]]
    # after ruin: 0 / 0, dropped as pandas does
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = closes[1:] / closes[:-1] - 1
    return returns[~np.isnan(returns)]


def compute_stats(
    trades: dict[str, np.ndarray],
    equity: np.ndarray,
    times: np.ndarray,
    close: np.ndarray,
    warmup: int = 0,
) -> dict[str, object]:
    """Statistics keyed by ``STAT_KEYS``; see the module docstring."""
    equity = np.asarray(equity, dtype=np.float64)
    times = np.asarray(times, dtype=np.int64)
    n = len(equity)
    pnl = np.asarray(trades["PnL"], dtype=np.float64)
    returns = np.asarray(trades["ReturnPct"], dtype=np.float64)
    durations = np.asarray(trades["Duration"], dtype=np.float64)
    n_trades = len(pnl)
    period = _period(times)
    resolution = None if pd.isna(period) else period.resolution_string

    with np.errstate(divide="ignore", invalid="ignore"):
        dd = 1 - equity / np.maximum.accumulate(equity)
    dd_durations, dd_peaks = drawdown_periods(dd, times)

    s: dict[str, object] = {}
    s["Start"] = pd.Timestamp(int(times[0]), unit="ms", tz="UTC")
    s["End"] = pd.Timestamp(int(times[-1]), unit="ms", tz="UTC")
    duration_ms = int(times[-1] - times[0])
    s["Duration"] = pd.Timedelta(duration_ms, unit="ms")
    exposed = np.zeros(n + 1, dtype=np.int64)
    np.add.at(exposed, trades["EntryBar"], 1)
    np.add.at(exposed, np.asarray(trades["ExitBar"]) + 1, -1)
    s["Exposure Time [%]"] = float((np.cumsum(exposed[:n]) > 0).mean() * 100)
    s["Equity Final [$]"] = float(equity[-1])
    s["Equity Peak [$]"] = float(equity.max())
    s["Commissions [$]"] = float(np.sum(trades["Commission"])) if n_trades else 0.0
    s["Return [%]"] = float((equity[-1] - equity[0]) / equity[0] * 100)
    c = np.asarray(close, dtype=np.float64)
    first = min(warmup, n - 1)
    s["Buy & Hold Return [%]"] = float((c[-1] - c[first]) / c[first] * 100)

    freq_days = 0 if pd.isna(period) else period.days
    days = times // DAY_MS
    weekend = ((days + 3) % 7 >= 5).mean() > 2 / 7 * 0.6
    annual_days = {7: 52, 31: 12, 365: 1}.get(freq_days, 365 if weekend else 252)
    day_returns = _day_returns(times, equity, freq_days)
    # numpy floats, as in backtesting.py: a huge daily return overflows to inf (Python floats
    # raise OverflowError there, which failed the run), and the volatility becomes NaN
    gmean_day = np.float64(geometric_mean(day_returns))
    with np.errstate(over="ignore", invalid="ignore"):
        annual_return = (1 + gmean_day) ** annual_days - 1
        variance = day_returns.var(ddof=1) if len(day_returns) > 1 else math.nan
        volatility = np.sqrt(
            (variance + (1 + gmean_day) ** 2) ** annual_days - (1 + gmean_day) ** (2 * annual_days)
        )
    s["Return (Ann.) [%]"] = float(annual_return * 100)
    s["Volatility (Ann.) [%]"] = float(volatility * 100)
    years = (duration_ms // DAY_MS + (duration_ms % DAY_MS) // 1000 / 86400) / 365.25
    with np.errstate(over="ignore"):  # a few minutes' return to the power of years: inf
        growth = np.float64(s["Equity Final [$]"] / equity[0])
        s["CAGR [%]"] = float((growth ** (1 / years) - 1) * 100) if years else math.nan
    s["Sharpe Ratio"] = _nan_div(s["Return (Ann.) [%]"], s["Volatility (Ann.) [%]"])
    downside = (
        np.sqrt(np.mean(np.clip(day_returns, -np.inf, 0) ** 2)) if len(day_returns) else math.nan
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        s["Sortino Ratio"] = float(np.float64(annual_return) / (downside * np.sqrt(annual_days)))
    max_dd = -float(np.nan_to_num(np.nanmax(dd) if n else np.nan))
    s["Calmar Ratio"] = _nan_div(annual_return, -max_dd)
    s["Max. Drawdown [%]"] = max_dd * 100
    s["Avg. Drawdown [%]"] = -_mean(dd_peaks) * 100
    s["Max. Drawdown Duration"] = _as_duration(
        float(dd_durations.max()) if len(dd_durations) else math.nan, resolution
    )
    s["Avg. Drawdown Duration"] = _as_duration(_mean(dd_durations), resolution)
    s["# Trades"] = n_trades
    win_rate = math.nan if not n_trades else float((pnl > 0).mean())
    s["Win Rate [%]"] = win_rate * 100
    s["Best Trade [%]"] = float(returns.max()) * 100 if n_trades else math.nan
    s["Worst Trade [%]"] = float(returns.min()) * 100 if n_trades else math.nan
    s["Avg. Trade [%]"] = geometric_mean(returns) * 100
    s["Max. Trade Duration"] = _as_duration(
        float(durations.max()) if n_trades else math.nan, resolution
    )
    s["Avg. Trade Duration"] = _as_duration(_mean(durations), resolution)
    s["Profit Factor"] = _nan_div(returns[returns > 0].sum(), abs(returns[returns < 0].sum()))
    s["Expectancy [%]"] = _mean(returns) * 100
    std = float(pnl.std(ddof=1)) if n_trades > 1 else math.nan
    s["SQN"] = math.sqrt(n_trades) * _mean(pnl) / std if std else math.nan
    s["Kelly Criterion"] = win_rate - (1 - win_rate) / _nan_ratio(
        _mean(pnl[pnl > 0]), -_mean(pnl[pnl < 0])
    )
    return s


def _nan_ratio(a: float, b: float) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(a) / np.float64(b))


ANNUALISED = ("Return (Ann.) [%]", "Volatility (Ann.) [%]", "CAGR [%]", "Sharpe Ratio",
              "Sortino Ratio", "Calmar Ratio")  # fmt: skip
MIN_ANNUALISED_DAYS = 30
# below this annual volatility (percent) the daily returns hardly vary: a ratio over it is noise
MIN_VOLATILITY_PCT = 1e-6


def stats_notes(stats: dict) -> dict[str, str]:
    """Statistics that mean nothing for the run, with the reason (``{name: reason}``); the
    numbers themselves stay as they are (the API keeps them, the tab shows n/a):

    - annualised figures of a run shorter than 30 days;
    - Sharpe and Sortino when the volatility is about 0.

    ``stats`` as computed or as stored (JSON: durations as text, undefined numbers as None).
    """
    notes: dict[str, str] = {}
    duration = stats.get("Duration")
    try:
        days = pd.Timedelta(duration).total_seconds() / 86_400 if duration is not None else None
    except (TypeError, ValueError):
        days = None
    if days is not None and days < MIN_ANNUALISED_DAYS:
        reason = (
            f"annualised from a run of {days:.3g} days (under {MIN_ANNUALISED_DAYS}): the figure"
            " extrapolates a few days to a year"
        )
        notes.update({key: reason for key in ANNUALISED if key in stats})
    volatility = stats.get("Volatility (Ann.) [%]")
    flat = volatility is None or not math.isfinite(float(volatility)) or abs(
        float(volatility)) < MIN_VOLATILITY_PCT  # fmt: skip
    if flat:
        reason = "no volatility: the daily returns hardly vary, so the ratio divides by about 0"
        for key in ("Sharpe Ratio", "Sortino Ratio"):
            if key in stats:
                notes.setdefault(key, reason)
    return notes
