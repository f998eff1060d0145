"""Moving the champion by hand: an operator promotes a newer version or rolls back to an
older one, with a reason. The registry alias moves (so the CLI, the API and a restart all
agree), the reason is logged, and the served model swaps at once."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class ChampionError(ValueError):
    """A hand move that can't be made; the message says why."""


PATTERN = "pattern"
NEURAL_KINDS = ("cnn", "transformer", "dqn")
KINDS = (PATTERN, *NEURAL_KINDS)


def _registry(orch, kind: str):
    """(tracker, registered model name) of a kind's versions."""
    from training.tracking import Tracker

    config = orch.config
    if kind == PATTERN:
        return Tracker.from_config(
            config.training, config.data_path
        ), config.training.registered_model
    if kind not in NEURAL_KINDS:
        raise ChampionError(f"unknown model kind {kind!r}: one of {', '.join(KINDS)}")
    tracker = Tracker.from_config(config.training, config.data_path, config.neural.experiment)
    return tracker, config.neural.registered_model(kind)


def check_move(version: str | None, reason: str | None) -> str:
    """The reason, stripped; a ChampionError saying what is missing before anything is asked."""
    if not version:
        raise ChampionError("pick a run with a registered model version in the list first")
    reason = (reason or "").strip()
    if not reason:
        raise ChampionError("say why in the reason box: it is logged with the change")
    return reason


def registered_versions(orch, kind: str) -> list[dict]:
    """The registered versions of a kind, newest first: ``{"version", "champion"}``."""
    from training.champion import CHAMPION_ALIAS

    if not orch.config.training.tracking_uri and not (orch.config.data_path / "mlflow.db").exists():
        return []  # nothing registered yet (and no MLflow import)
    tracker, name = _registry(orch, kind)
    try:
        found = tracker.client.search_model_versions(f"name='{name}'")
    except Exception:  # no such registered model yet
        return []
    current = tracker.alias_version(name, CHAMPION_ALIAS)
    champion = str(current.version) if current is not None else None
    versions = sorted({str(v.version) for v in found}, key=int, reverse=True)
    return [{"version": v, "champion": v == champion} for v in versions]


def set_champion_by_hand(
    orch, version: str | None, reason: str | None, kind: str = PATTERN, by: str = ""
) -> dict:
    """Move ``kind``'s champion alias to ``version`` (pattern classifier or a neural kind)."""
    from training.champion import set_champion

    reason = check_move(version, reason)
    tracker, name = _registry(orch, kind)
    try:
        moved = set_champion(tracker, name, str(version), reason, by=(by or "").strip())
    except Exception as exc:  # unknown version, registry unreachable: say so in the panel
        raise ChampionError(f"could not move the champion to version {version}: {exc}") from exc
    if kind == PATTERN:
        if orch.patterns.refresh():
            orch.live_patterns.request(orch.config.symbols)
    else:
        orch.neural.refresh((kind,))
    previous = moved["previous"]
    direction = "rolled back" if previous and int(version) < int(previous) else "promoted"
    moved["direction"] = direction
    moved["kind"] = kind
    orch.audit.record(
        moved.get("by", ""),
        f"champion {direction}",
        f"{kind} v{version} (was v{previous or '-'}): {reason}",
    )
    log.info("%s champion %s to v%s by hand by %s: %s", kind, direction, version, by, reason)
    return moved
