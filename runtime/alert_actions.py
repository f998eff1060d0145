"""Adding an alert, the one way the REST API and the Alerts tab share: checked against the app's
symbols, the allowed webhook hosts and the symbol's drawn horizontal lines, stored, audited, and
the evaluator woken so a price alert takes its side of the level at once."""

from __future__ import annotations

from alerts.rules import AlertError, parse_alert


def add_alert(orch, body, by: str) -> dict:
    """Check and store an alert; ``AlertError`` names the bad field."""
    symbol = body.get("symbol") if isinstance(body, dict) else None
    hlines = [d.id for d in orch.drawings.list(symbol) if d.kind == "hline"] if symbol else []
    alert = parse_alert(body, orch.symbols(), orch.config.alerts.webhook_hosts, hlines)
    try:
        stored = orch.alerts.add(alert, by)
    except ValueError as exc:  # too many stored
        raise AlertError("alerts", str(exc)) from None
    orch.audit.record(by, "alert added", f"{stored['id']}: {stored['description']}")
    orch.alert_worker.wake()
    return stored
