"""The status line: each feed's state and the age of its last candle."""

from __future__ import annotations

from dash import Input, Output, html

from core.orchestrator import now_ms
from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator

callbacks = CallbackSet()


def describe_age(last_update: int | None, now: int) -> str:
    if last_update is None:
        return "no data"
    seconds = max(0.0, (now - last_update) / 1000)
    if seconds < 60:
        return f"{seconds:.1f}s ago"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m ago"
    return f"{seconds / 3600:.1f}h ago"


def status_items(feeds: dict[str, dict], now: int) -> list:
    items = []
    for symbol, info in feeds.items():
        status = info.get("status", "stopped")
        title = info.get("error") or status
        items.append(
            html.Span(
                [
                    html.Span("●", className=f"feed-dot-{status}"),
                    f" {symbol} {status} · {describe_age(info.get('last_update'), now)}",
                ],
                className="me-3",
                title=title,
                **{"data-symbol": symbol, "data-status": status},
            )
        )
    return items


def layout() -> html.Div:
    return html.Div(id=ids.FEED_STATUS, className="feed-status")


@callbacks.callback(Output(ids.FEED_STATUS, "children"), Input(ids.TICK, "n_intervals"))
def refresh_status(_n):
    return status_items(orchestrator().feed_status(), now_ms())
