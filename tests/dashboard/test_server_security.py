"""Off-host safety: unsafe starts refused, the token on every request, hostile requests refused,
forged callback payloads answered with a clear 400."""

import pytest

from app import create_app, main
from dashboard.server.security import COOKIE, host_name, unsafe_start
from runtime.config import config_from_dict

TOKEN = "s3cret-token-0123456789"


def make_app(tmp_path, **server):
    config = config_from_dict(
        {"data_dir": str(tmp_path / "data"), "server": server}, base_dir=tmp_path
    )
    return create_app(config=config)


@pytest.fixture
def open_client(tmp_path):
    return make_app(tmp_path).server.test_client()


@pytest.fixture
def locked_client(tmp_path):
    return make_app(tmp_path, host="0.0.0.0", auth_token=TOKEN).server.test_client()


@pytest.mark.parametrize(
    "host, debug, token, refused",
    [
        ("127.0.0.1", False, None, False),
        ("localhost", False, None, False),
        ("::1", False, None, False),
        ("0.0.0.0", False, None, True),
        ("192.168.1.5", False, None, True),
        ("127.0.0.1", True, None, True),
        ("0.0.0.0", True, TOKEN, False),
    ],
)
def test_a_reachable_host_or_debug_needs_a_token(host, debug, token, refused):
    assert (unsafe_start(host, debug, token) is not None) == refused


def test_serving_off_host_without_a_token_stops_with_exit_2(tmp_path, caplog):
    (tmp_path / "c.yaml").write_text(f"data_dir: {tmp_path / 'data'}\n")
    assert main(["--config", str(tmp_path / "c.yaml"), "--host", "0.0.0.0"]) == 2
    assert "server.auth_token" in caplog.text


def test_host_names_are_read_from_the_header():
    assert host_name("Example.com:8050") == "example.com"
    assert host_name("[::1]:8050") == "::1"
    assert host_name("127.0.0.1") == "127.0.0.1"


def test_a_foreign_host_header_is_refused(open_client):
    assert open_client.get("/api/health", headers={"Host": "127.0.0.1:8050"}).status_code == 200
    response = open_client.get("/api/health", headers={"Host": "attacker.example:8050"})
    assert response.status_code == 400 and "allowed_hosts" in response.get_json()["error"]
    assert open_client.get("/", headers={"Host": "rebound.example"}).status_code == 400


def test_a_post_that_is_not_json_is_refused(open_client):
    response = open_client.post("/api/predict", data="candles=1")
    assert response.status_code == 415 and "application/json" in response.get_json()["error"]
    response = open_client.post("/_dash-update-component", data="x", content_type="text/plain")
    assert response.status_code == 415


def test_with_a_token_every_route_needs_it(locked_client):
    assert locked_client.get("/api/health").status_code == 401
    assert locked_client.get("/_dash-layout").status_code == 401
    assert locked_client.post("/_dash-update-component", json={}).status_code == 401
    page = locked_client.get("/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert locked_client.get("/api/health", headers=bearer).status_code == 200
    wrong = {"Authorization": "Bearer nope"}
    assert locked_client.get("/api/health", headers=wrong).status_code == 401


def test_the_login_form_sets_a_cookie_that_opens_the_page(locked_client):
    form = locked_client.get("/login")
    assert form.status_code == 200 and b'name="token"' in form.data
    bad = locked_client.post("/login", data={"token": "wrong", "next": "/"})
    assert bad.status_code == 401 and b"not right" in bad.data
    # An outside address as "next" is not followed (no open redirect).
    good = locked_client.post("/login", data={"token": TOKEN, "next": "//evil.example/"})
    assert good.status_code == 302 and good.headers["Location"] == "/"
    cookie = good.headers["Set-Cookie"]
    assert COOKIE in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert TOKEN not in cookie
    assert locked_client.get("/").status_code == 200
    assert locked_client.get("/api/health").status_code == 200


FORGED = [
    {"output": "chart-1m.figure", "outputs": {"id": "chart-1m", "property": "figure"},
     "inputs": [{"id": "tick", "property": "n_intervals", "value": {"$ne": 1}}],
     "changedPropIds": ["tick.n_intervals"], "state": []},
    {"output": "nope.children", "inputs": [], "changedPropIds": []},
    {"inputs": "x"},
    [1, 2, 3],
]  # fmt: skip


@pytest.mark.parametrize("body", FORGED)
def test_a_forged_callback_payload_is_a_clear_400(open_client, body):
    response = open_client.post("/_dash-update-component", json=body)
    assert response.status_code in (400, 204), response.data[:300]
    if response.status_code == 400:
        error = response.get_json()["error"]
        assert "Traceback" not in error and error


def forged_calls(dependencies: list[dict], value):
    """One request per callback of the page, every input and state set to ``value``."""
    for dep in dependencies:

        def ref(item):
            return {"id": item["id"], "property": item["property"], "value": value}

        output = dep["output"]
        first = output.lstrip(".").split("...")[0]
        component, _, prop = first.rpartition(".")
        yield {
            "output": output,
            "outputs": {"id": component, "property": prop},
            "inputs": [ref(i) for i in dep["inputs"]],
            "state": [ref(s) for s in dep["state"]],
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"][:1]],
        }


@pytest.mark.parametrize("value", [{"$where": [1]}, "x" * 10_000, -(2**63), None, [[[]]]])
def test_no_callback_answers_a_forged_input_with_a_500(open_client, value):
    dependencies = open_client.get("/_dash-dependencies").get_json()
    assert len(dependencies) >= 5
    for body in forged_calls(dependencies, value):
        response = open_client.post("/_dash-update-component", json=body)
        assert response.status_code < 500, (body["output"], response.data[:300])


def test_every_response_says_how_long_the_server_spent(open_client):
    header = open_client.get("/api/health").headers["Server-Timing"]
    assert header.startswith("app;dur=") and float(header.split("=")[1]) >= 0
