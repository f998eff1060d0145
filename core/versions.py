"""Registered model versions as the API, the CLI and backtests name them: ``champion`` (the alias)
or a version number written in ASCII digits.

``str.isdigit`` alone is not enough: it accepts other scripts' digits (``"١٢"``) and superscripts
(``"²"``), which MLflow has no version for and ``int`` may not even read.
"""

from __future__ import annotations

CHAMPION = "champion"
MAX_DIGITS = 9


def is_version_number(text: object) -> bool:
    """A registered version number: 1 to 9 ASCII digits."""
    return (
        isinstance(text, str) and 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()
    )
