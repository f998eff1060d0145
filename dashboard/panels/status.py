"""The status line: a one-line summary of the feeds (how many are in each state, the newest
candle's age, the names of those in trouble), with each feed's state, age and last error in a
dropdown. It stays one line with 3 symbols or 50."""

from __future__ import annotations

from collections import Counter

from dash import Input, Output, html

from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from runtime.orchestrator import now_ms

callbacks = CallbackSet()

STATES = ("ok", "stale", "reconnecting", "stopped")
NAMED_IN_SUMMARY = 3


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
    """One line per feed, for the dropdown."""
    items = []
    for symbol, info in feeds.items():
        status = info.get("status", "stopped")
        title = info.get("error") or status
        items.append(
            html.Div(
                [
                    html.Span("●", className=f"feed-dot-{status}"),
                    f" {symbol} {status} · {describe_age(info.get('last_update'), now)}",
                ],
                title=title,
                **{"data-symbol": symbol, "data-status": status},
            )
        )
    return items


def status_summary(feeds: dict[str, dict], now: int) -> tuple[list, str]:
    """(the summary's parts, its hover text): counts per state, the newest candle's age and the
    first few feeds that are not ok."""
    counts = Counter(info.get("status", "stopped") for info in feeds.values())
    parts: list = []
    for state in STATES:
        if counts[state]:
            parts += [html.Span("●", className=f"feed-dot-{state}"), f" {counts[state]} {state} "]
    updates = [i["last_update"] for i in feeds.values() if i.get("last_update") is not None]
    parts.append(f"· newest {describe_age(max(updates) if updates else None, now)}")
    troubled = [(s, i) for s, i in feeds.items() if i.get("status", "stopped") != "ok"]
    if troubled:
        names = ", ".join(s for s, _ in troubled[:NAMED_IN_SUMMARY])
        more = len(troubled) - NAMED_IN_SUMMARY
        parts.append(f" · {names}" + (f" +{more}" if more > 0 else ""))
    title = "\n".join(
        f"{s}: {i.get('status', 'stopped')}" + (f" ({i['error']})" if i.get("error") else "")
        for s, i in troubled
    )
    return parts, title or "every feed is ok; open for details"


def unfed_parts(symbol: str | None, feeds: dict[str, dict]) -> list:
    """The summary's first words when the chart shows a symbol no feed serves (an imported
    history): said plainly, so "3 ok" never reads as if its candles were live."""
    if not symbol or symbol in feeds:
        return []
    return [
        html.Span("●", className="feed-dot-none"),
        html.Span(f" {symbol}: imported, no live feed", className="feed-none"),
        " · feeds: ",
    ]


def layout() -> html.Details:
    # Static shell: the tick fills summary and list, so an opened dropdown stays open.
    return html.Details(
        [html.Summary(id=ids.FEED_STATUS_SUMMARY), html.Div(id=ids.FEED_STATUS_DETAILS)],
        id=ids.FEED_STATUS,
        className="feed-status",
    )


@callbacks.callback(
    Output(ids.FEED_STATUS_SUMMARY, "children"),
    Output(ids.FEED_STATUS_SUMMARY, "title"),
    Output(ids.FEED_STATUS_DETAILS, "children"),
    Input(ids.TICK, "n_intervals"),
    Input(ids.SYMBOL, "value"),
)
def refresh_status(_n, symbol):
    feeds, now = orchestrator().feed_status(), now_ms()
    summary, title = status_summary(feeds, now)
    unfed = unfed_parts(symbol, feeds)
    if unfed:
        title = f"{symbol} has stored candles but no feed: its chart does not move.\n{title}"
    return unfed + summary, title, status_items(feeds, now)
