"""Export and import of labelled spans as JSON or CSV files, chosen by the file's extension.

JSON (``.json``): a list of span objects, UTF-8::

    [
      {"id": "42", "symbol": "BTC/USDT", "timeframe": "1m",
       "start": 1700000000000, "end": 1700000120000, "label": "CDLENGULFING_bull",
       "source": "human", "status": "accepted", "note": "", "author": "ana",
       "created_at": 1700000500000, "updated_at": null, "confidence": null,
       "reviewed_by": "bo", "reviewed_at": 1700000600000}
    ]

``start``/``end`` are the open times (UTC epoch ms) of the first and last candle covered;
``source`` is human|talib|model, ``status`` accepted|pending|rejected; ``id``, ``note``,
``author`` (who saved or last edited it), ``created_at``, ``updated_at`` (epoch ms),
``confidence`` (0..1), ``reviewed_by`` and ``reviewed_at`` (who accepted or rejected it, and
when) may be left out or null. CSV (``.csv``): UTF-8, the header
``id,symbol,timeframe,start,end,label,source,status,note,author,created_at,updated_at,confidence,``
``reviewed_by,reviewed_at`` (the optional columns may be left out: a file written before the
review columns imports as it did), one span per record, an empty cell for null, fields with
commas, quotes or line breaks quoted the usual way. A text cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is written after a ``'`` so that a spreadsheet shows it
instead of running it as a formula; reading removes that ``'`` again (see ``core.csv_cells``), so
export then import gives back the same text.

Every span read is checked with :func:`core.spans.validate_span`; the first bad one stops
the import with an :class:`ImportFileError` naming the file, where (CSV: the line as a text
editor shows it, the header being line 1; JSON: the item index and its line) and the problem.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path

from core.csv_cells import escape_cell, unescape_cell
from core.spans import Span, SpanError, validate_span

CSV_COLUMNS = (
    "id",
    "symbol",
    "timeframe",
    "start",
    "end",
    "label",
    "source",
    "status",
    "note",
    "author",
    "created_at",
    "updated_at",
    "confidence",
    # Who accepted or rejected the span, and when (optional on import: older files lack them).
    "reviewed_by",
    "reviewed_at",
)
_CSV_REQUIRED = ("symbol", "timeframe", "start", "end", "label", "source", "status")
_CSV_INTS = ("start", "end", "created_at", "updated_at", "reviewed_at")


class ImportFileError(ValueError):
    """A span file that cannot be imported; ``path``, ``line`` and ``item`` say where."""

    def __init__(self, path: Path, problem: str, line: int | None = None, item: int | None = None):
        self.path, self.problem, self.line, self.item = Path(path), problem, line, item
        where = []
        if item is not None:
            where.append(f"item [{item}]")
        if line is not None:
            where.append(f"line {line}")
        super().__init__(f"{path}: {' at '.join(where) + ': ' if where else ''}{problem}")


def export_spans(spans: Iterable[Span], path: Path | str) -> Path:
    """Write spans to ``path`` (.json or .csv) atomically; returns the path."""
    path = Path(path)
    spans = list(spans)
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps([s.to_dict() for s in spans], ensure_ascii=False, indent=2) + "\n"
    elif suffix == ".csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for span in spans:
            writer.writerow(["" if v is None else str(v) for v in _row(span)])
        text = buffer.getvalue()
    else:
        raise ValueError(f"{path}: unsupported file type {path.suffix!r}: use .json or .csv")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _row(span: Span) -> list:
    values = span.to_dict()
    return [
        repr(values[c]) if c == "confidence" and values[c] is not None else escape_cell(values[c])
        for c in CSV_COLUMNS
    ]


def read_spans(path: Path | str) -> list[Span]:
    """Spans from a .json or .csv file, each validated; the first bad one raises ImportFileError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise ImportFileError(path, f"unsupported file type {path.suffix!r}: use .json or .csv")
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except FileNotFoundError:
        raise ImportFileError(path, "file not found") from None
    except UnicodeDecodeError as exc:
        raise ImportFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return _read_json(path, text) if suffix == ".json" else _read_csv(path, text)


def _read_json(path: Path, text: str) -> list[Span]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            path, f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno
        ) from None
    if not isinstance(data, list):
        raise ImportFileError(
            path, f"must hold a list of spans [{{...}}, ...], got {type(data).__name__}"
        )
    spans = []
    for i, (item, offset) in enumerate(zip(data, _item_offsets(text), strict=True)):
        line = text.count("\n", 0, offset) + 1
        try:
            spans.append(validate_span(Span.from_dict(item)))
        except SpanError as exc:
            raise ImportFileError(path, str(exc), line=line, item=i) from None
    return spans


def _item_offsets(text: str) -> list[int]:
    """Character offsets where each item of a (valid) top-level JSON array starts."""
    decoder = json.JSONDecoder()
    blank = " \t\r\n"
    i = text.index("[") + 1
    offsets = []
    while True:
        while text[i] in blank:
            i += 1
        if text[i] == "]":
            return offsets
        offsets.append(i)
        _, i = decoder.raw_decode(text, i)
        while text[i] in blank:
            i += 1
        if text[i] == ",":
            i += 1


def _read_csv(path: Path, text: str) -> list[Span]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise ImportFileError(
                path,
                f"empty file: the first line must be the header {','.join(CSV_COLUMNS)}",
                line=1,
            )
        header = [h.strip() for h in header]
        unknown = [h for h in header if h not in CSV_COLUMNS]
        missing = [h for h in _CSV_REQUIRED if h not in header]
        repeated = sorted({h for h in header if header.count(h) > 1})
        for problem, names in (("unknown", unknown), ("missing", missing), ("repeated", repeated)):
            if names:
                raise ImportFileError(
                    path,
                    f"{problem} column {names[0]!r} in the header "
                    f"(expected {','.join(CSV_COLUMNS)})",
                    line=1,
                )
        spans = []
        line = reader.line_num + 1
        for row in reader:
            if row and any(cell.strip() for cell in row):
                spans.append(_csv_span(path, header, row, line))
            line = reader.line_num + 1
        return spans
    except csv.Error as exc:
        raise ImportFileError(path, f"malformed CSV: {exc}", line=reader.line_num) from None


def _csv_span(path: Path, header: list[str], row: list[str], line: int) -> Span:
    if len(row) != len(header):
        raise ImportFileError(
            path,
            f"{len(row)} fields where the header has {len(header)} "
            "(quote fields that contain commas)",
            line=line,
        )
    values: dict[str, object] = {}
    for name, cell in zip(header, row, strict=True):
        if name not in _CSV_INTS and name != "confidence":
            cell = unescape_cell(cell)  # the ' written before a formula start
        if name in ("note", "author", "reviewed_by"):
            values[name] = cell
        elif cell == "":
            values[name] = None if name not in _CSV_REQUIRED else cell
        elif name in _CSV_INTS:
            try:
                values[name] = int(cell.strip())
            except ValueError:
                raise ImportFileError(
                    path,
                    f"{name} must be a whole number of epoch milliseconds, got {cell!r}",
                    line=line,
                ) from None
        elif name == "confidence":
            try:
                values[name] = float(cell)
            except ValueError:
                raise ImportFileError(
                    path, f"confidence must be a number from 0 to 1, got {cell!r}", line=line
                ) from None
        else:
            values[name] = cell
    for name in ("start", "end"):
        if values[name] == "":
            raise ImportFileError(path, f"{name} is empty", line=line)
    try:
        return validate_span(Span.from_dict(values))
    except SpanError as exc:
        raise ImportFileError(path, str(exc), line=line) from None
