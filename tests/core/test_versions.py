"""Version numbers are ASCII digits only: other scripts' digits are not a registered version."""

import pytest

from core.versions import is_version_number


@pytest.mark.parametrize("text", ["1", "12", "007", "123456789"])
def test_ascii_digits_are_a_version_number(text):
    assert is_version_number(text)


@pytest.mark.parametrize(
    "text", ["", "١٢", "²", "٣", "1.0", "-1", " 1", "1234567890", "champion", None, 12, "１２"]
)
def test_anything_else_is_not(text):
    assert not is_version_number(text)
