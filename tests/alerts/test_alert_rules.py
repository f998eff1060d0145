"""The fire / re-arm rules and each kind's condition, as pure functions (issue 17, Alerts)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from alerts.conditions import Events, evaluate
from alerts.rules import AlertError, Trigger, parse_alert, step
from alerts.sources import Snapshot

SYMBOLS = ("BTC/USDT", "ETH/USDT")
HOSTS = ("127.0.0.1",)
MINUTE = 60_000


def parse(**body):
    return parse_alert(body, SYMBOLS, HOSTS, hlines=("line1",))


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "nope"}, "kind"),
        ({"kind": "price_cross", "level": 5}, "symbol"),
        ({"kind": "price_cross", "symbol": "XRP/USDT", "level": 5}, "symbol"),
        ({"kind": "price_cross", "symbol": "BTC/USDT"}, "level"),
        ({"kind": "price_cross", "symbol": "BTC/USDT", "level": -1}, "level"),
        ({"kind": "price_cross", "symbol": "BTC/USDT", "level": "1e3"}, "level"),
        ({"kind": "price_cross", "symbol": "BTC/USDT", "drawing": "gone"}, "drawing"),
        ({"kind": "signal", "model": "lstm", "call": "UP"}, "model"),
        ({"kind": "signal", "model": "dqn", "call": "UP"}, "call"),
        ({"kind": "signal", "model": "cnn", "call": "UP", "min_confidence": 2}, "min_confidence"),
        ({"kind": "feed_stale"}, "stale_s"),
        ({"kind": "job", "when": "started"}, "when"),
        ({"kind": "champion", "model": "rf"}, "model"),
        ({"kind": "job", "webhook": "ftp://127.0.0.1/x"}, "webhook"),
        ({"kind": "job", "webhook": "http://evil.example/x"}, "webhook"),
        ({"kind": "job", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_request_names_its_field(body, field):
    with pytest.raises(AlertError) as caught:
        parse_alert(body, SYMBOLS, HOSTS, hlines=("line1",))
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def test_a_refused_webhook_host_is_named_with_the_key_that_allows_it():
    with pytest.raises(AlertError, match="'evil.example' is not in alerts.webhook_hosts"):
        parse(kind="job", webhook="https://evil.example/hook")


def test_requests_are_stored_in_one_form():
    assert parse(kind="signal", model="dqn", call="buy")["call"] == "BUY"
    assert parse(kind="job")["when"] == "ended"
    assert parse(kind="champion")["when"] == "changed"
    alert = parse(kind="price_cross", symbol="BTC/USDT", drawing="line1")
    assert alert["drawing"] == "line1" and alert["level"] is None


def test_fires_once_rearms_when_cleared_and_keeps_the_minimum_interval():
    t, fired = step(Trigger(), True, 0, MINUTE)
    assert fired and not t.armed
    t, fired = step(t, True, 1000, MINUTE)
    assert not fired  # still holds: once only
    t, fired = step(t, False, 2000, MINUTE)
    assert t.armed and not fired
    t, fired = step(t, True, 3000, MINUTE)
    assert not fired and t.armed  # within the interval: waits, armed
    t, fired = step(t, True, MINUTE + 1, MINUTE)
    assert fired and t.last_fired == MINUTE + 1


def price(alert, memo, value, levels=None):
    shot = Snapshot(0, prices={"BTC/USDT": value}, levels=levels or {})
    return evaluate(alert, memo, shot, Events())


def test_a_price_alert_fires_on_the_cross_and_rearms_when_the_price_is_back():
    alert = parse(kind="price_cross", symbol="BTC/USDT", level=100.0)
    first = price(alert, {}, 99.0)
    assert not first.holds and first.memo == {"ref": -1, "level": 100.0}
    memo = first.memo
    trigger, fires = Trigger(), []
    for value in (99.5, 100.0, 101.0, 99.0, 102.0):
        outcome = price(alert, memo, value)
        trigger, fired = step(trigger, outcome.holds, len(fires) * MINUTE * 2, 0)
        fires.append(fired)
    # touching counts; the price staying above doesn't fire again; back below re-arms
    assert fires == [False, True, False, False, True]
    assert "crossed up through 100" in price(alert, memo, 100.5).message


def test_a_price_alert_on_a_drawn_line_follows_the_line_and_stops_when_it_is_deleted():
    alert = parse(kind="price_cross", symbol="BTC/USDT", drawing="line1")
    memo = price(alert, {}, 10.0, {"line1": 12.0}).memo
    assert price(alert, memo, 12.5, {"line1": 12.0}).holds
    assert not price(alert, memo, 12.5, {}).holds


def test_a_signal_alert_matches_the_newest_call_and_its_confidence():
    alert = parse(kind="signal", model="cnn", call="UP", min_confidence=0.7)
    strong = {"direction": "UP", "confidence": 0.8}
    weak = {"direction": "UP", "confidence": 0.6}
    assert evaluate(alert, {}, Snapshot(0, newest={("ETH/USDT", "cnn"): strong}), Events()).holds
    assert not evaluate(alert, {}, Snapshot(0, newest={("ETH/USDT", "cnn"): weak}), Events()).holds
    pattern = parse(kind="signal", model="pattern", call="bull_flag", symbol="BTC/USDT")
    found = {("BTC/USDT", "pattern"): {"label": "bull_flag", "confidence": 0.9}}
    assert evaluate(pattern, {}, Snapshot(0, newest=found), Events()).holds


def test_a_feed_is_stale_after_its_seconds_and_a_never_started_feed_is_not():
    alert = parse(kind="feed_stale", stale_s=30)
    feeds = {"BTC/USDT": {"status": "ok", "last_update": 0}, "ETH/USDT": {"last_update": None}}
    assert not evaluate(alert, {}, Snapshot(30_000, feeds=feeds), Events()).holds
    late = evaluate(alert, {}, Snapshot(31_000, feeds=feeds), Events())
    assert late.holds and "BTC/USDT stale for 31 s" in late.message


def test_job_and_champion_events():
    done = SimpleNamespace(status="done", title="train rf")
    failed = SimpleNamespace(status="failed", title="backtest")
    shot = Snapshot(0)
    assert evaluate(parse(kind="job", when="failed"), {}, shot, Events([done, failed])).holds
    assert not evaluate(parse(kind="job", when="failed"), {}, shot, Events([done])).holds
    moved = Events(champion_moves=[("cnn", "3", "4")])
    assert evaluate(parse(kind="champion"), {}, shot, moved).holds
    assert not evaluate(parse(kind="champion", model="dqn"), {}, shot, moved).holds
    group = {"symbol": "BTC/USDT", "model_version": "4", "hit_rate": 0.4, "window": 200,
             "majority_baseline": 0.55}  # fmt: skip
    below = Snapshot(0, below={"cnn": [group]})
    outcome = evaluate(parse(kind="champion", when="below_baseline"), {}, below, Events())
    assert outcome.holds and "below the majority baseline 55%" in outcome.message
