"""What an alert is and when it fires, as pure functions: the request checked field by field,
and the fire / re-arm step every kind shares.

An alert fires when its condition becomes true while it is armed, then stays quiet until the
condition has cleared (it re-arms), and fires at most once per ``alerts.min_interval_s``: a
condition that comes back sooner waits, still armed, until the interval has passed.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

KINDS = ("price_cross", "signal", "feed_stale", "job", "champion")
MODEL_KINDS = ("dqn", "cnn", "transformer", "pattern")
CALLS = {
    "dqn": ("BUY", "SELL", "HOLD"),
    "cnn": ("UP", "DOWN", "STABLE"),
    "transformer": ("UP", "DOWN", "STABLE"),
}  # fmt: skip  (pattern: any label)
JOB_EVENTS = ("done", "failed", "ended")  # ended: done or failed
CHAMPION_EVENTS = ("changed", "below_baseline")
FIELDS = ("kind", "symbol", "level", "drawing", "model", "call", "min_confidence", "stale_s",
          "when", "webhook", "note")  # fmt: skip
MAX_STALE_S = 86_400
MAX_NOTE = 200


class AlertError(ValueError):
    """A bad alert request; ``field`` names the field, the message says what is allowed."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def _number(body: dict, name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise AlertError(name, f"must be a finite number, got {value!r}")
    return float(value)


