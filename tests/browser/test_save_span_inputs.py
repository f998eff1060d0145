"""Save span stores what was typed for that span only: the label and note are cleared after a
save, and a label too long or with characters not allowed is refused with a clear message.
What was typed stays through a visit to another tab (a closed tab's body is not drawn)."""

import pytest

from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser


def drag_select(page, x0, x1):
    page.locator("#chart-1m .modebar-btn[data-title='Box Select']").click()
    box = page.locator("#chart-1m .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * x0, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * x1, box["y"] + box["height"] * 0.6, steps=10)
    page.mouse.up()


def test_note_and_label_are_cleared_after_save_and_bad_labels_are_refused(page, served):
    orch = served.orch
    drag_select(page, 0.60, 0.66)
    text = page.locator("#ann-selection-text")
    wait_for(lambda: "candles)" in text.inner_text())
    page.locator("#ann-label").fill("bull_flag")
    page.locator("#ann-note").fill("first manual span")
    page.get_by_role("button", name="Save span").click()
    alert = page.locator("#ann-message")
    wait_for(lambda: "Saved bull_flag" in alert.inner_text())
    wait_for(lambda: page.locator("#ann-note").input_value() == "")
    assert page.locator("#ann-label").input_value() == ""

    # The next span: a label, no note. It is saved without the first span's note.
    drag_select(page, 0.70, 0.74)
    wait_for(lambda: "candles)" in text.inner_text())
    page.locator("#ann-label").fill("bear_flag")
    page.get_by_role("button", name="Save span").click()
    wait_for(lambda: "Saved bear_flag" in alert.inner_text())
    notes = {s.label: s.note for s in orch.annotations.list(symbol="BTC/USDT")}
    assert notes == {"bull_flag": "first manual span", "bear_flag": ""}

    # A 500-character label is refused, in words, and nothing is stored.
    drag_select(page, 0.76, 0.80)
    wait_for(lambda: "candles)" in text.inner_text())
    page.locator("#ann-label").fill("x" * 500)
    page.get_by_role("button", name="Save span").click()
    wait_for(lambda: "at most 64" in alert.inner_text())
    assert "500 characters" in alert.inner_text()
    # What was typed stays, so it can be shortened.
    assert page.locator("#ann-label").input_value() == "x" * 500
    page.locator("#ann-label").fill("flag<script>")
    page.get_by_role("button", name="Save span").click()
    wait_for(lambda: "not allowed" in alert.inner_text())
    assert "<>" in alert.inner_text()
    assert len(orch.annotations.list(symbol="BTC/USDT")) == 2

    # Another tab, and back: the Annotate tab's body is gone while closed, and comes back with
    # what was typed in it.
    page.locator("#ann-note").fill("half-typed note")
    page.get_by_role("tab", name="Review").click()
    wait_for(lambda: page.locator("#ann-note").count() == 0)
    page.get_by_role("tab", name="Annotate").click()
    wait_for(lambda: page.locator("#ann-note").input_value() == "half-typed note")
    assert page.locator("#ann-label").input_value() == "flag<script>"
