"""Checks every request passes before a route sees it, and what a failing callback answers.

- **Host header.** A browser tricked by DNS rebinding sends the attacker's host name; only the
  loopback names, the bound address and ``server.allowed_hosts`` are served.
- **Token.** With ``server.auth_token`` set, every request (the page, its assets, Dash callbacks,
  REST) carries it as ``Authorization: Bearer <token>`` or as the cookie the ``/login`` form sets.
- **JSON posts.** A POST must say ``Content-Type: application/json`` (the login form aside): a
  cross-site HTML form can't, so it can't post to the API or to the callbacks.
- **Callbacks.** A callback that raises (a forged or stale payload) answers 400 with a line
  saying what failed; the traceback goes to the log only.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import ipaddress
import logging
from urllib.parse import quote

from flask import Flask, jsonify, redirect, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

COOKIE = "tradedash_session"
LOGIN_PATH = "/login"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def unsafe_start(host: str, debug: bool, token: str | None) -> str | None:
    """Why serving like this is refused (a reachable host or debug without a token), or None."""
    if token:
        return None
    if not is_loopback(host):
        return (
            f"server.host {host!r} is reachable from other machines: set server.auth_token "
            "(a long random string) or serve on 127.0.0.1"
        )
    if debug:
        return "server.debug runs code sent from the page: set server.auth_token to use it"
    return None


def host_name(header: str) -> str:
    """``example.com:8050`` -> ``example.com``; ``[::1]:8050`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def session_value(token: str) -> str:
    """What the cookie holds: derived from the token, so the token itself is never stored."""
    return hmac.new(token.encode(), b"tradedash-session", hashlib.sha256).hexdigest()


def _authorised(token: str) -> bool:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie, session_value(token))


def _machine_route(path: str) -> bool:
    return path.startswith(("/api/", "/_dash-", "/_reload-hash"))


def _deny(status: int, message: str):
    response = jsonify({"error": message})
    response.status_code = status
    return response


LOGIN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>TradeDash: sign in</title>
<style>body{{background:#222;color:#eee;font-family:sans-serif;display:flex;justify-content:center;
padding-top:15vh}}form{{display:flex;flex-direction:column;gap:.6em;width:20em}}input{{padding:.5em}}
.error{{color:#e74c3c}}</style></head><body><form method="post" action="{action}">
<h2>TradeDash</h2><label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus>
<input type="hidden" name="next" value="{next}"><button type="submit">Sign in</button>
<div class="error">{error}</div></form></body></html>"""


def _login_page(error: str = "", status: int = 200):
    target = request.values.get("next") or "/"
    page = LOGIN_PAGE.format(
        action=LOGIN_PATH, next=html.escape(target, quote=True), error=html.escape(error)
    )
    return page, status, {"Content-Type": "text/html; charset=utf-8"}


def _safe_next(target: str | None) -> str:
    # Only a path on this server: never an open redirect to another site.
    # Browsers read a backslash as a slash ("/" + "\\evil.example" leaves the site).
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def install(server: Flask, host: str, token: str | None, allowed_hosts: tuple[str, ...]) -> None:
    """Register the checks on ``server`` (see the module docstring)."""
    allowed = {h.lower() for h in (*LOOPBACK_NAMES, *allowed_hosts)}
    any_host = "*" in allowed or (host in WILDCARD_HOSTS and not allowed_hosts)
    if host not in WILDCARD_HOSTS:
        allowed.add(host.lower())

    @server.before_request
    def _check_request():
        if not any_host and host_name(request.host) not in allowed:
            return _deny(
                400,
                f"host {request.host!r} is not served here; add it to server.allowed_hosts",
            )
        if token and request.path != LOGIN_PATH and not _authorised(token):
            if _machine_route(request.path) or request.method != "GET":
                return _deny(401, "authentication required: send Authorization: Bearer <token>")
            return redirect(f"{LOGIN_PATH}?next={quote(request.full_path.rstrip('?'))}")
        if request.method == "POST" and request.path != LOGIN_PATH and not request.is_json:
            return _deny(415, "POST bodies must be JSON: send Content-Type: application/json")
        return None

    @server.route(LOGIN_PATH, methods=["GET", "POST"])
    def login():
        if not token:
            return redirect("/")
        if request.method == "GET":
            return _login_page()
        given = request.form.get("token", "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return _login_page("That token is not right.", 401)
        response = redirect(_safe_next(request.form.get("next")))
        response.set_cookie(
            COOKIE,
            session_value(token),
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
            max_age=30 * 86400,
        )
        return response

    @server.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return exc
        if request.path.endswith("/_dash-update-component"):
            log.warning("a callback failed on its inputs", exc_info=exc)
            body = request.get_json(silent=True)
            output = body.get("output") if isinstance(body, dict) else None
            return _deny(
                400, f"callback {str(output)[:200]!r} could not use its inputs: "
                f"{type(exc).__name__}: {str(exc)[:300]}"
            )  # fmt: skip
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
        if request.path.startswith("/api/"):
            return _deny(500, "internal error; the server log has the details")
        return "Internal error; the server log has the details.", 500
