"""Who a request acts for (issue 18, *Named people*): a person's token or the session cookie
``/login`` sets names them (the cookie signed under that person's token); ``server.auth_token``
signs in as an operator named ``admin``; on loopback an ``X-User`` header or
``annotations.author`` names an operator, and with a token ``X-User`` can't name someone else."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from dashboard.server.security import COOKIE
from tests.helpers.secured_app import TOKEN, cookie_value, make_app

ANN = "ann-token-0123456789"
VIC = "vic-token-0123456789"
USERS = [
    {"name": "ann", "role": "annotator", "token": ANN},
    {"name": "vic", "role": "viewer", "token_sha256": hashlib.sha256(VIC.encode()).hexdigest()},
]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    base = tmp_path_factory.mktemp("people")
    return make_app(base, host="0.0.0.0", auth_token=TOKEN, users=USERS)


def layout_of(client, **kw) -> str:
    response = client.get("/_dash-layout", **kw)
    assert response.status_code == 200, response.data[:300]
    return response.get_data(as_text=True)


def you_are(layout: str) -> dict:
    """The *You are* box's props in a served layout."""

    def find(node):
        if isinstance(node, dict):
            props = node.get("props") or {}
            if props.get("id") == "user-name":
                return props
            for value in (*props.values(), *node.values()):
                found = find(value)
                if found:
                    return found
        elif isinstance(node, list):
            for item in node:
                found = find(item)
                if found:
                    return found
        return None

    return find(json.loads(layout))


@pytest.mark.parametrize(
    "token, name, role",
    [(ANN, "ann", "annotator"), (VIC, "vic", "viewer"), (TOKEN, "admin", "operator")],
)
def test_a_bearer_token_names_its_person_in_the_page(app, token, name, role):
    layout = layout_of(app.server.test_client(), headers=bearer(token))
    assert f"{name} · {role}" in layout  # beside Sign out
    box = you_are(layout)
    assert box["value"] == name and box["disabled"] is True and not box.get("persistence")


def test_signing_in_sets_a_cookie_that_names_the_person(app):
    client = app.server.test_client()
    response = client.post("/login", data={"token": VIC, "next": "/"})  # a token_sha256 user
    assert response.status_code == 302
    assert VIC not in response.headers["Set-Cookie"]
    assert "vic · viewer" in layout_of(client)


def test_a_cookie_cannot_be_turned_into_another_persons(app):
    client = app.server.test_client()
    client.post("/login", data={"token": VIC, "next": "/"})
    value = client.get_cookie(COOKIE).value
    issued, middle, signature = value.split(".")
    session_id = middle.split("~")[0]
    as_ann = base64.urlsafe_b64encode(b"ann").decode().rstrip("=")
    for forged in (f"{issued}.{session_id}~{as_ann}.{signature}",
                   f"{issued}.{session_id}.{signature}"):  # fmt: skip
        other = app.server.test_client()
        other.set_cookie(COOKIE, forged)
        assert other.get("/api/health").status_code == 401, forged


def test_a_cookie_of_the_old_form_opens_nothing(app):
    # Before people had names the cookie was <issued>.<id>.<HMAC under the token>.
    key = hmac.new(TOKEN.encode(), b"tradedash-session-key", "sha256").digest()
    issued, session_id = int(time.time()), "abcdefghijklmnopqrstuvwx"
    signature = hmac.new(key, f"{issued}.{session_id}".encode(), hashlib.sha256).hexdigest()
    client = app.server.test_client()
    client.set_cookie(COOKIE, f"{issued}.{session_id}.{signature}")
    assert client.get("/api/health").status_code == 401


def test_a_changed_token_or_a_removed_person_ends_only_their_sessions(tmp_path):
    first = make_app(tmp_path, host="0.0.0.0", users=USERS)
    cookies = {}
    for name, token in (("ann", ANN), ("vic", VIC)):
        response = first.server.test_client().post("/login", data={"token": token, "next": "/"})
        cookies[name] = cookie_value(response, COOKIE)
    # ann gets a new token; vic leaves the config; a new person arrives.
    changed = [{**USERS[0], "token": "a-new-token-for-ann-01"},
               {"name": "bo", "role": "viewer", "token": "bo-token-0123456789"}]  # fmt: skip
    again = make_app(tmp_path, host="0.0.0.0", users=changed)
    for name in ("ann", "vic"):
        client = again.server.test_client()
        client.set_cookie(COOKIE, cookies[name])
        assert client.get("/api/health").status_code == 401, name
    kept = make_app(tmp_path, host="0.0.0.0", users=[USERS[0], changed[1]])
    client = kept.server.test_client()
    client.set_cookie(COOKIE, cookies["ann"])
    assert client.get("/api/health").status_code == 200


def test_with_a_token_x_user_must_be_the_signed_in_person(app):
    client = app.server.test_client()
    same = client.get("/api/health", headers={**bearer(ANN), "X-User": "ann"})
    assert same.status_code == 200
    other = client.get("/api/health", headers={**bearer(ANN), "X-User": "admin"})
    assert other.status_code == 403
    assert other.get_json()["error"].startswith("X-User 'admin' is not the signed-in person 'ann'")


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    base = tmp_path_factory.mktemp("local")
    return make_app(base)


def test_on_loopback_the_page_acts_as_the_configured_author_and_x_user_names_someone(local):
    client = local.server.test_client()
    box = you_are(layout_of(client))
    assert box["value"] == "annotator" and not box.get("disabled") and box["persistence"]
    assert you_are(layout_of(client, headers={"X-User": "carol"}))["value"] == "carol"
    assert "signed-in" not in layout_of(client)  # nobody signs in without a token


@pytest.mark.parametrize("header", ["", "   ", "x" * 65, "a<b", "tab\there", " carol"])
def test_on_loopback_an_x_user_that_is_not_a_name_is_a_clear_400(local, header):
    response = local.server.test_client().get("/api/health", headers={"X-User": header})
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("X-User header: ")


def test_the_audit_route_lists_one_persons_actions_as_json_or_csv(local):
    log = local.server.extensions["orchestrator"].audit
    log.record("ann", "span saved", "=SUM(A1) BTC/USDT 1m", at=1)
    log.record("bo", "bulk accepted", "3 spans", at=2)
    log.record("ann", "span edited", "flag", at=3)
    client = local.server.test_client()
    everyone = client.get("/api/audit").get_json()
    assert [e["at"] for e in everyone] == [3, 2, 1]
    assert client.get("/api/audit?person=ann&limit=1").get_json() == [
        {"at": 3, "person": "ann", "action": "span edited", "detail": "flag"}
    ]
    csv = client.get("/api/audit?person=ann&format=csv")
    assert csv.mimetype == "text/csv"
    # A detail a spreadsheet would run is written after a ' (as in every CSV the app writes).
    assert csv.get_data(as_text=True).splitlines() == [
        "at,person,action,detail",
        "3,ann,span edited,flag",
        "1,ann,span saved,'=SUM(A1) BTC/USDT 1m",
    ]
    refused = [
        ("person=a%3Cb", "person: the name"),
        ("limit=0", "limit must be >= 1"),
        ("limit=10001", "limit must be <= 10000, got"),
        ("format=xml", "format must"),
    ]
    for query, words in refused:
        response = client.get(f"/api/audit?{query}")
        assert response.status_code == 400 and words in response.get_json()["error"], query
