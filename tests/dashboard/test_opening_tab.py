"""The page opens on the Annotate tab, and the other tabs' lists wait for their tab: their
callbacks skip the page's opening. That is safe only while each does nothing on the opening
tab; this checks it, and that no callback on the tabs joins them unlisted."""

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from app import create_app
from dashboard import ids
from dashboard.layout import OPENING_TAB
from dashboard.panels import (
    backtest_panel,
    neural_panel,
    research_panel,
    review_panel,
    training_panel,
)

TAB = OPENING_TAB
SKIPPED_ON_OPENING = {
    "symbol_options": lambda: neural_panel.symbol_options(TAB),
    "served_table": lambda: neural_panel.served_table(TAB, None),
    "refresh_datasets": lambda: training_panel.refresh_datasets(None, TAB),
    "training_panel.refresh_runs": lambda: training_panel.refresh_runs(None, TAB),
    "backtest_panel.refresh_runs": lambda: backtest_panel.refresh_runs(None, TAB),
    "research_panel.refresh_runs": lambda: research_panel.refresh_runs(None, TAB),
    "refresh_audit": lambda: review_panel.refresh_audit(None, TAB, None),
    "refresh_disagreements": lambda: review_panel.refresh_disagreements(None, TAB, "BTC/USDT"),
    "refresh_agreement": lambda: review_panel.refresh_agreement(None, None, TAB, "BTC/USDT"),
}


@pytest.mark.parametrize("name", SKIPPED_ON_OPENING)
def test_a_callback_skipped_on_opening_does_nothing_on_the_opening_tab(name):
    try:
        result = SKIPPED_ON_OPENING[name]()
    except PreventUpdate:
        return
    values = result if isinstance(result, tuple) else (result,)
    assert all(value is no_update for value in values), result


def test_the_page_opens_on_that_tab_and_only_the_listed_callbacks_skip_it(make_config):
    app = create_app(config=make_config())
    try:
        with app.server.test_request_context("/"):
            layout = app.layout()
        tabs = [c for c in layout._traverse() if getattr(c, "id", None) == ids.TABS]
        assert [t.active_tab for t in tabs] == [OPENING_TAB]
        # A remembered tab (Dash persistence) would open the page elsewhere: none is kept.
        assert not getattr(tabs[0], "persistence", None)
        on_tabs = [cb for cb in app._callback_list
                   if {"id": ids.TABS, "property": "active_tab"} in cb["inputs"]]  # fmt: skip
        # The Models tab's body is seeded by the layout instead (test_opening_seeds checks it).
        skipped = [cb for cb in on_tabs if cb.get("prevent_initial_call")
                   and cb["output"] != f"{ids.MODELS_BODY}.children"]  # fmt: skip
        assert len(skipped) == len(SKIPPED_ON_OPENING), [cb["output"] for cb in skipped]
    finally:
        app.server.extensions["orchestrator"].db.close()


def test_each_tab_body_is_in_the_layout_and_follows_the_tab_bar(make_config):
    """The bar's tabs are empty; each body sits in the bodies' ``dcc.Tabs`` (which draws only
    the selected one) under its tab's id, every field of it in Dash's layout for the callbacks,
    and the bodies follow the bar."""
    app = create_app(config=make_config())
    try:
        with app.server.test_request_context("/"):
            layout = app.layout()
        by_id = {c.id: c for c in layout._traverse() if isinstance(getattr(c, "id", None), str)}
        bar, bodies = by_id[ids.TABS], by_id[ids.TAB_BODIES]
        assert all(getattr(tab, "children", None) is None for tab in bar.children)
        tab_ids = [tab.tab_id for tab in bar.children]
        assert [body.value for body in bodies.children] == tab_ids
        assert bodies.value == bar.active_tab == OPENING_TAB
        assert tab_ids[:2] == ["annotate", "train"] and len(tab_ids) == 7
        review = bodies.children[tab_ids.index("review")]
        assert any(getattr(c, "id", None) == ids.REVIEW_REFRESH for c in review._traverse())
        follow = [cb for cb in app._callback_list if cb["output"] == f"{ids.TAB_BODIES}.value"]
        assert [cb["inputs"] for cb in follow] == [[{"id": ids.TABS, "property": "active_tab"}]]
    finally:
        app.server.extensions["orchestrator"].db.close()
