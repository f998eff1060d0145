"""Pure builders for the results of parameter searches and walk-forwards: a heatmap for every
pair of parameters (the maximised statistic aggregated by max, as backtesting.py's
``plot_heatmaps``), parallel coordinates, the sortable trials table, the walk-forward's stitched
out-of-sample curve beside its in-sample curves, and the rows around them."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.timefmt import format_ms
from dashboard.figures.backtest_figures import placeholder, plotly_text
from dashboard.figures.theme import ACCENT, DARK_LAYOUT, MUTED, RUN_COLORS

MAX_PAIRS = 15  # heatmaps drawn at most (6 parameters); the table holds every trial
TRIAL_STATS = ("Return [%]", "Sharpe Ratio", "Max. Drawdown [%]", "Win Rate [%]", "SQN")


def _frame(trials: list[dict], names: list[str]) -> pd.DataFrame:
    rows = [{**{n: t["params"].get(n) for n in names}, "value": t.get("value")} for t in trials]
    frame = pd.DataFrame(rows, columns=[*names, "value"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


def heatmap_figure(trials: list[dict], names: list[str], maximize: str) -> go.Figure | dict:
    """One heatmap per pair of searched parameters: each cell the best ``maximize`` over the
    other parameters (max, as ``backtesting.lib.plot_heatmaps`` aggregates)."""
    pairs = list(itertools.combinations(names, 2))[:MAX_PAIRS]
    if not trials or not pairs:
        text = "Search two or more parameters for heatmaps" if trials else "No trials yet"
        return placeholder(text, 160)
    frame = _frame(trials, names)
    cols = min(3, len(pairs))
    rows = math.ceil(len(pairs) / cols)
    fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.08, vertical_spacing=0.12,
                        subplot_titles=[f"{b} × {a}" for a, b in pairs])  # fmt: skip
    values = frame["value"].dropna()
    low, high = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
    for i, (a, b) in enumerate(pairs):
        grid = frame.groupby([b, a])["value"].max().unstack(a)  # rows: b, columns: a
        fig.add_trace(
            go.Heatmap(
                z=grid.to_numpy(dtype=float).tolist(), x=[str(v) for v in grid.columns],
                y=[str(v) for v in grid.index], coloraxis="coloraxis",
                hovertemplate=f"{a} %{{x}}<br>{b} %{{y}}<br>{plotly_text(maximize)}"
                " %{z:.4g}<extra></extra>",
            ),
            i // cols + 1, i % cols + 1,
        )  # fmt: skip
        fig.update_xaxes(title_text=a, row=i // cols + 1, col=i % cols + 1, type="category")
        fig.update_yaxes(title_text=b, row=i // cols + 1, col=i % cols + 1, type="category")
    colors = {"colorscale": "Viridis", "cmin": low, "cmax": high,
              "colorbar": {"title": {"text": plotly_text(maximize)}}}  # fmt: skip
    fig.update_layout(**DARK_LAYOUT, height=max(320, 300 * rows), coloraxis=colors,
                      margin={"l": 60, "r": 20, "t": 40, "b": 40}, font={"size": 10})  # fmt: skip
    return fig


def parallel_figure(trials: list[dict], names: list[str], maximize: str) -> go.Figure | dict:
    """Parallel coordinates of the searched parameters and the value (more than two)."""
    if len(names) <= 2:
        return placeholder("Parallel coordinates appear with three or more parameters", 80)
    frame = _frame([t for t in trials if t.get("value") is not None], names)
    if frame.empty:
        return placeholder("No trial has a value yet", 80)
    dimensions = []
    for name in names:
        column = frame[name]
        numeric = pd.to_numeric(column, errors="coerce")
        if numeric.notna().all():
            dimensions.append({"label": name, "values": numeric.tolist()})
        else:
            labels = sorted(column.astype(str).unique())
            codes = column.astype(str).map({v: i for i, v in enumerate(labels)})
            ticks = {"tickvals": list(range(len(labels))), "ticktext": labels}
            dimensions.append({"label": name, "values": codes.tolist(), **ticks})
    values = frame["value"].tolist()
    dimensions.append({"label": plotly_text(maximize), "values": values})
    fig = go.Figure(go.Parcoords(
        line={"color": values, "colorscale": "Viridis", "showscale": True},
        dimensions=dimensions,
    ))  # fmt: skip
    fig.update_layout(**DARK_LAYOUT, height=340, margin={"l": 60, "r": 60, "t": 40, "b": 20},
                      font={"size": 10})  # fmt: skip
    return fig


def trial_table(trials: list[dict], names: list[str], maximize: str) -> tuple[list, list]:
    """Columns and rows of the sortable trials table (numbers stay numbers, so they sort)."""
    stats = [k for k in TRIAL_STATS if k != maximize]
    columns = [{"name": n, "id": f"p:{n}", "type": "numeric"} for n in names]
    columns += [{"name": maximize, "id": "value", "type": "numeric"},
                {"name": "trades", "id": "trades", "type": "numeric"}]  # fmt: skip
    columns += [{"name": k, "id": f"s:{k}", "type": "numeric"} for k in stats]
    rows = []
    for t in trials:
        row = {f"p:{n}": t["params"].get(n) for n in names}
        row.update(value=_round(t.get("value")), trades=t.get("trades"))
        row.update({f"s:{k}": _round((t.get("stats") or {}).get(k)) for k in stats})
        row["id"] = t["idx"]
        rows.append(row)
    return columns, rows


def _round(value):
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return float(f"{number:.6g}") if math.isfinite(number) else None


def best_text(result: dict | None, maximize: str) -> str:
    best = (result or {}).get("best")
    if not best:
        note = (result or {}).get("note")
        return f"No best result: {note}." if note else ""
    params = ", ".join(f"{k}={v}" for k, v in best["params"].items())
    value = best.get("value")
    shown = "-" if value is None else f"{value:.6g}"
    return f"Best: {params} ({maximize} {shown}, {best['stats'].get('# Trades')} trades)"


def walkforward_figure(result: dict | None) -> go.Figure | dict:
    """The stitched out-of-sample equity (compounded) beside each fold's in-sample run, both as
    % of the starting cash."""
    if not result or not result.get("oos_equity"):
        return placeholder("The stitched out-of-sample equity appears here", 160)
    fig = go.Figure()
    for i, fold in enumerate(result.get("is_equity") or []):
        points = fold["points"]
        if not points:
            continue
        first = points[0]["equity"] or 1.0
        fig.add_trace(go.Scatter(
            x=_times([p["time"] for p in points]),
            y=[(p["equity"] / first - 1) * 100 for p in points], mode="lines",
            line={"color": MUTED, "width": 1}, opacity=0.6, name="in-sample",
            legendgroup="is", showlegend=i == 0,
            hovertemplate=f"fold {fold['fold'] + 1} in-sample %{{y:+.2f}}%<extra></extra>",
        ))  # fmt: skip
    points = result["oos_equity"]
    first = points[0]["equity"] or 1.0
    fig.add_trace(go.Scatter(
        x=_times([p["time"] for p in points]), y=[(p["equity"] / first - 1) * 100 for p in points],
        mode="lines", line={"color": ACCENT, "width": 2}, name="out-of-sample (stitched)",
        hovertemplate="%{x}<br>out-of-sample %{y:+.2f}%<extra></extra>",
    ))  # fmt: skip
    for fold in result.get("folds") or []:
        color = RUN_COLORS[fold["fold"] % len(RUN_COLORS)]
        fig.add_vrect(x0=_time(fold["oos"][0]), x1=_time(fold["oos"][1]), line_width=0,
                      fillcolor=color, opacity=0.06)  # fmt: skip
    fig.update_layout(**DARK_LAYOUT, height=320, title={"text": "Return, % (in-sample runs each"
                      " from their own start)", "x": 0.01}, font={"size": 10},
                      margin={"l": 50, "r": 10, "t": 30, "b": 20},
                      legend={"orientation": "h", "y": -0.15})  # fmt: skip
    return fig


def _times(ms: list[int]) -> list:
    return pd.to_datetime(np.asarray(ms, dtype=np.int64), unit="ms").tolist()


def _time(ms: int):
    return pd.Timestamp(int(ms), unit="ms")


def fold_rows(result: dict | None) -> list[dict]:
    rows = []
    for fold in (result or {}).get("folds") or []:
        is_stats, oos_stats = fold.get("is_stats") or {}, fold.get("oos_stats") or {}
        eff = fold.get("efficiency")
        rows.append({
            "fold": fold["fold"] + 1,
            "in-sample": f"{format_ms(fold['is'][0])} .. {format_ms(fold['is'][1])}",
            "out-of-sample": f"{format_ms(fold['oos'][0])} .. {format_ms(fold['oos'][1])}",
            "params": ", ".join(f"{k}={v}" for k, v in (fold.get("searched") or {}).items())
            or "-",
            "is return": _pct(is_stats.get("Return [%]")),
            "oos return": _pct(oos_stats.get("Return [%]")),
            "is Sharpe": _num(is_stats.get("Sharpe Ratio")),
            "oos Sharpe": _num(oos_stats.get("Sharpe Ratio")),
            "oos trades": oos_stats.get("# Trades", 0),
            "efficiency": "n/a" if eff is None else f"{eff:.3f}",
        })  # fmt: skip
    return rows


def walkforward_text(result: dict | None) -> str:
    if not result:
        return ""
    eff = result.get("efficiency")
    parts = [f"{len(result.get('folds') or [])} folds",
             f"out-of-sample return {_pct((result.get('oos_stats') or {}).get('Return [%]'))}",
             "walk-forward efficiency " + ("n/a (the in-sample return per bar is 0 or negative)"
                                           if eff is None else f"{eff:.3f}")]  # fmt: skip
    stable = []
    for name, s in (result.get("stability") or {}).items():
        stable.append(f"{name}: {s['distinct']} distinct, {s['mode']} in {s['mode_share']:.0%}")
    if stable:
        parts.append("parameters across folds: " + "; ".join(stable))
    return " · ".join(parts)


def _pct(value) -> str:
    return "-" if value is None else f"{value:+.2f}%"


def _num(value) -> str:
    return "-" if value is None else f"{value:.3g}"


def research_rows(runs: list[dict]) -> list[dict]:
    """The searches and walk-forwards list: when, what, on what, best, status."""
    rows = []
    for run in runs:
        request = run.get("request") or {}
        searched = ", ".join(f"{k}={v}" for k, v in (request.get("params") or {}).items())
        best = run.get("best") or {}
        best_params = best.get("params") or {}
        value = best.get("value")
        if run["kind"] == "walkforward":
            eff = best.get("efficiency")
            ret = best.get("oos_return_pct")
            shown = ("" if ret is None else f"oos {ret:+.2f}%") + (
                "" if eff is None else f", efficiency {eff:.2f}"
            )
        else:
            shown = ", ".join(f"{k}={v}" for k, v in best_params.items()) + (
                "" if value is None else f" → {value:.4g}"
            )
        rows.append({
            "id": run["id"], "started": format_ms(run["created_at"]),
            "kind": "walk-forward" if run["kind"] == "walkforward" else "search",
            "series": f"{run['symbol']} {run['timeframe']}",
            "period": _period(request),
            "strategy": f"{run['strategy']}({searched})",
            "best": shown, "trials": run.get("trials_count", 0),
            "status": run["status"], "by": run.get("started_by") or "",
        })  # fmt: skip
    return rows


def _period(request: dict) -> str:
    if request.get("start") is None:
        return ""
    return f"{format_ms(request['start'])} .. {format_ms(request['end'])}"
