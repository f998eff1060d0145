"""Each role against each kind of action (issue 18, *Roles*): the page's buttons, posted to
``/_dash-update-component`` as the page does, and the REST routes. A viewer reads only; an
annotator labels and reviews; an operator also trains, moves champions and runs backtests. A
refusal says who may, in the page's message (nothing changes) and as a 403 in the API."""

from __future__ import annotations

import pytest

from core.people import ACTIONS, ROLES
from core.spans import Span
from core.timefmt import format_ms
from tests.helpers import backtests as backtest_helpers
from tests.helpers.backtest_queue import settle
from tests.helpers.callbacks import answer_text, press
from tests.helpers.candles import make_candles
from tests.helpers.secured_app import make_app

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000
TOKENS = {role: f"{role}-token-0123456789" for role in ROLES}
NAMES = {"viewer": "vic", "annotator": "ann", "operator": "olga"}
USERS = [{"name": NAMES[r], "role": r, "token": TOKENS[r]} for r in ROLES]
blocking = backtest_helpers.blocking
Blocking = backtest_helpers.Blocking


def as_role(role: str) -> dict:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    base = tmp_path_factory.mktemp("roles")
    app = make_app(base, host="0.0.0.0", users=USERS)
    orch = app.server.extensions["orchestrator"]
    orch.store.ingest("BTC/USDT", make_candles(900, start=T0))
    orch.store.merge_history("BTC/USDT", "1m", make_candles(300, start=T0, frame_ms=60_000))
    yield app
    orch.stop()


@pytest.fixture(scope="module")
def dependencies(app):
    return app.server.test_client().get("/_dash-dependencies", headers=as_role("viewer")).json


def selection(offset: int) -> dict:
    return {"symbol": "BTC/USDT", "timeframe": "1s", "start": T0 + offset * 1000,
            "end": T0 + (offset + 4) * 1000}  # fmt: skip


NEW_LINE = {
    "name": "new-drawing",
    "type": "line",
    "xref": "x",
    "yref": "y",
    "x0": T0,
    "x1": T0 + 60_000,
    "y0": 100.0,
    "y1": 101.0,
}  # what the modebar's line tool draws

# A press of each button that changes something, the action it takes, and what the page sends
# with it. The values make an allowed press stop short of long work (an unknown model type, an
# empty queue), so the matrix runs in seconds.
PRESSES = [
    ("ann-save.n_clicks", "save spans",
     {"ann-selection.data": selection(10), "ann-label.value": "bull_flag"}),
    ("ann-update.n_clicks", "edit or delete spans", {"ann-edit-label.value": "x"}),
    ("ann-delete.n_clicks", "edit or delete spans", {}),
    ("ann-undo.n_clicks", "edit or delete spans", {}),
    ("ann-accept.n_clicks", "review spans", {}),
    ("ann-reject.n_clicks", "review spans", {}),
    ("ann-bulk-accept-confirm.submit_n_clicks", "review spans",
     {"symbol-select.value": "BTC/USDT", "ann-filter-label.value": "no-such-label"}),
    ("ann-bulk-reject-confirm.submit_n_clicks", "review spans",
     {"symbol-select.value": "BTC/USDT", "ann-filter-label.value": "no-such-label"}),
    ("review-confirm.n_clicks", "review spans", {"symbol-select.value": "BTC/USDT"}),
    ("review-dismiss.n_clicks", "review spans", {"symbol-select.value": "BTC/USDT"}),
    ("ann-from-model.n_clicks", "send model spans to review", {"symbol-select.value": "BTC/USDT"}),
    ("ann-import.contents", "import annotations", {"ann-import.contents": ""}),
    ("auto-run.n_clicks", "auto-label", {"symbol-select.value": "BTC/USDT"}),
    ("auto-cancel.n_clicks", "auto-label", {}),
    ("train-build.n_clicks", "build datasets", {}),
    ("train-run.n_clicks", "train models", {"train-model.value": "no_such_model"}),
    ("train-cancel.n_clicks", "train models", {}),
    ("neural-train.n_clicks", "train models", {"neural-kind.value": "no_such_kind"}),
    ("neural-cancel.n_clicks", "train models", {"neural-kind.value": "cnn"}),
    ("champion-confirm.submit_n_clicks", "move champions", {"champion-kind.value": "pattern"}),
    ("bt-run.n_clicks", "run backtests", {"bt-symbol.value": "NOPE/USDT"}),
    ("bt-cancel.n_clicks", "run backtests", {}),
    ("bt-run.n_clicks", "run searches",
     {"bt-mode.value": "search", "bt-symbol.value": "NOPE/USDT"}),
    ("bt-cancel.n_clicks", "run searches",
     {"bt-view.data": {"open": True, "what": "search"}, "bt-research-shown.data": {"id": "nope"}}),
    ("bt-run.n_clicks", "run walk-forwards",
     {"bt-mode.value": "walkforward", "bt-symbol.value": "NOPE/USDT"}),
    ("bt-cancel.n_clicks", "run walk-forwards",
     {"bt-view.data": {"open": True, "what": "walkforward"},
      "bt-research-shown.data": {"id": "nope"}}),
    ("alert-add.n_clicks", "manage alerts", {"alert-kind.value": "job"}),
    ('{"symbol":["ALL"],"tf":["ALL"],"type":"chart-drawn"}.data', "draw on charts",
     {'{"symbol":["ALL"],"tf":["ALL"],"type":"chart-drawn"}.data':
      [None, {"shape": NEW_LINE, "at": 1}]}),
]  # fmt: skip


