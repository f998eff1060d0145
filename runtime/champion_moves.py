"""Moving the champion by hand: an operator promotes a newer version or rolls back to an
older one, with a reason. The registry alias moves (so the CLI, the API and a restart all
agree), the reason is logged, and the served model swaps at once."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class ChampionError(ValueError):
    """A hand move that can't be made; the message says why."""


def set_champion_by_hand(orch, version: str | None, reason: str | None) -> dict:
    from training.champion import set_champion
    from training.tracking import Tracker

    if not version:
        raise ChampionError("pick a run with a registered model version in the list first")
    reason = (reason or "").strip()
    if not reason:
        raise ChampionError("say why in the reason box: it is logged with the change")
    training = orch.config.training
    tracker = Tracker.from_config(training, orch.config.data_path)
    try:
        moved = set_champion(tracker, training.registered_model, str(version), reason)
    except Exception as exc:  # unknown version, registry unreachable: say so in the panel
        raise ChampionError(f"could not move the champion to version {version}: {exc}") from exc
    if orch.patterns.refresh():
        orch.live_patterns.request(orch.config.symbols)
    previous = moved["previous"]
    direction = "rolled back" if previous and int(version) < int(previous) else "promoted"
    moved["direction"] = direction
    log.info("champion %s to v%s by hand: %s", direction, version, reason)
    return moved