def _text(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise AlertError(name, f"must be a string, got {value!r}")
    return value.strip()


def webhook_problem(url: str, hosts: Collection[str]) -> str | None:
    """Why a webhook URL is refused (scheme, host not in ``alerts.webhook_hosts``), or None.

    >>> webhook_problem("ftp://a/x", ["a"])
    "the scheme must be http or https, got 'ftp'"
    >>> webhook_problem("https://evil.example/x", ["hooks.example"])
    "host 'evil.example' is not in alerts.webhook_hosts (allowed: hooks.example)"
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - a bad port raises here, at creation, not at the first post
    except ValueError as exc:
        return f"not a URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return f"the scheme must be http or https, got {parts.scheme!r}"
    if not host:
        return "the URL names no host"
    if parts.username or parts.password:
        return "no user or password in the URL"
    if host not in hosts:
        allowed = ", ".join(hosts) or "none listed"
        return f"host {host!r} is not in alerts.webhook_hosts (allowed: {allowed})"
    return None


def parse_alert(
    body: Any, symbols: Collection[str], hosts: Collection[str], hlines: Collection[str] = ()
) -> dict[str, Any]:
    """The stored form of an alert request, or an AlertError naming the field.

    ``hlines``: ids of the drawn horizontal lines of ``symbol`` (a price alert may follow one).
    """
    if not isinstance(body, dict):
        raise AlertError("body", "must be a JSON object")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise AlertError(unknown[0], f"unknown field; the fields are {', '.join(FIELDS)}")
    kind = _text(body, "kind")
    if kind not in KINDS:
        raise AlertError("kind", f"must be one of {', '.join(KINDS)}, got {body.get('kind')!r}")
    symbol = _text(body, "symbol")
    if symbol is not None and symbol not in symbols:
        raise AlertError("symbol", f"unknown symbol {symbol!r}; known: {', '.join(symbols)}")
    alert: dict[str, Any] = {"kind": kind, "symbol": symbol}
    if kind == "price_cross":
        _price_fields(body, alert, hlines)
    elif kind == "signal":
        _signal_fields(body, alert)
    elif kind == "feed_stale":
        stale = _number(body, "stale_s")
        if stale is None or not 1 <= stale <= MAX_STALE_S:
            raise AlertError("stale_s", f"seconds, 1..{MAX_STALE_S}, required for feed_stale")
        alert["stale_s"] = stale
    elif kind in ("job", "champion"):
        events = JOB_EVENTS if kind == "job" else CHAMPION_EVENTS
        when = _text(body, "when") or events[-1 if kind == "job" else 0]
        if when not in events:
            raise AlertError("when", f"for {kind} one of {', '.join(events)}, got {when!r}")
        alert["when"] = when
        if kind == "champion":
            model = _text(body, "model")
            if model is not None and model not in MODEL_KINDS:
                raise AlertError("model", f"one of {', '.join(MODEL_KINDS)}, got {model!r}")
            alert["model"] = model
    webhook = _text(body, "webhook")
    if webhook is not None:
        problem = webhook_problem(webhook, hosts)
        if problem:
            raise AlertError("webhook", problem)
    alert["webhook"] = webhook
    note = _text(body, "note")
    if note is not None and len(note) > MAX_NOTE:
        raise AlertError("note", f"at most {MAX_NOTE} characters")
    alert["note"] = note
    return alert


def _price_fields(body: dict, alert: dict, hlines: Collection[str]) -> None:
    if alert["symbol"] is None:
        raise AlertError("symbol", "required for price_cross")
    level, drawing = _number(body, "level"), _text(body, "drawing")
    if (level is None) == (drawing is None):
        raise AlertError("level", "give a price level or the id of a drawn horizontal line")
    if level is not None and level <= 0:
        raise AlertError("level", f"must be a price above 0, got {level:g}")
    if drawing is not None and drawing not in hlines:
        raise AlertError("drawing", f"no horizontal line {drawing!r} is drawn on {alert['symbol']}")
    alert["level"], alert["drawing"] = level, drawing


def _signal_fields(body: dict, alert: dict) -> None:
    model = _text(body, "model")
    if model not in MODEL_KINDS:
        raise AlertError("model", f"one of {', '.join(MODEL_KINDS)}, got {body.get('model')!r}")
    call = _text(body, "call")
    if not call:
        raise AlertError("call", "required for signal: UP/DOWN, BUY/SELL or a pattern label")
    call = call if model == "pattern" else call.upper()
    if model in CALLS and call not in CALLS[model]:
        raise AlertError("call", f"for {model} one of {', '.join(CALLS[model])}, got {call!r}")
    confidence = _number(body, "min_confidence")
    confidence = 0.0 if confidence is None else confidence
    if not 0 <= confidence <= 1:
        raise AlertError("min_confidence", f"must be 0..1, got {confidence:g}")
    alert.update(model=model, call=call, min_confidence=confidence)


# ---- fire and re-arm -------------------------------------------------------------------
@dataclass(frozen=True)
class Trigger:
    """Where an alert stands: armed (it fires when its condition holds) and when it last fired."""

    armed: bool = True
    last_fired: int | None = None


def step(trigger: Trigger, holds: bool, now_ms: int, min_interval_ms: int) -> tuple[Trigger, bool]:
    """(the trigger after this evaluation, whether the alert fires now).

    >>> t, fired = step(Trigger(), True, 1000, 60_000)
    >>> fired, t.armed
    (True, False)
    >>> step(t, True, 2000, 60_000)[1]  # still holds: no second fire
    False
    >>> t = step(t, False, 3000, 60_000)[0]  # cleared: re-armed
    >>> step(t, True, 4000, 60_000)[1]  # back within the interval: waits
    False
    >>> step(t, True, 61_000, 60_000)[1]
    True
    """
    if not holds:
        return (trigger if trigger.armed else Trigger(True, trigger.last_fired)), False
    if not trigger.armed:
        return trigger, False
    if trigger.last_fired is not None and now_ms - trigger.last_fired < min_interval_ms:
        return trigger, False
    return Trigger(False, now_ms), True


def price_side(price: float, level: float) -> int:
    """-1 below the level, 1 above, 0 on it."""
    return (price > level) - (price < level)


def price_crossed(reference: int, price: float, level: float) -> bool:
    """Whether the price has crossed the level from the side it was on when the alert was
    armed (``reference``); touching the level counts. It clears when the price is back."""
    side = price_side(price, level)
    return reference != 0 and side != reference


def signal_matches(alert: dict, prediction: dict | None) -> bool:
    """Whether a model's newest call is the alert's call, with at least its confidence."""
    if prediction is None:
        return False
    if alert["model"] == "dqn":
        call = prediction.get("action")
    elif alert["model"] == "pattern":
        call = prediction.get("label")
    else:
        call = prediction.get("direction")
    confidence = prediction.get("confidence") or 0.0
    return call == alert["call"] and confidence >= alert["min_confidence"]


def job_matches(when: str, status: str) -> bool:
    return status in ("done", "failed") if when == "ended" else status == when


def describe(alert: dict) -> str:
    """One line a person reads in the list and the toast."""
    where = alert.get("symbol") or "any symbol"
    kind = alert["kind"]
    if kind == "price_cross":
        level = alert.get("level")
        target = f"{level:,.8g}" if level is not None else f"line {alert.get('drawing')}"
        text = f"{where} crosses {target}"
    elif kind == "signal":
        text = (
            f"{alert['model']} says {alert['call']} on {where} (>= {alert['min_confidence']:.0%})"
        )
    elif kind == "feed_stale":
        text = f"feed of {where} stale > {alert['stale_s']:g} s"
    elif kind == "job":
        text = f"a job {alert['when']}"
    else:
        what = alert.get("model") or "any model"
        text = f"champion of {what} {alert['when'].replace('_', ' ')}"
    return f"{text} — {alert['note']}" if alert.get("note") else text
