"""Pure builders for the Backtest tab: statistics rows, trade rows, the equity curve with its
drawdown, the run's candles with its trades, the comparison of several runs, and the texts and
rows around them."""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from backtest.request import RequestError
from core.timefmt import format_ms
from dashboard.figures.frozen import frozen
from dashboard.figures.theme import (
    ACCENT,
    CALL_COLORS,
    DARK_LAYOUT,
    DOWN_CANDLE,
    ENTRY_MARKER_RIM,
    EXIT_MARKER,
    MUTED,
    NEUTRAL,
    RUN_COLORS,
    UP_CANDLE,
)

MAX_CANDLES = 3000  # candlesticks drawn at most; longer periods show the close as a line
MAX_MARKERS = 5000
MAX_TRADE_ROWS = 5000  # rows sent to the trade list; the API and MLflow artifact hold them all


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def _short_time(ms: int) -> str:
    return pd.Timestamp(int(ms), unit="ms", tz="UTC").strftime("%m-%d %H:%M")


def stats_rows(stats: dict, notes: dict | None = None) -> tuple[list[dict], list[dict]]:
    """Rows of the statistics table and their tooltips: a statistic that means nothing for the
    run (``notes``: its reason) reads n/a with the reason; its number stays in the tooltip."""
    rows, tips = [], []
    notes = notes or {}
    for key, value in (stats or {}).items():
        if key in notes:
            rows.append({"stat": key, "value": f"n/a: {notes[key]}"})
            tips.append({"value": {"value": f"computed: {_fmt(value)}", "type": "text"}})
        else:
            rows.append({"stat": key, "value": _fmt(value)})
            tips.append({})
    return rows, tips


def trade_table(trades: list[dict]) -> list[dict]:
    """Rows of the trade list (the first ``MAX_TRADE_ROWS``); ``id`` is the trade's position."""
    rows = []
    for i, t in enumerate(trades[:MAX_TRADE_ROWS]):
        open_ = t.get("ExitTime") is None
        rows.append({
            "id": i,
            "n": i + 1,
            "symbol": t.get("Symbol", ""),
            "side": "long" if t["Size"] > 0 else "short",
            "size": f"{abs(t['Size']):.6g}",
            "entry": _short_time(t["EntryTime"]),
            "exit": "open" if open_ else _short_time(t["ExitTime"]),
            "return": "" if open_ else f"{t['ReturnPct'] * 100:+.2f}%",
            "pnl": "" if open_ else f"{t['PnL']:+,.2f}",
        })  # fmt: skip
    return rows


def _axis_times(times) -> list:
    return pd.to_datetime(np.asarray(times, dtype=np.int64), unit="ms").tolist()


def placeholder(text: str, height: int) -> dict:
    """An empty panel that says what will appear there (built once: ``frozen``)."""
    return frozen(_placeholder, text, height)


def _placeholder(text: str, height: int) -> go.Figure:
    note = {"text": text, "showarrow": False, "font": {"color": MUTED}, "xref": "paper",
            "yref": "paper", "x": 0.5, "y": 0.5}  # fmt: skip
    fig = go.Figure()
    fig.update_layout(**DARK_LAYOUT, height=height, xaxis={"visible": False},
                      yaxis={"visible": False}, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      annotations=[note])  # fmt: skip
    return fig


def equity_figure(points: list[dict], title: str = "Equity") -> go.Figure:
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3],
                        vertical_spacing=0.04)  # fmt: skip
    times = _axis_times([p["time"] for p in points])
    fig.add_trace(go.Scatter(x=times, y=[p["equity"] for p in points], name="equity",
                             line={"color": ACCENT, "width": 1.5},
                             hovertemplate="%{x}<br>equity %{y:,.2f}<extra></extra>"),
                  1, 1)  # fmt: skip
    fig.add_trace(go.Scatter(x=times, y=[p["drawdown_pct"] for p in points], name="drawdown",
                             fill="tozeroy", line={"color": DOWN_CANDLE, "width": 1},
                             hovertemplate="%{x}<br>drawdown %{y:.2f}%<extra></extra>"),
                  2, 1)  # fmt: skip
    fig.update_layout(**DARK_LAYOUT, height=300, showlegend=False, title={"text": title, "x": 0.01},
                      margin={"l": 50, "r": 10, "t": 30, "b": 20}, font={"size": 10})  # fmt: skip
    fig.update_yaxes(title_text="drawdown %", row=2, col=1)
    return fig


