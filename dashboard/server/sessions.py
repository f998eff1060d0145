"""Signed-in browsers and failed sign-ins.

- **Sessions.** The ``/login`` form sets a cookie ``<issued>.<id>~<name>.<signature>``: the time
  it was issued (epoch seconds), a random id, who signed in (their name, base64url) and an HMAC
  of all three under a key derived from that person's token (``server.auth_token`` for
  ``admin``). It is good for ``server.session_hours`` after it was issued; *Sign out* records its
  id as revoked (in SQLite, so a restart does not bring it back) until then. Changing a person's
  token ends their sessions at once; removing them from the config ends them too. The token
  itself is never stored in the cookie. A cookie from before names were carried has no name and
  opens nothing (its holder signs in again).
- **Failed sign-ins** (a wrong token in the form, or a wrong ``Authorization: Bearer``) are
  counted per client address; past ``server.login_attempts`` within
  ``server.login_window_minutes`` that address is answered 429 until the oldest failure leaves
  the window.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping

from core.db import Database
from core.people import ADMIN

SCHEMA = """
CREATE TABLE IF NOT EXISTS revoked_sessions (
    id TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
"""
# Tolerated clock step backwards between issuing a cookie and reading it (seconds).
CLOCK_SKEW_S = 60
# Issue time, id, a name of up to 64 characters (4 bytes each in UTF-8, in base64) and an HMAC.
MAX_COOKIE_CHARS = 600
NAME_MARK = "~"  # between the id and the name: neither token_urlsafe nor base64url uses it


def same_text(given: str, expected: str) -> bool:
    """Constant-time comparison of any text (``hmac.compare_digest`` refuses non-ASCII ``str``)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def _encode_name(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode("utf-8")).decode("ascii").rstrip("=")


def _decode_name(text: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return None


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), b"tradedash-session-key", "sha256").digest()


class Sessions:
    """Issues, checks and revokes session cookies, each naming the person who signed in.

    ``secret``: per person, the secret their cookies are signed under (one token alone stands
    for ``admin``, the person ``server.auth_token`` signs in as)."""

    def __init__(
        self,
        secret: str | Mapping[str, str],
        hours: float,
        db: Database | None = None,
        clock: Callable[[], float] = time.time,
    ):
        people = {ADMIN: secret} if isinstance(secret, str) else dict(secret)
        self._keys = {name: _key(secret) for name, secret in people.items()}
        self.lifetime_s = int(hours * 3600)
        self._db = db
        self._clock = clock
        self._revoked: set[str] = set()  # without a database (tests, tools)
        if db is not None:
            db.ensure(SCHEMA)

    @staticmethod
    def _sign(key: bytes, issued: int, middle: str) -> str:
        message = f"{issued}.{middle}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def issue(self, now: float | None = None, name: str = ADMIN) -> str:
        """A new cookie value for ``name``, issued ``now`` (default: the clock's time)."""
        if name not in self._keys:
            raise ValueError(f"{name!r} is not a person who may sign in here")
        issued = int(self._clock() if now is None else now)
        middle = f"{secrets.token_urlsafe(18)}{NAME_MARK}{_encode_name(name)}"
        return f"{issued}.{middle}.{self._sign(self._keys[name], issued, middle)}"

    def _parse(self, value: str) -> tuple[int, str, str] | None:
        """(issued, id, name) of a well-signed cookie, else None (whatever its age)."""
        if not value or len(value) > MAX_COOKIE_CHARS or not value.isascii():
            return None
        parts = value.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 12:
            return None
        issued, middle, signature = int(parts[0]), parts[1], parts[2]
        session_id, mark, encoded = middle.partition(NAME_MARK)
        name = _decode_name(encoded) if mark else None
        key = self._keys.get(name) if name is not None else None
        if key is None or not same_text(signature, self._sign(key, issued, middle)):
            return None
        return issued, session_id, name

    def person(self, value: str) -> str | None:
        """The name a live cookie was issued to; None for a forged, expired or revoked one."""
        parsed = self._parse(value)
        if parsed is None:
            return None
        issued, session_id, name = parsed
        now = self._clock()
        if not issued - CLOCK_SKEW_S <= now < issued + self.lifetime_s:
            return None
        return None if self._is_revoked(session_id) else name

    def valid(self, value: str) -> bool:
        return self.person(value) is not None

    def revoke(self, value: str) -> bool:
        """Sign a cookie out (it stops opening anything); False when it was not a live one."""
        if not self.valid(value):
            return False
        issued, session_id, _name = self._parse(value)
        expires = issued + self.lifetime_s
        if self._db is None:
            self._revoked.add(session_id)
            return True
        now = int(self._clock())
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM revoked_sessions WHERE expires_at < ?", (now,))
            conn.execute(
                "INSERT OR REPLACE INTO revoked_sessions (id, expires_at) VALUES (?, ?)",
                (session_id, expires),
            )
        return True

    def _is_revoked(self, session_id: str) -> bool:
        if self._db is None:
            return session_id in self._revoked
        rows = self._db.query("SELECT 1 FROM revoked_sessions WHERE id = ?", (session_id,))
        return bool(rows)


class LoginLimiter:
    """Failed sign-ins per client address in a sliding window."""

    def __init__(
        self,
        attempts: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ):
        self.attempts = attempts
        self.window_s = window_s
        self._clock = clock
        self._max_clients = max_clients
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float] | None:
        failures = self._failures.get(client)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return None
        return failures

    def retry_after(self, client: str) -> float | None:
        """Seconds until ``client`` may try again, or None when it may now."""
        with self._lock:
            now = self._clock()
            failures = self._recent(client, now)
            if failures is None or len(failures) < self.attempts:
                return None
            return max(1.0, failures[0] + self.window_s - now)

    def failed(self, client: str) -> None:
        with self._lock:
            now = self._clock()
            failures = self._recent(client, now)
            if failures is None:
                failures = self._failures[client] = deque(maxlen=self.attempts)
                # Bounded memory: the address heard from longest ago goes first.
                while len(self._failures) > self._max_clients:
                    self._failures.popitem(last=False)
            else:
                self._failures.move_to_end(client)
            failures.append(now)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)
