"""Who a token belongs to: ``server.auth_token`` (an operator named ``admin``) and each of
``server.users`` (a token, or its sha256 so the config need not hold the token itself).

Every token is compared in constant time, and every person is tried whichever matches, so the
answer's timing says nothing about how much of a token was right or whose it was.
"""

from __future__ import annotations

import hashlib

from core.config import ServerConfig
from core.people import ADMIN, OPERATOR, Person
from dashboard.server.sessions import same_text


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


class Credentials:
    """The people who may sign in, with what proves each one."""

    def __init__(self, settings: ServerConfig):
        # (person, token or None, sha256 hex or None)
        self._entries: list[tuple[Person, str | None, str | None]] = []
        if settings.auth_token:
            self._entries.append((Person(ADMIN, OPERATOR, True), settings.auth_token, None))
        for user in settings.users:
            digest = user.token_sha256.lower() if user.token_sha256 else None
            self._entries.append((Person(user.name, user.role, True), user.token, digest))

    @property
    def on(self) -> bool:
        """Whether requests must carry a token (any person is configured)."""
        return bool(self._entries)

    def match(self, given: str) -> Person | None:
        """The person whose token ``given`` is, or None."""
        given_digest = sha256_hex(given)
        found = None
        for person, token, digest in self._entries:
            ok = same_text(given, token) if token is not None else same_text(given_digest, digest)
            if ok and found is None:
                found = person
        return found

    def person(self, name: str) -> Person | None:
        """The configured person of that name (their role as the config says now)."""
        return next((p for p, _, _ in self._entries if p.name == name), None)

    def session_secrets(self) -> dict[str, str]:
        """Per person, what their session cookies are signed under: changing it ends them."""
        return {person.name: token or digest for person, token, digest in self._entries}
