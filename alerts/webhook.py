"""Webhooks: each fired alert with a webhook is a JSON POST, sent from a thread of its own with
retries and doubling waits, so a slow or dead receiver never holds up the evaluator (nor the
feed behind it).

Only http and https, only to hosts in ``alerts.webhook_hosts`` (checked when the alert is made
and again before each post), no redirects followed (a 3xx is a failure: following one would
post to a host nobody allowed), no proxies from the environment (the allowed host is the one
posted to).
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from alerts.config import AlertsConfig
from alerts.rules import webhook_problem

log = logging.getLogger(__name__)
RETRIED_STATUSES = {408, 425, 429, 500, 502, 503, 504}  # worth another try; other 4xx are not
MAX_QUEUED = 1000


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises the 3xx as an HTTPError


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


@dataclass(frozen=True)
class Delivery:
    url: str
    payload: dict
    done: Callable[[str], None]  # called once with what happened, e.g. "sent (200) after 1 try"


def post_once(url: str, payload: dict, timeout: float) -> tuple[bool, bool, str]:
    """One POST: (delivered, worth retrying, what happened)."""
    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "TradeDash-alerts"},
    )  # fmt: skip
    try:
        with _opener().open(request, timeout=timeout) as response:
            return True, False, f"sent ({response.status})"
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            where = exc.headers.get("Location", "?")
            return (
                False,
                False,
                f"refused: the receiver redirected ({exc.code}) to {where}, not followed",
            )
        return False, exc.code in RETRIED_STATUSES, f"failed: HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, True, f"failed: {reason}"


class WebhookSender:
    """A queue of deliveries and the thread that posts them."""

    def __init__(self, config: AlertsConfig):
        self.config = config
        self._queue: queue.Queue[Delivery | None] = queue.Queue(MAX_QUEUED)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def send(self, url: str, payload: dict, done: Callable[[str], None]) -> None:
        """Queue a post; never blocks (a full queue drops it and says so)."""
        try:
            self._queue.put_nowait(Delivery(url, payload, done))
        except queue.Full:
            done(f"dropped: {MAX_QUEUED} webhooks waiting")

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="alert-webhooks", daemon=True)
            self._thread.start()

    def stop(self, grace_s: float = 5) -> None:
        """Stop the thread, giving a delivery in flight ``grace_s`` (it is not interrupted)."""
        self._stop.set()
        # Wakes an idle thread; a full queue means it is busy, and it sees the flag next.
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=grace_s)

    def deliver(self, item: Delivery) -> str:
        """Post with retries; returns what happened (also handed to ``item.done``)."""
        config = self.config
        problem = webhook_problem(item.url, config.webhook_hosts)
        if problem:  # the config changed since the alert was made
            outcome = f"refused: {problem}"
        else:
            wait = config.webhook_backoff_s
            for attempt in range(1, config.webhook_retries + 2):
                ok, retry, outcome = post_once(item.url, item.payload, config.webhook_timeout_s)
                outcome = f"{outcome} after {attempt} {'try' if attempt == 1 else 'tries'}"
                if ok or not retry or attempt > config.webhook_retries:
                    break
                if self._stop.wait(wait):
                    outcome += " (stopped)"
                    break
                wait *= 2
        try:
            item.done(outcome)
        except Exception:
            log.exception("could not record the webhook delivery: %s", outcome)
        if not outcome.startswith("sent"):
            log.warning("webhook %s: %s", item.url, outcome)
        return outcome

    def deliver_now(self, url: str, payload: dict) -> str:
        """Post on this thread, with the retries (the CLI and tests; the app uses ``send``)."""
        return self.deliver(Delivery(url, payload, lambda _outcome: None))

    def _loop(self) -> None:
        while not self._stop.is_set():
            item = self._queue.get()
            if item is None:
                continue
            self.deliver(item)