def run_chart(
    candles: pd.DataFrame, trades: list[dict], predictions: list[dict] | None = None
) -> go.Figure:
    """The run's candles (or its close, for long periods) with entries ▲▼, exits ✕ and the
    model's predictions (● coloured by its call)."""
    fig = go.Figure()
    times = candles.index.to_numpy(dtype=np.int64)
    if len(candles) <= MAX_CANDLES:
        fig.add_trace(go.Candlestick(
            x=_axis_times(times), open=candles["open"].tolist(), high=candles["high"].tolist(),
            low=candles["low"].tolist(), close=candles["close"].tolist(), name="candles",
            increasing_line_color=UP_CANDLE, decreasing_line_color=DOWN_CANDLE,
        ))  # fmt: skip
    else:
        step = int(np.ceil(len(candles) / MAX_CANDLES))
        fig.add_trace(go.Scatter(x=_axis_times(times[::step]),
                                 y=candles["close"].to_numpy()[::step].tolist(), name="close",
                                 line={"color": NEUTRAL, "width": 1}))  # fmt: skip
    shown = trades[:MAX_MARKERS]
    entry_size, exit_size = marker_sizes(len(shown))
    for side, symbol, color in (("long", "triangle-up", UP_CANDLE),
                                ("short", "triangle-down", DOWN_CANDLE)):  # fmt: skip
        picked = [t for t in shown if (t["Size"] > 0) == (side == "long")]
        fig.add_trace(go.Scatter(
            x=_axis_times([t["EntryTime"] for t in picked]),
            y=[t["EntryPrice"] for t in picked], mode="markers", name=f"{side} entry",
            marker={"symbol": symbol, "size": entry_size, "color": color,
                    "line": {"width": 1 if entry_size > 6 else 0, "color": ENTRY_MARKER_RIM}},
            hovertemplate=f"{side} entry %{{y:.6g}}<br>%{{x}}<extra></extra>",
        ))  # fmt: skip
    closed = [t for t in shown if t.get("ExitTime") is not None]
    fig.add_trace(go.Scatter(
        x=_axis_times([t["ExitTime"] for t in closed]), y=[t["ExitPrice"] for t in closed],
        mode="markers", name="exit",
        # thin outlined crosses, smaller as trades crowd, so the price shows through them
        marker={"symbol": "x-thin-open", "size": exit_size, "color": EXIT_MARKER,
                "opacity": 0.8, "line": {"width": 1, "color": EXIT_MARKER}},
        customdata=[f"{t['ReturnPct'] * 100:+.2f}%" for t in closed],
        hovertemplate="exit %{y:.6g} (%{customdata})<br>%{x}<extra></extra>",
    ))  # fmt: skip
    points = (predictions or [])[-MAX_MARKERS:]
    if points:
        fig.add_trace(go.Scatter(
            x=_axis_times([p["time"] for p in points]), y=[p["price"] for p in points],
            mode="markers", name="predictions",
            marker={"size": 6, "color": [CALL_COLORS.get(p["call"], NEUTRAL) for p in points],
                    "opacity": [round(0.3 + 0.7 * p["confidence"], 3) for p in points]},
            customdata=[f"{p['kind']} {p['call']} {p['confidence']:.2f}" for p in points],
            hovertemplate="%{customdata}<br>%{x}<extra></extra>",
        ))  # fmt: skip
    fig.update_layout(**DARK_LAYOUT, height=320,
                      margin={"l": 50, "r": 10, "t": 30, "b": 20}, font={"size": 10},
                      xaxis_rangeslider_visible=False, uirevision="run-chart",
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0,
                              "font": {"size": 9}})  # fmt: skip
    return fig


def marker_sizes(trades: int) -> tuple[int, int]:
    """Entry and exit marker sizes: full size for a few dozen trades, smaller as they crowd (a
    run of thousands draws specks, not a solid band over the price)."""
    if trades <= 40:
        return 11, 9
    scale = (40 / trades) ** 0.5
    return max(4, round(11 * scale)), max(3, round(9 * scale))


def price_range(candles: pd.DataFrame, x0: int, x1: int) -> list[float] | None:
    """The y range that shows the candles between two times, with a small margin."""
    inside = candles[(candles.index >= x0) & (candles.index <= x1)]
    if inside.empty:
        return None
    low, high = float(inside["low"].min()), float(inside["high"].max())
    margin = (high - low) * 0.08 or high * 0.001
    return [low - margin, high + margin]


