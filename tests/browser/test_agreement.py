"""The Review tab shows Cohen's kappa per pair of annotators, the spans where they disagree, and
each of those spans one click away on the chart."""

import pytest

from core.spans import Span
from dashboard.panels.annotations import jump_range
from tests.helpers.browser import x_range_ms
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

AGREE = "#review-agree td[data-dash-column='{}']"
SPANS = "#review-agree-spans td[data-dash-column='{}']"


def test_kappa_per_pair_and_the_disagreeing_spans_a_click_away(page, served):
    orch = served.orch
    last = orch.store.latest("BTC/USDT", "1m").time
    t0 = last - 100 * 60_000

    def make(author, start, end, label):
        return orch.annotations.create(Span(None, "BTC/USDT", "1m", t0 + start * 60_000,
                                            t0 + end * 60_000, label, "human", "accepted",
                                            author=author))  # fmt: skip

    make("ann", 0, 9, "bull_flag")
    make("bo", 0, 4, "bull_flag")
    odd = make("bo", 5, 9, "bear_flag")
    page.get_by_role("tab", name="Review").click()
    page.get_by_role("button", name="Refresh").nth(1).click()
    wait_for(lambda: page.locator(AGREE.format("kappa")).all_inner_texts() == ["0"])
    assert page.locator(AGREE.format("candles")).all_inner_texts() == ["10"]
    page.locator(AGREE.format("a")).first.click()
    labels = page.locator(SPANS.format("label"))
    wait_for(lambda: labels.all_inner_texts() == ["bull_flag", "bear_flag"])
    labels.nth(1).click()
    # The span is selected (its band drawn, the Annotate tab's editor holds it) and the chart
    # moved to it. The editor is read where a person reads it: a closed tab's body is not drawn.
    page.get_by_role("tab", name="Annotate").click()
    wait_for(lambda: page.locator("#ann-edit-label").input_value() == "bear_flag")
    # The jump's own range (the opening view holds the span too: it would prove nothing).
    wait_for(lambda: x_range_ms(page) == pytest.approx(jump_range(odd), abs=1_000))
