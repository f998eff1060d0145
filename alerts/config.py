"""The ``alerts:`` section of config.yaml (composed into the full Config in runtime/)."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import check


@dataclass(frozen=True)
class AlertsConfig:
    # An alert fires at most once per this many seconds, however often its condition comes back.
    min_interval_s: float = 60.0
    # Hosts a webhook may post to (exact names, e.g. hooks.example.com or 127.0.0.1); empty:
    # no webhooks. An alert naming another host is refused when it is created.
    webhook_hosts: tuple[str, ...] = ()
    webhook_retries: int = 3  # tries after the first, with doubling waits
    webhook_backoff_s: float = 1.0  # the first wait between tries
    webhook_timeout_s: float = 5.0  # per try
    # The evaluator also wakes this often with nothing new (a feed going stale sends nothing).
    check_every_s: float = 1.0
    # ``champion`` alerts "below baseline": the live hit rate over this many newest outcomes.
    baseline_window: int = 200

    def validate(self, key: str) -> None:
        check(0 <= self.min_interval_s <= 86_400, f"{key}.min_interval_s", "must be 0..86400")
        for host in self.webhook_hosts:
            ok = bool(host) and host == host.strip().lower() and "/" not in host
            check(ok, f"{key}.webhook_hosts", f"{host!r} is not a lower-case host name")
        check(0 <= self.webhook_retries <= 10, f"{key}.webhook_retries", "must be 0..10")
        check(0 < self.webhook_backoff_s <= 300, f"{key}.webhook_backoff_s", "must be 0..300 s")
        check(0 < self.webhook_timeout_s <= 60, f"{key}.webhook_timeout_s", "must be 0..60 s")
        check(0.1 <= self.check_every_s <= 60, f"{key}.check_every_s", "must be 0.1..60 s")
        check(20 <= self.baseline_window <= 10_000, f"{key}.baseline_window", "must be 20..10000")
