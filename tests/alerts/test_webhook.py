"""Webhooks against a real local HTTP receiver (issue 17): a JSON POST, retried with backoff,
no redirect followed, only to allowed hosts, and never holding up the evaluator."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alerts.config import AlertsConfig
from alerts.rules import AlertError, parse_alert
from alerts.webhook import MAX_QUEUED, WebhookSender
from tests.helpers.waiting import wait_for


class Receiver:
    """A local server answering each POST with the next planned status (then 200)."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.paths: list[str] = []
        self.plan: list[int] = []
        self.delay_s = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                receiver.paths.append(self.path)
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                time.sleep(receiver.delay_s)
                status = receiver.plan.pop(0) if receiver.plan else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="module")
def receiver():
    found = Receiver()
    yield found
    found.server.shutdown()


@pytest.fixture
def fresh(receiver):
    receiver.bodies.clear()
    receiver.paths.clear()
    receiver.plan.clear()
    receiver.delay_s = 0.0
    return receiver


def sender(**overrides) -> WebhookSender:
    config = AlertsConfig(webhook_hosts=("127.0.0.1",), webhook_backoff_s=0.05,
                          webhook_timeout_s=5, **overrides)  # fmt: skip
    return WebhookSender(config)


def test_a_fired_alert_is_posted_as_json(fresh):
    outcome = sender().deliver_now(fresh.url(), {"alert": "a1", "message": "crossed"})
    assert outcome == "sent (200) after 1 try"
    assert fresh.bodies == [{"alert": "a1", "message": "crossed"}]


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(fresh):
    fresh.plan = [503, 500]
    started = time.monotonic()
    outcome = sender(webhook_retries=3).deliver_now(fresh.url(), {"n": 1})
    assert outcome == "sent (200) after 3 tries"
    assert len(fresh.bodies) == 3
    assert time.monotonic() - started >= 0.05 + 0.1  # waits of 0.05 s, then 0.1 s


def test_retries_end_after_the_configured_number(fresh):
    fresh.plan = [503] * 5
    outcome = sender(webhook_retries=1).deliver_now(fresh.url(), {"n": 1})
    assert outcome == "failed: HTTP 503 after 2 tries"
    assert len(fresh.bodies) == 2


def test_a_redirect_is_not_followed(fresh):
    fresh.plan = [307]
    outcome = sender().deliver_now(fresh.url(), {"n": 1})
    assert outcome.startswith("refused: the receiver redirected (307)")
    assert fresh.paths == ["/hook"]  # nothing posted to /elsewhere, and no retry


def test_a_host_not_listed_is_refused_at_creation_and_before_a_post(fresh):
    with pytest.raises(AlertError, match="host 'localhost' is not in alerts.webhook_hosts"):
        parse_alert({"kind": "job", "webhook": f"http://localhost:{fresh.port}/hook"},
                    ["BTC/USDT"], ("127.0.0.1",))  # fmt: skip
    # The config lost the host after the alert was made: nothing is posted.
    outcome = sender().deliver_now(f"http://localhost:{fresh.port}/hook", {"n": 1})
    assert outcome.startswith("refused: host 'localhost'")
    assert fresh.bodies == []


def test_send_returns_at_once_while_a_slow_receiver_answers_on_the_sender_thread(fresh):
    fresh.delay_s = 1.0
    webhooks = sender()
    webhooks.start()
    outcomes: list[str] = []
    try:
        started = time.monotonic()
        webhooks.send(fresh.url(), {"n": 1}, outcomes.append)
        assert time.monotonic() - started < 0.1
        wait_for(lambda: outcomes, timeout=60)
    finally:
        webhooks.stop()
    assert outcomes == ["sent (200) after 1 try"]


def test_stopping_never_waits_on_a_full_queue_or_a_slow_post_past_its_grace(fresh):
    """Shutdown must stay within the supervisor's 10 s: a slow receiver that let the queue fill
    used to block ``stop()`` for good (a blocking put of the wake-up)."""
    fresh.delay_s = 3.0
    webhooks = sender()
    webhooks.start()
    webhooks.send(fresh.url(), {"n": 0}, lambda _outcome: None)
    wait_for(lambda: fresh.bodies)  # the thread is busy with the slow post
    dropped = []
    for n in range(MAX_QUEUED + 1):
        webhooks.send(fresh.url(), {"n": n}, dropped.append)
    assert dropped == [f"dropped: {MAX_QUEUED} webhooks waiting"]  # the queue is full
    began = time.monotonic()
    webhooks.stop(grace_s=0.5)
    assert time.monotonic() - began < 2.5
