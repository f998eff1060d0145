"""Sessions that expire and can be signed out, sign-ins rate-limited per client address, and
X-Forwarded-* honoured from the trusted proxy only (issue 19, finding 4)."""

import time

import pytest

from dashboard.server.security import COOKIE
from dashboard.server.sessions import LoginLimiter, Sessions
from tests.helpers.secured_app import BEARER, TOKEN, cookie_value, locked_app, make_app, signed_in

PROXY = "10.0.0.1"
HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}


def test_behind_the_trusted_proxy_a_tls_sign_in_gets_a_secure_cookie(tmp_path):
    client = locked_app(tmp_path, trusted_proxy=PROXY).server.test_client()
    response = client.post("/login", data={"token": TOKEN, "next": "/"}, headers=HTTPS,
                           environ_base={"REMOTE_ADDR": PROXY})  # fmt: skip
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("proxy, remote", [(None, "127.0.0.1"), (PROXY, "10.0.0.9")])
def test_forwarded_headers_from_anyone_else_are_ignored(tmp_path, proxy, remote):
    server = {"trusted_proxy": proxy} if proxy else {}
    client = locked_app(tmp_path, **server).server.test_client()
    response = client.post("/login", data={"token": TOKEN, "next": "/"}, headers=HTTPS,
                           environ_base={"REMOTE_ADDR": remote})  # fmt: skip
    assert response.status_code == 302
    assert "Secure" not in response.headers["Set-Cookie"]


def test_without_a_token_a_client_behind_the_proxy_is_not_local(tmp_path):
    client = make_app(tmp_path, trusted_proxy="127.0.0.1").server.test_client()
    far = client.get("/api/health", headers={"X-Forwarded-For": "203.0.113.5"})
    assert far.status_code == 403
    near = client.get("/api/health", headers={"X-Forwarded-For": "127.0.0.1"})
    assert near.status_code == 200


def test_the_cookie_carries_its_issue_time_and_expires(tmp_path):
    app = locked_app(tmp_path, session_hours=2)
    client = app.server.test_client()
    response = signed_in(client)
    assert "Max-Age=7200" in response.headers["Set-Cookie"]
    issued = int(cookie_value(response, COOKIE).split(".")[0])
    assert abs(issued - time.time()) < 120
    db = app.server.extensions["orchestrator"].db
    sessions = Sessions(TOKEN, 2, db)
    for hours_ago, status in ((1, 200), (2.1, 401), (-0.5, 401)):
        fresh = app.server.test_client()
        fresh.set_cookie(COOKIE, sessions.issue(time.time() - hours_ago * 3600))
        assert fresh.get("/api/health").status_code == status, hours_ago


def test_a_forged_or_tampered_cookie_opens_nothing(tmp_path):
    app = locked_app(tmp_path)
    value = cookie_value(signed_in(app.server.test_client()), COOKIE)
    issued, session_id, signature = value.split(".")
    elsewhere = Sessions("another-token-0123456789", 24).issue()
    for forged in (f"{int(issued) + 3600}.{session_id}.{signature}",
                   f"{issued}.{session_id}x.{signature}", f"{issued}.{session_id}.{'0' * 64}",
                   elsewhere, "1.2.3", "x" * 300):  # fmt: skip
        client = app.server.test_client()
        client.set_cookie(COOKIE, forged)
        assert client.get("/api/health").status_code == 401, forged


def test_sign_out_revokes_the_cookie_also_after_a_restart(tmp_path):
    app = locked_app(tmp_path)
    client = app.server.test_client()
    value = cookie_value(signed_in(client), COOKIE)
    other = app.server.test_client()
    signed_in(other)
    out = client.get("/logout")
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert f"{COOKIE}=;" in out.headers["Set-Cookie"]  # the browser forgets it
    assert client.get("/").status_code == 302  # back to the form
    replayed = app.server.test_client()
    replayed.set_cookie(COOKIE, value)  # a copy of the cookie taken before signing out
    assert replayed.get("/api/health").status_code == 401
    assert other.get("/api/health").status_code == 200  # other sessions stay signed in
    app.server.extensions["orchestrator"].db.close()
    restarted = locked_app(tmp_path).server.test_client()
    restarted.set_cookie(COOKIE, value)
    assert restarted.get("/api/health").status_code == 401


def test_a_new_token_ends_every_session(tmp_path):
    value = cookie_value(signed_in(locked_app(tmp_path).server.test_client()), COOKIE)
    client = locked_app(tmp_path, auth_token="a-new-token-9876543210").server.test_client()
    client.set_cookie(COOKIE, value)
    assert client.get("/api/health").status_code == 401


def test_failed_sign_ins_are_limited_per_client_address(tmp_path):
    client = locked_app(tmp_path, login_attempts=3).server.test_client()
    here, there = {"REMOTE_ADDR": "192.0.2.1"}, {"REMOTE_ADDR": "192.0.2.2"}
    for _ in range(3):
        wrong = client.post("/login", data={"token": "wrong", "next": "/"}, environ_base=here)
        assert wrong.status_code == 401
    limited = client.post("/login", data={"token": TOKEN, "next": "/"}, environ_base=here)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert b"Too many failed sign-ins" in limited.data and "Set-Cookie" not in limited.headers
    bearer = client.get("/api/health", headers=BEARER, environ_base=here)
    assert bearer.status_code == 429 and "too many" in bearer.get_json()["error"]
    assert client.post("/login", data={"token": TOKEN, "next": "/"},
                       environ_base=there).status_code == 302  # fmt: skip


def test_wrong_bearer_tokens_count_as_failed_sign_ins(tmp_path):
    client = locked_app(tmp_path, login_attempts=2).server.test_client()
    wrong = {"Authorization": "Bearer not-the-token"}
    assert [client.get("/api/health", headers=wrong).status_code for _ in range(3)] == [
        401, 401, 429,
    ]  # fmt: skip
    assert client.get("/api/health", headers=BEARER).status_code == 429


def test_a_stale_cookie_or_no_credentials_never_count(tmp_path):
    client = locked_app(tmp_path, login_attempts=2).server.test_client()
    client.set_cookie(COOKIE, "1.stale.cookie")
    for _ in range(5):
        assert client.get("/api/health").status_code == 401
        assert client.get("/").status_code == 302
    assert client.get("/api/health", headers=BEARER).status_code == 200


def test_the_limit_slides_with_its_window():
    now = [1000.0]
    limiter = LoginLimiter(2, 60, clock=lambda: now[0])
    limiter.failed("a")
    now[0] += 30
    limiter.failed("a")
    assert limiter.retry_after("a") == pytest.approx(30)
    now[0] += 30.5
    assert limiter.retry_after("a") is None  # the first failure left the window
    limiter.failed("a")
    assert limiter.retry_after("a") is not None
    limiter.succeeded("a")
    assert limiter.retry_after("a") is None


def test_the_limiter_holds_a_bounded_number_of_addresses():
    limiter = LoginLimiter(1, 60, max_clients=100)
    for i in range(1000):
        limiter.failed(f"client-{i}")
    assert len(limiter._failures) == 100
    assert limiter.retry_after("client-999") is not None
