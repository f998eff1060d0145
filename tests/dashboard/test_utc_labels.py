"""Times the server writes into the page (tables, lists, titles) say UTC: the local-time switch
rewrites only what the browser draws (chart axes, hover boxes, the OHLCV legend, the crosshair)."""

from types import SimpleNamespace

from dash import dash_table

from dashboard.panels import annotations_layout, results_view, review_panel, training_panel
from dashboard.panels.alerts_panel import drawing_rows, fired_rows, toast_lines
from dashboard.panels.replay import replay_figure
from tests.helpers.outcomes import ladder

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000

# Column ids whose cells hold a time or a period written by core.timefmt.
TIME_COLUMNS = {"entry", "exit", "started", "period", "when", "start", "start_text",
                "created_text", "in-sample", "out-of-sample"}  # fmt: skip


def tables(component):
    """Every DataTable in a layout."""
    if isinstance(component, dash_table.DataTable):
        yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            yield from tables(child)


def text(component) -> str:
    if isinstance(component, (str, int, float)):
        return str(component)
    children = getattr(component, "children", None)
    parts = children if isinstance(children, (list, tuple)) else [children]
    return "".join(text(c) for c in parts if c is not None)


def test_every_time_column_says_utc_in_its_header():
    columns = [
        *results_view.TRADE_COLUMNS,
        *results_view.RUN_COLUMNS,
        *results_view.RESEARCH_COLUMNS,
        *training_panel.RUN_COLUMNS,
        *annotations_layout.TABLE_COLUMNS,
    ]
    for layout in (review_panel.layout(("Doji",)), results_view._walkforward_section()):
        for table in tables(layout):
            columns.extend(table.columns)
    timed = [c for c in columns if c["id"] in TIME_COLUMNS]
    assert len(timed) >= 14  # the walk found the review and walk-forward tables too
    assert [c["name"] for c in timed if "(UTC)" not in c["name"]] == []


def test_fired_alerts_and_drawings_say_utc():
    fired = [{"fired_at": T0, "message": "BTC/USDT crossed up through 2"}]
    assert "2023-11-14 22:13:00 UTC · BTC/USDT crossed" in text(fired_rows(fired)[0])
    assert text(toast_lines(fired)[0]).startswith("2023-11-14 22:13:00 UTC · ")
    line = SimpleNamespace(id="d1", kind="line", x0=T0, y0=1.0, x1=T0 + 60_000, y1=2.0)
    where = drawing_rows([line])[0].children[0]  # the drawing, beside its Delete button
    assert where.children == "line 2023-11-14 22:13:00 1 → 2023-11-14 22:14:00 2 (UTC)"


def test_the_replay_title_says_its_clock_is_utc():
    figure = replay_figure(ladder(T0, 5), [], "A", "1m", T0 + 120_000)
    assert figure.layout.title.text == "A · 1m · replay 2023-11-14 22:15:00 UTC"
