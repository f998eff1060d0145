"""Callbacks whose outputs the page's layout already holds skip the page's opening: each such
call cost the opening a request and a round of the Dash renderer (about a tenth of a second of
chromium CPU each, ``bench/page_cost.py``). That is safe only while the layout holds exactly what
the callback would return for the layout's own inputs; this checks it for each of them."""

import json

import plotly
import pytest
from dash import no_update

from app import create_app
from dashboard import ids
from dashboard.panels import (
    backtest_panel,
    champion_panel,
    models_tab,
    predictions_panel,
    research_panel,
    results_view,
)
from dashboard.panels.charts import chart_drawings

SEEDED = {
    f.__name__: f
    for f in (
        results_view.show_view,
        backtest_panel.mode_fields,
        backtest_panel.compare,
        backtest_panel.default_params,
        research_panel.resume_button,
        chart_drawings.flat_button,
        predictions_panel.build_filter,
        champion_panel.on_kind,
        champion_panel.on_run_picked,
        models_tab.refresh_models,
    )
}


@pytest.fixture(scope="module")
def opening(tmp_path_factory):
    """(the app, its components by id as a page receives them)."""
    from runtime.config import config_from_dict

    folder = tmp_path_factory.mktemp("seeds")
    app = create_app(config=config_from_dict({"data_dir": str(folder / "data")}, base_dir=folder))
    with app.server.test_request_context("/"):
        layout = app.layout()
    by_id = {}
    for component in layout._traverse():
        key = getattr(component, "id", None)
        if key is not None:
            by_id[json.dumps(key, sort_keys=True) if isinstance(key, dict) else key] = component
    yield app, by_id
    app.server.extensions["orchestrator"].db.close()


def _value(by_id: dict, dep: dict):
    """The layout's value of a callback's input or state; a pattern (``ALL``) gives the list."""
    key, prop = dep["id"], dep["property"]
    if key.startswith("{"):
        pattern = json.loads(key)
        found = [c for k, c in by_id.items() if k.startswith("{") and all(
            v == ["ALL"] or json.loads(k).get(f) == v for f, v in pattern.items())]  # fmt: skip
        return [getattr(c, prop, None) for c in found]
    return getattr(by_id[key], prop, None)


def _entry(app, function):
    for key, entry in app.callback_map.items():
        if getattr(entry["callback"], "__wrapped__", None) is function:
            return key, entry
    raise AssertionError(f"{function.__name__} is not a callback of the app")


def _json(value) -> str:
    return json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder, sort_keys=True)


@pytest.mark.parametrize("name", SEEDED)
def test_the_layout_holds_what_a_seeded_callback_returns_on_opening(opening, name):
    app, by_id = opening
    key, entry = _entry(app, SEEDED[name])
    listed = [cb for cb in app._callback_list if cb["output"] == key]
    assert listed and listed[0]["prevent_initial_call"], f"{name} still fires on opening"
    args = [_value(by_id, dep) for dep in entry["inputs"] + entry["state"]]
    with app.server.test_request_context("/"):
        result = SEEDED[name](*args)
    outputs = key.strip(".").split("...")
    results = result if len(outputs) > 1 else (result,)
    assert len(results) == len(outputs), (key, result)
    for output, got in zip(outputs, results, strict=True):
        if got is no_update:
            continue
        component_id, prop = output.rsplit(".", 1)
        held = getattr(by_id[component_id], prop, None)
        assert _json(got) == _json(held), f"{name}: the layout's {output} is {held!r}, not {got!r}"


def test_the_page_opens_with_the_annotations_version_so_its_first_tick_finds_nothing_new(opening):
    """Seeded with 0, the first tick listed the spans again and redrew both charts, and the
    table's refresh cleared a row clicked meanwhile."""
    from dashboard.panels import annotations

    app, by_id = opening
    orch = app.server.extensions["orchestrator"]
    held = by_id[ids.ANN_VERSION].data
    assert held == orch.annotations.version
    with app.server.test_request_context("/"):
        assert annotations.follow_version(1, held) is no_update


def test_a_page_opens_when_the_annotations_version_cant_be_read(make_config, monkeypatch):
    """A dropped PostgreSQL listener raises from ``version``: the page still opens, seeded 0
    (its first tick catches up), as before the seed."""
    from labels.annotations import AnnotationStore

    def unreadable(self):
        raise ConnectionError("listener dropped")

    app = create_app(config=make_config())
    try:
        monkeypatch.setattr(AnnotationStore, "version", property(unreadable))
        with app.server.test_request_context("/"):
            layout = app.layout()
        stores = [c for c in layout._traverse() if getattr(c, "id", None) == ids.ANN_VERSION]
        assert [s.data for s in stores] == [0]
    finally:
        app.server.extensions["orchestrator"].db.close()
