"""Pure helpers of the review flow in the Annotate panel: which row comes next, how many rows
the list holds of how many match, errors with readable times, and the table's look."""

from __future__ import annotations

import re

from core.timefmt import format_ms
from dashboard.figures.theme import ACCENT, SELECTED_BACKGROUND, WHITE

# The list shows at most this many rows (newest first); the count says how many matched.
MAX_TABLE_ROWS = 2000

SELECTED_ROW_STYLE = {"backgroundColor": SELECTED_BACKGROUND, "color": WHITE, "fontWeight": "bold"}
ACTIVE_CELL_STYLE = {
    "backgroundColor": SELECTED_BACKGROUND,
    "color": WHITE,
    "border": f"1px solid {ACCENT}",
}

# Epoch milliseconds from 1973 to 2286 (12 or 13 digits): what span errors print for times.
_EPOCH_MS = re.compile(r"(?<!\d)[1-9]\d{11,12}(?!\d)")


def readable_times(text: str) -> str:
    """Replace epoch milliseconds in a message by the UTC text the time inputs use."""
    return _EPOCH_MS.sub(lambda m: format_ms(int(m.group(0))), text)


def count_text(shown: int, matching: int) -> str:
    """'2,000 of 2,983 spans' when the list is capped, '174 spans' when it holds them all."""
    if shown < matching:
        return f"{shown:,} of {matching:,} spans (newest first)"
    return f"{matching:,} span{'' if matching == 1 else 's'}"


def bulk_label(verb: str, matching: int) -> str:
    return f"{verb} all {matching:,} matching"


def bulk_question(verb: str, matching: int, filters: dict) -> str:
    chosen = ", ".join(f"{k} {v}" for k, v in filters.items() if v) or "no filter"
    return (
        f"{verb} all {matching:,} spans that match the filter ({chosen}), on every page of the "
        "list?"
    )


def next_row(rows: list[dict], current: str | None, stays_listed: bool) -> tuple[str | None, int]:
    """(id of the row to review after ``current``, its index once the list refreshes).

    ``rows`` is the list as shown (filtered and sorted). When the reviewed row leaves the list
    (a status filter no longer matches) the next row moves up into its place."""
    ids = [row["id"] for row in rows]
    if current not in ids:
        return (ids[0], 0) if ids else (None, 0)
    index = ids.index(current)
    if index + 1 >= len(ids):
        return None, 0
    return ids[index + 1], index + 1 if stays_listed else index


def selected_row_styles(span_id: str | None) -> list[dict]:
    """Conditional styles of the span table: the active cell and the selected span's row."""
    styles = [{"if": {"state": "active"}, **ACTIVE_CELL_STYLE},
              {"if": {"state": "selected"}, **ACTIVE_CELL_STYLE}]  # fmt: skip
    if span_id:
        styles.append({"if": {"filter_query": f'{{id}} = "{span_id}"'}, **SELECTED_ROW_STYLE})
    return styles
