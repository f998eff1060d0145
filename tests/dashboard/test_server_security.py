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


# ---- issue 19: the security review ----------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["/\t/evil.example", "/\n/evil.example", "/\r\n/x", "/ /evil.example", "/\x00x",
               "/\u2028/evil.example", "/\u200b/evil.example", "\t//evil.example"],
)  # fmt: skip
def test_a_sign_in_link_with_a_control_character_or_space_is_refused(locked_client, target):
    response = locked_client.post("/login", data={"token": TOKEN, "next": target})
    assert 400 <= response.status_code < 500, response.status_code
    assert "Location" not in response.headers and "Set-Cookie" not in response.headers
    form = locked_client.get("/login", query_string={"next": target})
    assert form.status_code == 400 and b'name="next" value="/"' in form.data
    assert target.encode() not in form.data


@pytest.mark.parametrize(
    "target, location",
    [("/", "/"), ("/?tab=models", "/?tab=models"), ("/_dash-layout", "/_dash-layout"),
     ("//evil.example", "/"), ("/\\evil.example", "/"), ("https://evil.example/", "/"),
     ("javascript:alert(1)", "/"), ("/%09/evil.example", "/%09/evil.example")],
)  # fmt: skip
def test_after_signing_in_only_a_path_of_this_server_is_followed(locked_client, target, location):
    response = locked_client.post("/login", data={"token": TOKEN, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == location


SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@pytest.mark.parametrize(
    "path", ["/", "/api/health", "/_dash-layout", "/_dash-dependencies", "/assets/app.css",
             "/api/nope", "/login"],
)  # fmt: skip
def test_every_response_forbids_framing_and_sniffing(open_client, path):
    response = open_client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (path, name)
    csp = response.headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == ["'none'"]


def test_refusals_carry_the_headers_too(locked_client, open_client):
    for response in (locked_client.get("/api/health"), locked_client.get("/"),
                     open_client.get("/", headers={"Host": "rebound.example"})):  # fmt: skip
        assert response.status_code in (302, 400, 401)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_csp_names_the_pages_inline_script_by_its_hash(open_client):
    import base64
    import hashlib
    import re

    page = re.sub(r"<!--.*?-->", "", open_client.get("/").data.decode(), flags=re.S)
    csp = open_client.get("/").headers["Content-Security-Policy"]
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>",
                        page, re.S)  # fmt: skip
    assert inline, "the page has Dash's inline renderer script"
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp


@pytest.mark.parametrize("header", ["Bearer é", "Bearer 日本語", "bearer \u00ff" * 3])
def test_a_non_ascii_token_is_a_401_not_a_500(locked_client, header):
    assert locked_client.get("/api/health", headers={"Authorization": header}).status_code == 401


def test_a_non_ascii_cookie_is_a_401_not_a_500(locked_client):
    locked_client.set_cookie(COOKIE, "é" * 10)
    assert locked_client.get("/api/health").status_code == 401
    assert locked_client.get("/").status_code == 302


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_matched_in_any_case(locked_client, scheme):
    headers = {"Authorization": f"{scheme} {TOKEN}"}
    assert locked_client.get("/api/health", headers=headers).status_code == 200


def test_a_deeply_nested_callback_body_is_a_json_400(open_client):
    body = b'{"a":' * 5_000 + b"1" + b"}" * 5_000
    response = open_client.post("/_dash-update-component", data=body,
                                content_type="application/json")  # fmt: skip
    assert response.status_code == 400 and "nested too deeply" in response.get_json()["error"]
    body = b"[" * 20_000 + b"]" * 20_000
    response = open_client.post("/_dash-update-component", data=body,
                                content_type="application/json")  # fmt: skip
    assert response.status_code == 400 and response.is_json


@pytest.mark.parametrize(
    "path", ["/_dash-component-suites/nope/x.js", "/_dash-component-suites/dash/nope.js",
             "/_dash-component-suites/dash/../../app.py",
             "/_dash-component-suites/plotly/x.v1m1.js"],
)  # fmt: skip
def test_an_unknown_component_file_is_a_404(open_client, path):
    response = open_client.get(path)
    assert response.status_code == 404, response.data[:200]


def test_create_app_refuses_a_reachable_host_without_a_token(tmp_path):
    from core.config import ConfigError

    with pytest.raises(ConfigError, match="server.auth_token"):
        make_app(tmp_path, host="0.0.0.0")
    with pytest.raises(ConfigError, match="server.auth_token"):
        make_app(tmp_path, debug=True)


def test_without_a_token_only_this_machine_is_answered(open_client):
    """Served on 0.0.0.0 by gunicorn with a loopback config: a Host header of 127.0.0.1 does
    not make a client from another machine local."""
    far = {"REMOTE_ADDR": "192.0.2.7"}
    for path in ("/", "/api/health", "/_dash-layout"):
        response = open_client.get(path, environ_base=far, headers={"Host": "127.0.0.1:8050"})
        assert response.status_code == 403 and "auth_token" in response.get_json()["error"]
    response = open_client.post("/api/predict", json={}, environ_base=far)
    assert response.status_code == 403
    assert open_client.get("/api/health", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_with_a_token_another_machine_is_answered(locked_client):
    far = {"REMOTE_ADDR": "192.0.2.7"}
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert locked_client.get("/api/health", environ_base=far, headers=bearer).status_code == 200


@pytest.mark.parametrize("value", [{"$where": [1]}, -(2**63), [[[]]]])
def test_a_failed_callback_says_why_not_the_exceptions_text(open_client, value):
    import re

    dependencies = open_client.get("/_dash-dependencies").get_json()
    errors = []
    for body in forged_calls(dependencies, value):
        response = open_client.post("/_dash-update-component", json=body)
        if response.status_code == 400:
            errors.append(response.get_json()["error"])
    assert errors, "some callback refuses these inputs"
    for error in errors:
        assert "could not use its inputs: " in error
        assert not re.search(r"\b\w*(Error|Exception)\b", error), error
        assert "object" not in error and "'<'" not in error, error
