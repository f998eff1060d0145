"""Indicators on a candlestick chart: overlays over the candles (SMA, EMA, Bollinger Bands, VWAP)
and one sub-panel (RSI, MACD or ATR) between the candles and the volume.

Pure functions. Their traces come after the outcome traces (``INDICATOR_TRACE``), in the order of
:func:`series`, so a tick's ``Patch`` addresses them by index as it does the candles: the last
value updated, new ones appended, the oldest dropped. A change of indicators redraws the figure.

Values are computed by ``market.indicators`` over the shown candles and the warm-up candles before
them (``chart_series.with_warmup``), and only the shown part is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from dash import Patch

from core.candles import Candle
from dashboard.figures.charts import TRACE
from dashboard.figures.outcome_overlays import OUTCOME_NAMES
from dashboard.figures.theme import INDICATOR_COLORS, MUTED
from market import indicators
from market.indicators import Spec

INDICATOR_TRACE = len(TRACE) + len(OUTCOME_NAMES)
PANEL_AXIS = "y4"
NO_PANEL = "none"
# Domains (fractions of the figure's height) with a sub-panel: candles, panel, volume.
PRICE_DOMAIN, PANEL_DOMAIN, VOLUME_DOMAIN = [0.42, 1.0], [0.2, 0.39], [0.0, 0.17]


def chart_specs(settings: dict | None, where: str = "the indicator settings") -> list[Spec]:
    """The indicators a chart draws from its settings ``{"overlays": [...], "panel": name or
    "none", "params": {"SMA.period": 20, ...}}`` (what the browser remembers), overlays first.
    A ValueError names the bad field."""
    if not settings:
        return []
    if not isinstance(settings, dict):
        raise ValueError(f"{where} must be an object, got {type(settings).__name__}")
    overlays = settings.get("overlays") or []
    panel = settings.get("panel") or NO_PANEL
    params = settings.get("params") or {}
    if not isinstance(overlays, list) or any(o not in indicators.OVERLAYS for o in overlays):
        known = ", ".join(indicators.OVERLAYS)
        raise ValueError(f"{where}: overlays must be a list of {known}, got {overlays!r}")
    if panel != NO_PANEL and panel not in indicators.PANELS:
        raise ValueError(
            f"{where}: panel must be {NO_PANEL} or one of {', '.join(indicators.PANELS)},"
            f" got {panel!r}"
        )
    if not isinstance(params, dict):
        raise ValueError(f"{where}: params must be an object, got {params!r}")
    chosen = [n for n in indicators.OVERLAYS if n in overlays]
    if panel != NO_PANEL:
        chosen.append(panel)
    # Every indicator's parameters are checked, drawn or not: a typo is named when typed.
    specs = {}
    for name in indicators.KINDS:
        mine = {k.split(".", 1)[1]: v for k, v in params.items() if k.startswith(f"{name}.")}
        specs[name] = indicators.parse(name, mine, where)
    return [specs[name] for name in chosen]


def specs_key(specs: Sequence[Spec]) -> str:
    return ";".join(spec.key() for spec in specs)


def series(specs: Sequence[Spec]) -> list[tuple[Spec, str]]:
    """(indicator, output) of each drawn trace, in trace order."""
    return [(spec, out) for spec in specs for out in indicators.output_names(spec)]


def panel_spec(specs: Sequence[Spec]) -> Spec | None:
    return next((s for s in specs if s.kind.place == "panel"), None)


def _plain(values) -> list:
    # JSON has no NaN: the first, undefined values are gaps (None).
    return [None if not math.isfinite(v) else float(v) for v in values]


def columns(specs: Sequence[Spec], candles: Sequence[Candle], shown: int) -> list[list]:
    """The values of each trace for the last ``shown`` of ``candles`` (warm-up candles first)."""
    out = []
    for spec in specs:
        values = indicators.compute_candles(spec, candles)
        for name in indicators.output_names(spec):
            out.append(_plain(values[name][len(candles) - shown :]) if shown else [])
    return out


def trace_name(spec: Spec, output: str) -> str:
    """``SMA 20``, ``Bollinger 20, 2 upper``, ``MACD 12, 26, 9 signal``."""
    if len(spec.kind.outputs) == 1:
        return spec.label()
    part = "line" if output == spec.name else output.split("_")[-1]
    return f"{spec.label()} {part}"


def _trace(spec: Spec, output: str, x: list, y: list) -> dict:
    color = INDICATOR_COLORS[output]
    panel = spec.kind.place == "panel"
    name = trace_name(spec, output)
    trace = {
        "type": "bar" if output == "MACD_hist" else "scatter", "name": name, "x": x, "y": y,
        "showlegend": False, "xaxis": "x", "yaxis": PANEL_AXIS if panel else "y",
        "hoverinfo": "skip",
    }  # fmt: skip
    if trace["type"] == "bar":
        trace["marker"] = {"color": color, "opacity": 0.7}
    else:
        dash = "dot" if output in ("BB_upper", "BB_lower") else "solid"
        trace.update(mode="lines", connectgaps=False,
                     line={"color": color, "width": 1.2, "dash": dash})  # fmt: skip
    if panel:  # the panel's values on hover: its axis has few ticks
        trace.pop("hoverinfo")
        trace["hovertemplate"] = f"{name}: %{{y:.4g}}<extra></extra>"
    return trace


def traces(specs: Sequence[Spec], times: list[int], values: list[list]) -> list[dict]:
    return [_trace(spec, out, list(times), col)
            for (spec, out), col in zip(series(specs), values, strict=True)]  # fmt: skip


def legend_text(specs: Sequence[Spec]) -> str:
    """The drawn overlays named in their colours (the panel's name is on its axis)."""
    parts = [f"<span style='color:{INDICATOR_COLORS[s.kind.outputs[0]]}'>{s.label()}</span>"
             for s in specs if s.kind.place == "price"]  # fmt: skip
    return " · ".join(parts)


def add_to_figure(fig, specs: Sequence[Spec], times: list[int], values: list[list]) -> None:
    """Add the indicator traces (after every other trace) and, with a panel, its axis."""
    for trace in traces(specs, times, values):
        fig.add_trace(trace)
    legend = legend_text(specs)
    if legend:
        # Right of the chart's "Indicators" menu, which sits at the plot's top left.
        fig.add_annotation(xref="paper", yref="paper", x=0, y=1, xanchor="left", yanchor="top",
                           xshift=80, text=legend, showarrow=False, font={"size": 10},
                           name="indicator-legend")  # fmt: skip
    panel = panel_spec(specs)
    if panel is None:
        return
    axis = {"domain": PANEL_DOMAIN, "anchor": "x", "side": "right", "showgrid": True,
            "title": {"text": panel.label(), "font": {"size": 10, "color": MUTED}},
            "zeroline": panel.name == "MACD"}  # fmt: skip
    if panel.name == "RSI":
        axis.update(range=[0, 100], autorange=False, tickvals=[30, 50, 70])
    fig.update_layout(yaxis=dict(domain=PRICE_DOMAIN), yaxis2=dict(domain=VOLUME_DOMAIN),
                      yaxis4=axis)  # fmt: skip


def patch_values(
    patch: Patch, times: list[int], values: list[list], updated: bool, new: int, drop: int
) -> None:
    """One tick: ``values``/``times`` are the traces' columns after it; the last drawn value is
    replaced when its candle changed (``updated``), ``new`` values are appended and the ``drop``
    oldest removed, in the order the candle patch applies them."""
    for index, column in enumerate(values):
        target = patch["data"][INDICATOR_TRACE + index]
        if updated:
            target["y"][-1] = column[-new - 1] if len(column) > new else None
        if new:
            target["x"].extend(times[-new:])
            target["y"].extend(column[-new:])
        for _ in range(drop):
            del target["x"][0]
            del target["y"][0]
