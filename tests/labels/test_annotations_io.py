from __future__ import annotations

import json

import pytest

from core.spans import Span
from labels.annotation_files import CSV_COLUMNS, ImportFileError, export_spans, read_spans

HEADER = (
    "id,symbol,timeframe,start,end,label,source,status,note,author,created_at,updated_at,confidence,"
    "reviewed_by,reviewed_at"
)
# The header files had before the review columns (issue 18): such files still import.
OLD_HEADER = HEADER.removesuffix(",reviewed_by,reviewed_at")

SPANS = [
    Span("1", "BTC/USDT", "1m", 1_700_000_000_000, 1_700_000_120_000, "flag", "human", "accepted"),
    Span(
        None,
        "ETH/USDT",
        "1s",
        5,
        5,
        "CDLDOJI_bull",
        "talib",
        "pending",
        note='commas, "quotes", and\nnew\r\nlines',
        author="Zoë 张伟 🚀",
        created_at=1_700_000_000_123,
        updated_at=None,
        confidence=0.1 + 0.2,
    ),
    Span(
        "a-b",
        "EUR/USD",
        "1h",
        0,
        3_600_000,
        "wedge ↗",
        "model",
        "rejected",
        note=" leading and trailing spaces ",
        author="",
        created_at=1,
        updated_at=2,
        confidence=1.0,
        reviewed_by="Ana María",
        reviewed_at=3,
    ),
]


@pytest.mark.parametrize("suffix", [".json", ".csv", ".JSON"])
def test_export_then_import_gives_back_equal_spans(tmp_path, suffix):
    path = export_spans(SPANS, tmp_path / f"spans{suffix}")
    assert read_spans(path) == SPANS
    assert read_spans(export_spans([], tmp_path / f"empty{suffix}")) == []


def test_csv_has_the_documented_header(tmp_path):
    export_spans(SPANS, tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()[0] == HEADER
    assert ",".join(CSV_COLUMNS) == HEADER


def test_the_review_columns_round_trip_and_a_file_without_them_still_imports(tmp_path):
    export_spans(SPANS, tmp_path / "s.csv")
    record = (tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()[-1]
    assert record.endswith(",Ana María,3")
    older = tmp_path / "older.csv"
    row = "7,BTC/USDT,1m,60000,120000,flag,human,accepted,,ann,1,2,0.5"
    older.write_text(f"{OLD_HEADER}\r\n{row}\r\n", encoding="utf-8")
    [span] = read_spans(older)
    assert (span.author, span.reviewed_by, span.reviewed_at) == ("ann", "", None)


def test_json_is_a_list_of_span_dicts(tmp_path):
    export_spans(SPANS, tmp_path / "s.json")
    data = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert data == [s.to_dict() for s in SPANS]


def test_csv_may_leave_out_optional_columns_and_start_with_a_bom(tmp_path):
    path = tmp_path / "short.csv"
    header = "symbol,timeframe,start,end,label,source,status"
    text = f"\ufeff{header}\r\nX,1m,0,60000,a,human,accepted\r\n\r\n"
    path.write_text(text, encoding="utf-8")
    assert read_spans(path) == [Span(None, "X", "1m", 0, 60000, "a", "human", "accepted")]


def write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_csv_errors_name_the_line_a_person_sees(tmp_path):
    good = "1,X,1m,0,60000,flag,human,accepted,,,,,"
    path = write(
        tmp_path / "bad.csv",
        [
            OLD_HEADER,
            good,
            '2,X,1m,0,0,flag,human,accepted,"a note',
            'on two lines",,,,',
            good,
            "4,X,1m,60000,0,flag,human,accepted,,,,,",
        ],
    )
    with pytest.raises(ImportFileError) as info:
        read_spans(path)
    assert info.value.line == 6
    assert str(info.value) == (
        f"{path}: line 6: span 60000..0 ('flag'): end 0 is before start 60000 "
        "(end is the open time of the last candle covered)"
    )


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        ([OLD_HEADER, "1,X,1m,noon,0,flag,human,accepted,,,,,"], 2, "start must be a whole number"),
        ([OLD_HEADER, "1,X,1m,0,0,,human,accepted,,,,,"], 2, "label must not be empty"),
        ([OLD_HEADER, "1,X,1m,0,0,a,human,done,,,,,"], 2, "unknown status 'done'"),
        ([OLD_HEADER, "1,X,1m,0,0,a,human,accepted,,,,,high"], 2, "confidence must be a number"),
        ([OLD_HEADER, "1,X,1m,0,0,a,human,accepted,,,,,2"], 2, "confidence must lie in 0..1"),
        ([OLD_HEADER, "", "1,X,1m,0,0,a,b,accepted,x,y,,,"], 3, "unknown source 'b'"),
        (
            [OLD_HEADER, "1,X,1m,0,0,a,human,accepted,x, y,,,,"],
            2,
            "14 fields where the header has 13",
        ),
        ([OLD_HEADER.replace("label", "tag")], 1, "unknown column 'tag' in the header"),
        ([OLD_HEADER.replace(",label", "")], 1, "missing column 'label' in the header"),
        ([OLD_HEADER, '1,X,1m,0,0,a,human,accepted,"x"y,,,,'], 2, "malformed CSV"),
    ],
)
def test_csv_errors(tmp_path, lines, line, message):
    with pytest.raises(ImportFileError, match=message) as info:
        read_spans(write(tmp_path / "bad.csv", lines))
    assert info.value.line == line
    assert str(info.value).startswith(f"{tmp_path / 'bad.csv'}: line {line}: ")


def test_json_errors_name_the_item_and_its_line(tmp_path):
    items = [s.to_dict() for s in SPANS]
    items[2]["end"] = -1
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(items, indent=2), encoding="utf-8")
    lines = json.dumps(items, indent=2).splitlines()
    expected_line = [n for n, text in enumerate(lines, 1) if text == "  {"][2]
    with pytest.raises(ImportFileError, match="end -1 is before start 0") as info:
        read_spans(path)
    assert (info.value.item, info.value.line) == (2, expected_line)
    assert str(info.value).startswith(f"{path}: item [2] at line {expected_line}: ")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('[{"symbol": "X",}]', 1, "not valid JSON"),
        ("[\n\n  {]", 3, "not valid JSON"),
        ('{"spans": []}', None, r"must hold a list of spans"),
        ('[{"symbol": "X"}]', 1, "missing field 'timeframe'"),
        ("[\n  3\n]", 2, "must be an object"),
    ],
)
def test_json_errors(tmp_path, text, line, message):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFileError, match=message) as info:
        read_spans(path)
    assert info.value.line == line


def test_unsupported_missing_and_undecodable_files(tmp_path):
    with pytest.raises(ImportFileError, match=r"unsupported file type '\.txt'"):
        read_spans(tmp_path / "spans.txt")
    with pytest.raises(ValueError, match=r"unsupported file type '\.xlsx'"):
        export_spans(SPANS, tmp_path / "spans.xlsx")
    with pytest.raises(ImportFileError, match="file not found"):
        read_spans(tmp_path / "nope.csv")
    (tmp_path / "latin.csv").write_bytes(HEADER.encode() + b"\n1,X,1m,0,0,caf\xe9,human,accepted")
    with pytest.raises(ImportFileError, match="not UTF-8"):
        read_spans(tmp_path / "latin.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ImportFileError, match="empty file"):
        read_spans(tmp_path / "empty.csv")
