"""Alerts over REST (issue 17): create, list with fired times, delete; 400s naming the field,
403 for a viewer, 404 for an unknown id, and the routes in the OpenAPI document."""

from __future__ import annotations

import pytest

from app import create_app
from runtime.config import config_from_dict
from tests.helpers.secured_app import make_app

ROLE_TOKENS = {"viewer": "viewer-token-0123456789", "annotator": "annotator-token-0123456789"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    base = tmp_path_factory.mktemp("alerts_api")
    config = {"data_dir": str(base / "data"), "alerts": {"webhook_hosts": ["127.0.0.1"]}}
    app = create_app(config=config_from_dict(config, base_dir=base))
    yield app
    app.server.extensions["orchestrator"].stop()


@pytest.fixture
def client(app):
    return app.server.test_client()


def test_an_alert_is_created_listed_with_its_fired_times_and_deleted(app, client):
    body = {"kind": "price_cross", "symbol": "BTC/USDT", "level": 65000,
            "webhook": "http://127.0.0.1:9/h"}  # fmt: skip
    created = client.post("/api/alerts", json=body)
    assert created.status_code == 201, created.get_json()
    alert = created.get_json()
    assert alert["description"] == "BTC/USDT crosses 65,000" and alert["armed"] is True
    orch = app.server.extensions["orchestrator"]
    from alerts.rules import Trigger

    orch.alerts.record_fired(alert["id"], Trigger(False, 123), {}, "crossed")
    listed = {a["id"]: a for a in client.get("/api/alerts").get_json()}
    assert listed[alert["id"]]["fired"] == [123]
    assert client.delete(f"/api/alerts/{alert['id']}").get_json() == {
        "id": alert["id"], "deleted": True}  # fmt: skip
    assert alert["id"] not in {a["id"] for a in client.get("/api/alerts").get_json()}
    missing = client.delete(f"/api/alerts/{alert['id']}")
    assert missing.status_code == 404 and "no alert" in missing.get_json()["error"]


@pytest.mark.parametrize(
    "body, message",
    [
        ({"kind": "price_cross", "symbol": "BTC/USDT"}, "level: give a price level"),
        ({"kind": "signal", "model": "dqn", "call": "UP"}, "call: for dqn one of BUY, SELL, HOLD"),
        ({"kind": "feed_stale", "stale_s": 0}, "stale_s: seconds, 1..86400"),
        ({"kind": "job", "webhook": "http://10.0.0.1/h"},
         "webhook: host '10.0.0.1' is not in alerts.webhook_hosts (allowed: 127.0.0.1)"),
        ({"kind": "signal", "model": "cnn", "call": "UP", "min_confidence": "high"},
         "min_confidence: must be a finite number"),
        ([1, 2], "the body must be a JSON object"),
    ],
)  # fmt: skip
def test_a_bad_alert_is_a_400_naming_the_field(client, body, message):
    response = client.post("/api/alerts", json=body)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_a_price_alert_may_follow_a_drawn_horizontal_line(app, client):
    from alerts.drawings import make_drawing

    orch = app.server.extensions["orchestrator"]
    line = orch.drawings.add(
        make_drawing("ETH/USDT", "hline", 1_700_000_000_000, None, 3000.0, None)
    )
    drawn = client.get("/api/drawings?symbol=ETH/USDT").get_json()
    assert [d["id"] for d in drawn] == [line.id] and drawn[0]["y1"] == 3000.0
    ok = client.post("/api/alerts", json={"kind": "price_cross", "symbol": "ETH/USDT",
                                          "drawing": line.id})  # fmt: skip
    assert ok.status_code == 201
    wrong = client.post("/api/alerts", json={"kind": "price_cross", "symbol": "BTC/USDT",
                                             "drawing": line.id})  # fmt: skip
    assert wrong.status_code == 400 and "no horizontal line" in wrong.get_json()["error"]


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert set(paths["/api/alerts"]) == {"get", "post"}
    assert "delete" in paths["/api/alerts/{id}"] and "get" in paths["/api/drawings"]


def test_a_viewer_may_list_but_not_add_or_delete(tmp_path):
    users = [
        {"name": role[:3], "role": role, "token": token} for role, token in ROLE_TOKENS.items()
    ]
    app = make_app(tmp_path, host="0.0.0.0", users=users)
    try:
        client = app.server.test_client()
        viewer = {"Authorization": f"Bearer {ROLE_TOKENS['viewer']}"}
        annotator = {"Authorization": f"Bearer {ROLE_TOKENS['annotator']}"}
        refused = client.post("/api/alerts", json={"kind": "job"}, headers=viewer)
        assert refused.status_code == 403
        assert "viewer 'vie' may not manage alerts" in refused.get_json()["error"]
        made = client.post("/api/alerts", json={"kind": "job"}, headers=annotator).get_json()
        assert made["created_by"] == "ann"
        assert client.get("/api/alerts", headers=viewer).status_code == 200
        gone = client.delete(f"/api/alerts/{made['id']}", headers=viewer)
        assert gone.status_code == 403
    finally:
        app.server.extensions["orchestrator"].stop()
