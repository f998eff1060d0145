"""``server.trusted_proxy``: honour ``X-Forwarded-For``, ``-Proto``, ``-Host`` and ``-Port`` from
the reverse proxy's address only.

Behind a TLS proxy the app otherwise sees plain HTTP from the proxy: the session cookie would lack
``Secure`` and every client would share the proxy's address (and its sign-in rate limit). From
any other address the headers are ignored, so a client can't claim to be someone else or to have
come over https. It wraps the WSGI app, so every server (waitress, gunicorn) gets it.
"""

from __future__ import annotations

import ipaddress

from werkzeug.middleware.proxy_fix import ProxyFix


def ip(text: str | None):
    """``text`` as an IP address (an IPv4-mapped IPv6 one as IPv4), or None."""
    try:
        address = ipaddress.ip_address((text or "").strip().strip("[]"))
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


class TrustedProxy:
    """WSGI middleware: ``ProxyFix`` (one proxy hop) for requests from ``address`` only."""

    def __init__(self, app, address: str):
        self.app = app
        self.address = ip(address)
        if self.address is None:
            raise ValueError(f"server.trusted_proxy: not an IP address: {address!r}")
        self._fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=1)

    def __call__(self, environ, start_response):
        if ip(environ.get("REMOTE_ADDR")) == self.address:
            return self._fixed(environ, start_response)
        return self.app(environ, start_response)
