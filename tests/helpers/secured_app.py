"""An app built (not started) with server settings, and its test client, for the security tests."""

from __future__ import annotations

from app import create_app
from runtime.config import config_from_dict

TOKEN = "s3cret-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def make_app(tmp_path, limits: dict | None = None, **server):
    data = {"data_dir": str(tmp_path / "data"), "server": server}
    if limits:
        data["limits"] = limits
    return create_app(config=config_from_dict(data, base_dir=tmp_path))


def locked_app(tmp_path, **server):
    """Served off-host with the token (the default host for a token: any address)."""
    return make_app(tmp_path, **{"host": "0.0.0.0", "auth_token": TOKEN, **server})


def signed_in(client, next_path: str = "/"):
    """Sign ``client`` in through the form; the response (its cookie stays in the client)."""
    response = client.post("/login", data={"token": TOKEN, "next": next_path})
    assert response.status_code == 302, response.data[:200]
    return response


def cookie_value(response, name: str) -> str:
    """The value ``response`` sets for cookie ``name``."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(f"no {name} cookie set: {response.headers.getlist('Set-Cookie')}")
