"""Signed-in browsers and failed sign-ins.

- **Sessions.** The ``/login`` form sets a cookie ``<issued>.<id>.<signature>``: the time it was
  issued (epoch seconds), a random id and an HMAC of both under a key derived from the token. It
  is good for ``server.session_hours`` after it was issued; *Sign out* records its id as revoked
  (in SQLite, so a restart does not bring it back) until then. Changing the token ends every
  session at once. The token itself is never stored in the cookie.
- **Failed sign-ins** (a wrong token in the form, or a wrong ``Authorization: Bearer``) are
  counted per client address; past ``server.login_attempts`` within
  ``server.login_window_minutes`` that address is answered 429 until the oldest failure leaves
  the window.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from core.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS revoked_sessions (
    id TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
"""
# Tolerated clock step backwards between issuing a cookie and reading it (seconds).
CLOCK_SKEW_S = 60
MAX_COOKIE_CHARS = 200


def same_text(given: str, expected: str) -> bool:
    """Constant-time comparison of any text (``hmac.compare_digest`` refuses non-ASCII ``str``)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


class Sessions:
    """Issues, checks and revokes the session cookies of one token."""

    def __init__(
        self,
        token: str,
        hours: float,
        db: Database | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self._key = hmac.new(token.encode("utf-8"), b"tradedash-session-key", "sha256").digest()
        self.lifetime_s = int(hours * 3600)
        self._db = db
        self._clock = clock
        self._revoked: set[str] = set()  # without a database (tests, tools)
        if db is not None:
            db.ensure(SCHEMA)

    def _sign(self, issued: int, session_id: str) -> str:
        message = f"{issued}.{session_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def issue(self, now: float | None = None) -> str:
        """A new cookie value, issued ``now`` (default: the clock's time)."""
        issued = int(self._clock() if now is None else now)
        session_id = secrets.token_urlsafe(18)
        return f"{issued}.{session_id}.{self._sign(issued, session_id)}"

    def _parse(self, value: str) -> tuple[int, str] | None:
        """(issued, id) of a well-signed cookie, else None (whatever its age)."""
        if not value or len(value) > MAX_COOKIE_CHARS or not value.isascii():
            return None
        parts = value.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 12:
            return None
        issued, session_id, signature = int(parts[0]), parts[1], parts[2]
        if not same_text(signature, self._sign(issued, session_id)):
            return None
        return issued, session_id

    def valid(self, value: str) -> bool:
        parsed = self._parse(value)
        if parsed is None:
            return False
        issued, session_id = parsed
        now = self._clock()
        if not issued - CLOCK_SKEW_S <= now < issued + self.lifetime_s:
            return False
        return not self._is_revoked(session_id)

    def revoke(self, value: str) -> bool:
        """Sign a cookie out (it stops opening anything); False when it was not a live one."""
        if not self.valid(value):
            return False
        issued, session_id = self._parse(value)
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