def trade_window(trade: dict, frame_ms: int) -> tuple[int, int]:
    """The time range that shows a trade with some context either side (ms)."""
    end = trade.get("ExitTime") or trade["EntryTime"]
    pad = max(20 * frame_ms, (end - trade["EntryTime"]) // 2)
    return trade["EntryTime"] - pad, end + frame_ms + pad


def plotly_text(text: str) -> str:
    """Text shown in a figure as it is: plotly renders markup (``<a href>``) and, in a hover
    template, ``%{...}`` fields; a run's label holds the strategy parameters a person typed."""
    return escape(text).replace("%{", "%&#123;")


def run_label(run: dict) -> str:
    params = run.get("params") or {}
    detail = ",".join(f"{k}={v}" for k, v in (params.get("params") or {}).items())
    return f"{run['id'][:6]} {params.get('strategy', run.get('strategy'))}({detail})"


def run_period(run: dict) -> str:
    params = run.get("params") or {}
    if params.get("start") is None:
        return ""
    return f"{format_ms(params['start'])} .. {format_ms(params['end'])}"


def portfolio_text(run: dict) -> str:
    """A portfolio run: each symbol's share of the cash and contribution to the return."""
    symbols = run.get("symbols") or {}
    if not symbols:
        return ""
    parts = [
        f"{s}: {sub['share']:.0%} of the cash, {sub['contribution_pct']:+.2f}% of the return"
        f" ({sub['stats'].get('# Trades', 0)} trades)"
        for s, sub in symbols.items()
    ]
    return "Portfolio · " + " · ".join(parts)


def compare_rows(runs: list[dict]) -> tuple[list[dict], list[dict]]:
    """Columns (one per run) and rows (one per statistic) of the comparison table."""
    columns = [{"name": "statistic", "id": "stat"}] + [
        {"name": run_label(r), "id": r["id"]} for r in runs
    ]
    keys: list[str] = []
    for run in runs:
        keys += [k for k in (run.get("stats") or {}) if k not in keys]
    rows = [{"stat": key, **{r["id"]: _fmt((r.get("stats") or {}).get(key)) for r in runs}}
            for key in keys]  # fmt: skip
    return columns, rows


def compare_figure(runs: list[dict]) -> go.Figure | dict:
    """Equity curves of several runs overlaid, each relative to its starting cash."""
    if not runs:
        return placeholder("Tick two or more runs to compare their equity", 120)
    fig = go.Figure()
    for i, run in enumerate(runs):
        points = run.get("equity") or []
        if not points:
            continue
        first = points[0]["equity"] or 1.0
        fig.add_trace(go.Scatter(
            x=_axis_times([p["time"] for p in points]),
            y=[(p["equity"] / first - 1) * 100 for p in points], name=plotly_text(run_label(run)),
            line={"color": RUN_COLORS[i % len(RUN_COLORS)], "width": 1.5},
            hovertemplate="%{x}<br>%{y:+.2f}%<extra>" + plotly_text(run_label(run)) + "</extra>",
        ))  # fmt: skip
    fig.update_layout(**DARK_LAYOUT, height=260,
                      title={"text": "Equity, % of starting cash", "x": 0.01},
                      margin={"l": 50, "r": 10, "t": 30, "b": 20}, font={"size": 10},
                      legend={"orientation": "h", "y": -0.15})  # fmt: skip
    return fig


def parse_params(text: str | None) -> dict:
    """'fast=10, slow=20' -> {'fast': '10', 'slow': '20'} (the strategy converts and checks)."""
    params = {}
    for part in (text or "").replace(";", ",").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise RequestError(f"params: write name=value pairs, got {part.strip()!r}", "params")
        params[name.strip()] = value.strip()
    return params


def run_rows(runs: list[dict]) -> list[dict]:
    rows = []
    for run in runs:
        ret = (run.get("stats") or {}).get("Return [%]")
        params = run.get("params") or {}
        symbols = params.get("symbols") or [run["symbol"]]
        rows.append({
            "id": run["id"], "started": format_ms(run["created_at"]), "label": run_label(run),
            "series": f"{', '.join(symbols)} {run['timeframe']}", "period": run_period(run),
            "return": "" if ret is None else f"{ret:+.2f}%",
            "trades": (run.get("stats") or {}).get("# Trades", ""),
            "status": run["status"] + (" · in-sample" if run.get("in_sample") else ""),
            "by": run.get("started_by") or "",
            "cash": params.get("cash"),
        })  # fmt: skip
    return rows


def in_sample_text(run: dict) -> str:
    overlap = run.get("in_sample")
    if not overlap:
        return ""
    model = run.get("model") or {}
    return (
        f"In-sample: model {model.get('name')} v{model.get('version')} was trained on data from "
        f"{format_ms(overlap['start'])} to {format_ms(overlap['end'])} of this period; its"
        " results there are not evidence of skill."
    )


def status_text(run: dict) -> str:
    count = len(run.get("trades") or [])
    if run["status"] == "failed":
        return f"Run {run['id']} failed: {run.get('error')}"
    if run["status"] in ("queued", "running"):
        return f"Run {run['id']}: {run['status']}, {count} trades so far"
    listed = (
        f"; the list shows the first {MAX_TRADE_ROWS:,} of {count:,} trades (all of them in the"
        " API and the MLflow artifact)"
        if count > MAX_TRADE_ROWS
        else ""
    )
    return f"Run {run['id']}: {run['status']}{listed}"
