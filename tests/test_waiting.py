"""The suite's one wait (tests/helpers/waiting.py): what it returns, and what it says on a
timeout."""

import itertools

import pytest

from tests.helpers.waiting import wait_for


def test_returns_the_first_truthy_value():
    calls = itertools.count()
    assert wait_for(lambda: max(0, next(calls) - 2), interval=0) == 1


def test_a_timeout_says_what_shows_returns_then():
    seen = itertools.count()
    last = []

    def shows():
        return f"last seen {last[-1]}"

    with pytest.raises(AssertionError) as failed:
        wait_for(lambda: last.append(next(seen)) and False, timeout=0.05, interval=0, shows=shows)
    # shows() ran at the deadline: the message names the last value the wait polled
    assert str(failed.value).endswith(f"within 0.05 s; last seen {last[-1]}"), failed.value
    assert last[-1] > 0
    with pytest.raises(AssertionError, match=r"not met within 0.05 s$"):
        wait_for(lambda: False, timeout=0.05, interval=0)
