"""The candles a chart shows. The minute chart can show 5 m, 15 m or 1 h candles instead,
aggregated on the fly from the stored 1 m candles (nothing extra is stored); its spans and
pattern labels stay those of the 1 m series."""

from __future__ import annotations

from core.candles import Candle, resample, timeframe_ms

BASE = "1m"
AGGREGATED = ("5m", "15m", "1h")
# "auto" (the default) picks the candle size from the zoom: see panels/charts/live_charts.auto_tick.
AUTO = "auto"
MINUTE_CHART_TIMEFRAMES = (BASE, *AGGREGATED)
MINUTE_CHART_CHOICES = (AUTO, *MINUTE_CHART_TIMEFRAMES)
# Sizes only auto reaches (zoomed far out): their spans too are the 1 m series'.
AUTO_ONLY = ("4h", "1d")


def _aggregated(store, symbol: str, timeframe: str) -> bool:
    """True when ``timeframe`` is drawn from 1 m candles: an imported series of that timeframe
    (e.g. a 1 h CSV) is shown as stored."""
    return timeframe in (*AGGREGATED, *AUTO_ONLY) and store.latest(symbol, timeframe) is None


# Sizes the 1 s chart reaches in auto (zoomed out): their spans are the 1 s series'.
SECOND_AGGREGATED = ("5s", "15s")


def source_timeframe(store, symbol: str, timeframe: str) -> str:
    """The stored series a chart of ``timeframe`` reads (and labels)."""
    if timeframe in SECOND_AGGREGATED:
        return "1s"
    return BASE if _aggregated(store, symbol, timeframe) else timeframe


def display_timeframe(chart_tf: str, chosen: str | None) -> str:
    """What the chart with component timeframe ``chart_tf`` shows, given the user's choice."""
    if chart_tf == BASE and chosen in MINUTE_CHART_TIMEFRAMES:
        return chosen
    return chart_tf


def tail(store, symbol: str, timeframe: str, count: int) -> list[Candle]:
    """The newest ``count`` candles of ``timeframe`` (the last one may be forming)."""
    if not _aggregated(store, symbol, timeframe):
        return store.tail(symbol, timeframe, count)
    ratio = timeframe_ms(timeframe) // timeframe_ms(BASE)
    minutes = store.tail(symbol, BASE, (count + 1) * ratio)
    return resample(minutes, timeframe_ms(timeframe))[-count:]


def with_warmup(
    store, symbol: str, timeframe: str, shown: list[Candle], start: int
) -> list[Candle]:
    """The candles opening from ``start`` up to the first shown one, then ``shown``: what an
    indicator needs before the candles it draws. From the buffer when it reaches back that far,
    else from the stored series (the rollups for an aggregated timeframe)."""
    if not shown or start >= shown[0].time:
        return list(shown)
    first = shown[0].time
    count = len(shown) + (first - start) // timeframe_ms(timeframe) + 1
    held = tail(store, symbol, timeframe, count)
    if held and held[0].time <= start:
        return [c for c in held if start <= c.time < first] + list(shown)
    base = source_timeframe(store, symbol, timeframe)
    return store.view(symbol, base, timeframe, start, first) + list(shown)