def allowed(role: str, action: str) -> bool:
    return ROLES.index(role) >= ROLES.index(ACTIONS[action])


def footprint(orch) -> tuple:
    """What a refused press must leave as it was."""
    return (len(orch.annotations.list()), len(orch.audit.list(limit=10**6)),
            len(orch.jobs.list()), len(orch.backtests.list(1000)),
            len(orch.research.list("search", 1000)),
            len(orch.research.list("walkforward", 1000)), len(orch.alerts.list()),
            len(orch.drawings.list()))  # fmt: skip


def test_every_action_of_the_table_has_a_button_here():
    assert {action for _, action, _ in PRESSES} == set(ACTIONS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("trigger, action, values", PRESSES, ids=[p[0] for p in PRESSES])
def test_each_role_against_each_button(app, dependencies, role, trigger, action, values):
    orch = app.server.extensions["orchestrator"]
    client = app.server.test_client()
    before = footprint(orch)
    response = press(client, dependencies, trigger, values, headers=as_role(role))
    assert response.status_code in (200, 204), response.data[:300]
    text = answer_text(response)
    reason = f"{role} {NAMES[role]!r} may not {action}: "
    if allowed(role, action):
        assert "may not" not in text, text
    else:
        assert reason in text, text
        assert footprint(orch) == before


def test_an_annotator_saves_edits_and_reviews_in_their_own_name(app, dependencies):
    """The page's *You are* box says someone else: with a token the server ignores it."""
    orch = app.server.extensions["orchestrator"]
    client = app.server.test_client()
    headers = as_role("annotator")
    values = {"ann-selection.data": selection(100), "ann-label.value": "double_top",
              "user-name.value": "mallory"}  # fmt: skip
    answer = press(client, dependencies, "ann-save.n_clicks", values, headers=headers)
    assert "Saved double_top" in answer_text(answer)
    [span] = orch.annotations.list(label="double_top")
    assert span.author == "ann"
    pending = orch.annotations.create(
        Span(None, "BTC/USDT", "1s", T0 + 200_000, T0 + 203_000, "breakout", "talib", "pending",
             author="talib")
    )  # fmt: skip
    accept = {"ann-selected.data": pending.id, "user-name.value": "mallory"}
    press(client, dependencies, "ann-accept.n_clicks", accept, headers=headers)
    reviewed = orch.annotations.get(pending.id)
    assert (reviewed.status, reviewed.author, reviewed.reviewed_by) == ("accepted", "talib", "ann")
    # An operator edits it: the editor becomes its author, and the audit list says so.
    edit = {"ann-selected.data": pending.id, "ann-edit-label.value": "breakout_2",
            "ann-edit-start.value": format_ms(pending.start),
            "ann-edit-end.value": format_ms(pending.end)}  # fmt: skip
    answer = press(client, dependencies, "ann-update.n_clicks", edit, headers=as_role("operator"))
    assert "Updated breakout_2" in answer_text(answer)
    edited = orch.annotations.get(pending.id)
    assert (edited.label, edited.author, edited.reviewed_by) == ("breakout_2", "olga", "ann")
    latest = orch.audit.list(limit=1)[0]
    assert (latest["person"], latest["action"]) == ("olga", "span edited")
    assert "saved by talib" in latest["detail"]


def test_a_viewer_reads_the_lists_and_exports(app, dependencies):
    client = app.server.test_client()
    headers = as_role("viewer")
    export = press(client, dependencies, "ann-export-json.n_clicks",
                   {"symbol-select.value": "BTC/USDT"}, headers=headers)  # fmt: skip
    assert export.status_code == 200 and "annotations-BTC-USDT.json" in export.get_data(True)
    for path in ("/api/backtests", "/api/audit", "/api/health", "/api/models"):
        assert client.get(path, headers=headers).status_code == 200, path


# ---- REST --------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_each_role_against_starting_and_cancelling_a_backtest(app, role):
    client = app.server.test_client()
    headers = as_role(role)
    # A body the operator's role lets through to its own check (an unknown strategy: 400).
    start = client.post("/api/backtests", json={"symbol": "BTC/USDT", "strategy": "nope"},
                        headers=headers)  # fmt: skip
    cancel = client.post("/api/backtests/nope/cancel", json={}, headers=headers)
    if role == "operator":
        assert (start.status_code, cancel.status_code) == (400, 404)
        return
    for response in (start, cancel):
        assert response.status_code == 403
        assert response.get_json() == {
            "error": f"{role} {NAMES[role]!r} may not run backtests: operators may"
        }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "collection, action", [("searches", "run searches"), ("walkforwards", "run walk-forwards")]
)
def test_each_role_against_starting_cancelling_and_resuming_research(app, role, collection, action):
    client = app.server.test_client()
    headers = as_role(role)
    start = client.post(f"/api/{collection}", json={"symbol": "BTC/USDT", "strategy": "nope"},
                        headers=headers)  # fmt: skip
    cancel = client.post(f"/api/{collection}/nope/cancel", json={}, headers=headers)
    resume = client.post(f"/api/{collection}/nope/resume", json={}, headers=headers)
    assert client.get(f"/api/{collection}", headers=headers).status_code == 200
    if role == "operator":
        assert (start.status_code, cancel.status_code, resume.status_code) == (400, 404, 404)
        return
    for response in (start, cancel, resume):
        assert response.status_code == 403
        assert response.get_json() == {
            "error": f"{role} {NAMES[role]!r} may not {action}: operators may"
        }


