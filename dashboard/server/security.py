"""Checks every request passes before a route sees it, the headers every response carries, and
what a failing request answers.

- **Host header.** A browser tricked by DNS rebinding sends the attacker's host name; only the
  loopback names, the bound address and ``server.allowed_hosts`` are served.
- **Loopback without a token.** With no ``server.auth_token`` only clients on this machine are
  answered (403 otherwise), however the app is served (``python app.py``, gunicorn, any WSGI
  server): the Host header is not access control.
- **Token.** With ``server.auth_token`` or ``server.users`` set, every request (the page, its
  assets, Dash callbacks, REST) carries a person's token as ``Authorization: Bearer <token>``
  (the scheme in any case) or as the session cookie the ``/login`` form sets (see
  ``sessions.py``: it names the person, expires, and *Sign out* revokes it). Failed sign-ins are
  rate-limited per client address.
- **The person.** Each request's person goes on ``flask.g`` (``dashboard/people.py``): the one
  the token or cookie names; on loopback without a token an operator named by the ``X-User``
  header (checked like a label: 400 when it is not a name) or ``annotations.author``. With auth
  on, an ``X-User`` naming someone else than the signed-in person is refused (403): a person
  can't act in another's name.
- **JSON posts.** A POST must say ``Content-Type: application/json`` (the login form aside): a
  cross-site HTML form can't, so it can't post to the API or to the callbacks.
- **Headers.** ``X-Frame-Options: DENY`` and a Content-Security-Policy with
  ``frame-ancestors 'none'`` (no other site can frame the page and steer clicks onto its buttons),
  scripts from this server only (Dash's inline renderer script by its hash),
  ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``.
- **Errors.** A callback that raises (a forged or stale payload) answers 400 with a line saying
  what was wrong, never the exception's text; the traceback goes to the log only.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from urllib.parse import quote, urlsplit, urlunsplit

from dash.exceptions import DependencyException
from flask import Flask, Response, jsonify, redirect, request
from werkzeug.exceptions import HTTPException

from core.config import ServerConfig
from core.db import Database
from core.people import OPERATOR, Person, name_problem
from dashboard.callbacks import InputRefused
from dashboard.people import set_current
from dashboard.server.identity import Credentials
from dashboard.server.proxy import TrustedProxy, ip
from dashboard.server.sessions import LoginLimiter, Sessions

log = logging.getLogger(__name__)

COOKIE = "tradedash_session"
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
NEEDS_TOKEN = "authentication required: send Authorization: Bearer <token>"
USER_HEADER = "X-User"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    address = ip(host)
    return address is not None and address.is_loopback


def unsafe_start(host: str, debug: bool, auth: object) -> str | None:
    """Why serving like this is refused (a reachable host or debug without auth), or None.
    ``auth``: the token, or whether any (``server.auth_token`` or ``server.users``) is set."""
    if auth:
        return None
    if not is_loopback(host):
        return (
            f"server.host {host!r} is reachable from other machines: set server.auth_token "
            "(a long random string) or server.users, or serve on 127.0.0.1"
        )
    if debug:
        return (
            "server.debug runs code sent from the page: set server.auth_token or server.users "
            "to use it"
        )
    return None


def local_person(header: str | None, default: str) -> Person:
    """On loopback without a token: an operator named by the ``X-User`` header, else
    ``default``; a header that is not a name raises ValueError saying why."""
    if header is None:
        return Person(default, OPERATOR, False)
    problem = name_problem(header)
    if problem is not None:
        raise ValueError(f"{USER_HEADER} header: {problem}")
    return Person(header, OPERATOR, False)


def host_name(header: str) -> str:
    """``example.com:8050`` -> ``example.com``; ``[::1]:8050`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def bearer_token(header: str) -> str | None:
    """The credentials of an ``Authorization: Bearer ...`` header (the scheme is matched in any
    case, RFC 7235), or None for another scheme or none."""
    scheme, _, credentials = header.strip().partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def content_security_policy(script_hashes: Sequence[str] = ()) -> str:
    """The page's CSP: everything from this server, Dash's inline scripts by hash, never framed.

    Styles may be inline (Dash, React and plotly.js set them on elements); scripts may not.
    """
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _machine_route(path: str) -> bool:
    return path.startswith(("/api/", "/_dash-", "/_reload-hash"))


def _deny(status: int, message: str, headers: dict | None = None):
    response = jsonify({"error": message})
    response.status_code = status
    response.headers.update(headers or {})
    return response


LOGIN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>TradeDash: sign in</title>
<style>body{{background:#222;color:#eee;font-family:sans-serif;display:flex;justify-content:center;
padding-top:15vh}}form{{display:flex;flex-direction:column;gap:.6em;width:20em}}input{{padding:.5em}}
.error{{color:#e74c3c}}</style></head><body><form method="post" action="{action}">
<h2>TradeDash</h2><label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus>
<input type="hidden" name="next" value="{next}"><button type="submit">Sign in</button>
<div class="error">{error}</div></form></body></html>"""


def _login_page(target: str, error: str = "", status: int = 200, headers: dict | None = None):
    page = LOGIN_PAGE.format(
        action=LOGIN_PATH, next=html.escape(target, quote=True), error=html.escape(error)
    )
    return page, status, {"Content-Type": "text/html; charset=utf-8", **(headers or {})}


def safe_next(target: str | None) -> str | None:
    """Where to go after signing in: a path on this server, rebuilt from its parsed parts (its
    path and query, never a scheme or host); ``/`` for anything else; None (refused) when
    ``target`` holds a control character or whitespace.

    A browser drops tabs and line breaks from a URL and reads a backslash as a slash, so
    ``/\\t/evil.example`` or ``/\\evil.example`` would leave the site.
    """
    if not target:
        return "/"
    if any(c.isspace() or not c.isprintable() for c in target):
        return None
    parts = urlsplit(target)
    path = parts.path
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//"):
        return "/"
    if "\\" in target:
        return "/"
    return urlunsplit(("", "", path, parts.query, ""))


def _retry_message(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return (
        f"too many failed sign-ins from this address: try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}"
    )


# A callback's exception, in words (its own text may show internals: it goes to the log only).
CALLBACK_REASONS = (
    (RecursionError, "the request is nested too deeply to read"),
    ((KeyError, IndexError), "an input lacks a field the callback needs"),
    (TypeError, "an input has the wrong type"),
    (ArithmeticError, "an input's number is out of range"),
    (ValueError, "an input has a value the callback cannot take"),
)


def callback_reason(exc: BaseException) -> str:
    if isinstance(exc, InputRefused):
        return str(exc)[:300]
    for kinds, reason in CALLBACK_REASONS:
        if isinstance(exc, kinds):
            return reason
    return "its inputs are not what the page sends"


def _callback_output() -> str:
    """The output a callback request names, if it can be read (for the 400's message)."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        return "?"
    output = body.get("output") if isinstance(body, dict) else None
    return output[:200] if isinstance(output, str) else "?"


def install(
    server: Flask,
    settings: ServerConfig,
    db: Database | None = None,
    script_hashes: Sequence[str] = (),
    local_name: str = "annotator",
) -> None:
    """Register the checks on ``server`` (see the module docstring). ``db`` keeps signed-out
    sessions; ``script_hashes``: the CSP hashes of Dash's inline scripts (``app.csp_hashes()``);
    ``local_name``: who a loopback request without ``X-User`` acts as (``annotations.author``)."""
    host = settings.host
    credentials = Credentials(settings)
    auth = credentials.on
    allowed = {h.lower() for h in (*LOOPBACK_NAMES, *settings.allowed_hosts)}
    any_host = "*" in allowed or (host in WILDCARD_HOSTS and not settings.allowed_hosts)
    if host not in WILDCARD_HOSTS:
        allowed.add(host.lower())
    sessions = Sessions(credentials.session_secrets(), settings.session_hours, db) if auth else None
    limiter = LoginLimiter(settings.login_attempts, settings.login_window_minutes * 60)
    security_headers = {
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": content_security_policy(script_hashes),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if settings.trusted_proxy:
        server.wsgi_app = TrustedProxy(server.wsgi_app, settings.trusted_proxy)

    def client() -> str:
        return request.remote_addr or "?"

    def authorised() -> Person | bool | None:
        """The person of a good token or session; False without one; None when refused for too
        many failures."""
        given = bearer_token(request.headers.get("Authorization", ""))
        if given is not None:
            if limiter.retry_after(client()) is not None:
                return None
            person = credentials.match(given)
            if person is not None:
                return person
        cookie = request.cookies.get(COOKIE, "")
        name = sessions.person(cookie) if cookie else None
        person = credentials.person(name) if name is not None else None
        if person is not None:
            return person
        if given is not None:
            limiter.failed(client())
        return False

    def identify() -> Response | None:
        """Put the request's person on ``flask.g``; a refusal when there is none."""
        claimed = request.headers.get(USER_HEADER)
        if not auth:
            try:
                set_current(local_person(claimed, local_name))
            except ValueError as exc:
                return _deny(400, str(exc)[:300])
            return None
        verdict = authorised()
        if verdict is None:
            wait = limiter.retry_after(client()) or 1.0
            return _deny(429, _retry_message(wait), {"Retry-After": str(int(wait) + 1)})
        if not verdict:
            if _machine_route(request.path) or request.method != "GET":
                return _deny(401, NEEDS_TOKEN)
            return redirect(f"{LOGIN_PATH}?next={quote(request.full_path.rstrip('?'))}")
        if claimed is not None and claimed != verdict.name:
            return _deny(
                403,
                f"{USER_HEADER} {claimed[:64]!r} is not the signed-in person {verdict.name!r}: "
                f"with a token, the token says who acts (leave {USER_HEADER} out)",
            )
        set_current(verdict)
        return None

    @server.before_request
    def _check_request():
        if not any_host and host_name(request.host) not in allowed:
            return _deny(
                400,
                f"host {request.host!r} is not served here; add it to server.allowed_hosts",
            )
        if not auth and not is_loopback(request.remote_addr or ""):
            return _deny(
                403,
                "this server has no server.auth_token, so it answers this machine only: "
                "set server.auth_token or server.users to serve other machines",
            )
        if request.path not in (LOGIN_PATH, LOGOUT_PATH):
            refused = identify()
            if refused is not None:
                return refused
        if request.method == "POST" and request.path != LOGIN_PATH and not request.is_json:
            return _deny(415, "POST bodies must be JSON: send Content-Type: application/json")
        return None

    @server.after_request
    def _security_headers(response):
        for name, value in security_headers.items():
            response.headers[name] = value
        return response

    @server.route(LOGIN_PATH, methods=["GET", "POST"])
    def login():
        if not auth:
            return redirect("/")
        target = safe_next(request.values.get("next"))
        if target is None:
            # A link that would leave this site after signing in: refused, and the form sent
            # to the start page instead.
            return _login_page("/", "That sign-in link is not a page of this server.", 400)
        if request.method == "GET":
            return _login_page(target)
        wait = limiter.retry_after(client())
        if wait is not None:
            message = _retry_message(wait).capitalize() + "."
            return _login_page(target, message, 429, {"Retry-After": str(int(wait) + 1)})
        person = credentials.match(request.form.get("token", ""))
        if person is None:
            limiter.failed(client())
            return _login_page(target, "That token is not right.", 401)
        limiter.succeeded(client())
        log.info("%s %r signed in from %s", person.role, person.name, client())
        response = redirect(target)
        response.set_cookie(
            COOKIE,
            sessions.issue(name=person.name),
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
            max_age=sessions.lifetime_s,
        )
        return response

    @server.route(LOGOUT_PATH, methods=["GET"])
    def logout():
        """Sign out: the session cookie stops opening anything, here and wherever it was copied."""
        if not auth:
            return redirect("/")
        cookie = request.cookies.get(COOKIE, "")
        if cookie:
            sessions.revoke(cookie)
        response = redirect(LOGIN_PATH)
        response.delete_cookie(COOKIE, httponly=True, samesite="Strict", secure=request.is_secure)
        return response

    @server.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return exc
        if isinstance(exc, DependencyException) and request.path.startswith(
            "/_dash-component-suites/"
        ):
            return _deny(404, f"no such file: {request.path[:200]}")
        if request.path.endswith("/_dash-update-component"):
            log.warning("a callback failed on its inputs", exc_info=exc)
            return _deny(
                400,
                f"callback {_callback_output()!r} could not use its inputs: {callback_reason(exc)}",
            )
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
        if request.path.startswith("/api/"):
            return _deny(500, "internal error; the server log has the details")
        return "Internal error; the server log has the details.", 500
