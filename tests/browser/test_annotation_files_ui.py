"""Export and import annotations from the page, in the CLI's format: export then import gives
back the same spans exactly (JSON: authors and reviewers included). An export that answers after
the person moved to another tab still saves its file."""

from pathlib import Path

import pytest

from core.spans import Span
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser


def stored(orch):
    return sorted((s.to_dict() for s in orch.annotations.list(symbol="BTC/USDT")),
                  key=lambda d: d["id"])  # fmt: skip


@pytest.mark.parametrize("kind", ["JSON", "CSV"])
def test_export_then_import_from_the_page_gives_back_the_same_spans(page, served, tmp_path, kind):
    orch = served.orch
    last = orch.store.latest("BTC/USDT", "1m").time
    made = [orch.annotations.create(Span(None, "BTC/USDT", "1m", last - (10 * i + 5) * 60_000,
                                         last - 10 * i * 60_000, label, "human", "pending",
                                         note=f"note {i}, with a comma", author="ann"))
            for i, label in enumerate(["bull_flag", "wedge ↗", "bear_flag"])]  # fmt: skip
    if kind == "JSON":  # JSON carries who reviewed, and when
        orch.annotations.update(made[0].id, status="accepted", reviewed_by="bo")
    before = stored(orch)
    page.locator("#ann-table td[data-dash-column='label']").first.wait_for()
    with page.expect_download() as info:
        page.get_by_role("button", name=f"Export {kind}").click()
    path = tmp_path / f"spans.{kind.lower()}"
    info.value.save_as(path)
    for span in made:
        orch.annotations.delete(span.id)
    assert stored(orch) == []
    page.locator("#ann-import input[type=file]").set_input_files(str(path))
    message = page.locator("#ann-message")
    wait_for(lambda: "3 spans read; 3 new" in message.inner_text())
    assert stored(orch) == before
    # Importing it again (a copy) adds nothing.
    again = tmp_path / f"again.{kind.lower()}"
    again.write_bytes(path.read_bytes())
    page.locator("#ann-import input[type=file]").set_input_files(str(again))
    wait_for(lambda: "0 new, 3 already there" in message.inner_text())
    if kind != "JSON":
        return
    # The export's answer held back until the Review tab is open (the Annotate tab's body is
    # then not drawn): the file is still saved.
    held = []

    def hold_export(route):
        if "ann-export-file" in (route.request.post_data or ""):
            held.append(route)
        else:
            route.continue_()

    def callbacks(url):
        return "/_dash-update-component" in url  # its query string varies

    page.route(callbacks, hold_export)
    with page.expect_download() as late:
        page.get_by_role("button", name="Export JSON").click()
        # Playwright calls the handler while it serves a call of ours: a short wait lets it run.
        wait_for(lambda: held or page.wait_for_timeout(50))
        page.get_by_role("tab", name="Review").click()
        held[0].continue_()
    page.unroute(callbacks, hold_export)
    assert "bull_flag" in Path(late.value.path()).read_text()