def test_a_search_records_who_started_it(app):
    orch = app.server.extensions["orchestrator"]
    client = app.server.test_client()
    body = {"symbol": "BTC/USDT", "timeframe": "1m", "strategy": "sma_cross",
            "params": {"fast": [3, 5], "slow": [10]}}  # fmt: skip
    started = client.post("/api/searches", json=body, headers=as_role("operator"))
    assert started.status_code == 202, started.get_json()
    assert started.get_json()["started_by"] == "olga"
    run_id = started.get_json()["id"]
    try:
        listed = client.get("/api/searches", headers=as_role("viewer")).get_json()
        assert next(r for r in listed if r["id"] == run_id)["started_by"] == "olga"
        got = client.get(f"/api/searches/{run_id}", headers=as_role("viewer")).get_json()
        assert got["started_by"] == "olga"
        audit = client.get("/api/audit?person=olga&limit=1", headers=as_role("viewer")).json
        assert audit[0]["action"] == "search started" and run_id in audit[0]["detail"]
    finally:
        orch.research.cancel(run_id)
        wait_ended(orch, run_id)


def wait_ended(orch, run_id: str, timeout_s: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while orch.research.status(run_id)["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the search did not end"
        time.sleep(0.05)


def test_a_backtest_records_who_started_it(app, blocking):
    orch = app.server.extensions["orchestrator"]
    client = app.server.test_client()
    try:
        started = client.post("/api/backtests", json={"symbol": "BTC/USDT",
                                                      "strategy": Blocking.name},
                              headers=as_role("operator"))  # fmt: skip
        assert started.status_code == 202 and started.get_json()["started_by"] == "olga"
        run_id = started.get_json()["id"]
        listed = client.get("/api/backtests", headers=as_role("viewer")).get_json()
        assert next(r for r in listed if r["id"] == run_id)["started_by"] == "olga"
        assert client.get(f"/api/backtests/{run_id}", headers=as_role("viewer")).json[
            "started_by"] == "olga"  # fmt: skip
        audit = client.get("/api/audit?person=olga&limit=1", headers=as_role("viewer")).json
        assert audit[0]["action"] == "backtest started" and run_id in audit[0]["detail"]
    finally:
        settle(orch, blocking)
