"""Pure figure builders for the Models tab: accuracy over time beside its baselines."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.figures.theme import (
    BASELINE,
    CALIBRATION_BAR,
    CHANCE,
    DARK_LAYOUT,
    MODEL_LINE,
    SHORT_WINDOW_LINE,
)


def headline(short: dict, long: dict) -> str:
    """One line: hit rate against its baselines, error against naive, and the verdict."""
    text = (
        f"hit rate {long['hit_rate']:.0%} (last {long['window']}), {short['hit_rate']:.0%} "
        f"(last {short['window']}) vs majority {long['majority_baseline']:.0%} and 50 %"
    )
    if long["skill"] is not None:
        text += (
            f"; error {long['mean_error_pct']:.3f}% vs naive {long['mean_naive_error_pct']:.3f}%"
            f" (skill {long['skill']:+.2f})"
        )
    return text


def has_edge(group: dict) -> bool:
    """Better than every baseline it has: the majority direction, 50 %, and naive error."""
    beats_rate = group["hit_rate"] > max(group["majority_baseline"], 0.5)
    return beats_rate and (group["skill"] is None or group["skill"] > 0)


def accuracy_figure(short: dict, long: dict) -> go.Figure:
    """Rolling hit rate (short and long window) with the majority and 50 % baselines; rolling
    mean error against naive; calibration (hit rate per confidence bin)."""
    fig = make_subplots(
        rows=3, cols=1, vertical_spacing=0.12, row_heights=[0.4, 0.3, 0.3],
        subplot_titles=("hit rate over time", "mean error % vs naive", "calibration"),
    )  # fmt: skip
    times = [p["time"] for p in long["series"]]
    short_times = [p["time"] for p in short["series"]]
    fig.add_scatter(
        x=short_times,
        y=[p["hit_rate"] for p in short["series"]],
        row=1,
        col=1,
        name=f"hit rate {short['window']}",
        line={"color": SHORT_WINDOW_LINE, "width": 1},
    )
    fig.add_scatter(
        x=times,
        y=[p["hit_rate"] for p in long["series"]],
        row=1,
        col=1,
        name=f"hit rate {long['window']}",
        line={"color": MODEL_LINE, "width": 2},
    )
    fig.add_scatter(
        x=times,
        y=[p["majority"] for p in long["series"]],
        row=1,
        col=1,
        name="majority baseline",
        line={"color": BASELINE, "dash": "dash"},
    )
    fig.add_scatter(
        x=times,
        y=[0.5] * len(times),
        row=1,
        col=1,
        name="50 %",
        line={"color": CHANCE, "dash": "dot"},
    )
    fig.add_scatter(
        x=times,
        y=[p["error_pct"] for p in long["series"]],
        row=2,
        col=1,
        name="model error",
        line={"color": MODEL_LINE},
    )
    fig.add_scatter(
        x=times,
        y=[p["naive_error_pct"] for p in long["series"]],
        row=2,
        col=1,
        name="naive error",
        line={"color": BASELINE, "dash": "dash"},
    )
    bins = [b for b in long["calibration"] if b["n"]]
    fig.add_bar(
        x=[(b["low"] + b["high"]) / 2 for b in bins],
        y=[b["hit_rate"] for b in bins],
        width=[(b["high"] - b["low"]) * 0.9 for b in bins],
        row=3,
        col=1,
        name="hit rate per confidence bin",
        marker={"color": CALIBRATION_BAR},
        text=[f"n={b['n']}" for b in bins],
        textposition="outside",
    )
    fig.add_scatter(x=[0, 1], y=[0, 1], row=3, col=1, name="perfect calibration",
                    line={"color": CHANCE, "dash": "dot"})  # fmt: skip
    if long["skill"] is None:  # actions have no price target: nothing to compare with naive
        fig.layout.annotations[1].text = "no price target: scored by net return after fees"
    fig.update_xaxes(type="date", row=1, col=1)
    fig.update_xaxes(type="date", row=2, col=1)
    fig.update_xaxes(range=[0, 1], title_text="confidence", row=3, col=1)
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(range=[0, 1.15], tickformat=".0%", row=3, col=1)
    fig.update_layout(**DARK_LAYOUT, font={"size": 10}, margin={"l": 40, "r": 10, "t": 30, "b": 30},
                      height=520, showlegend=True,
                      legend={"orientation": "h", "y": -0.08, "font": {"size": 9}})  # fmt: skip
    return fig
