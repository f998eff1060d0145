"""The champion policy: which registered version holds the ``champion`` alias, and when it moves.

The alias moves only when a new version's validation macro-F1 beats the champion's by at least
``min_improvement`` (and is strictly higher: a tie keeps the incumbent), or by hand with a
reason. The decision and its reason are returned and kept as tags of the run. The registry reads
and writes go through a :class:`training.tracking.Tracker`; callers that decide hold
:func:`training.champion_lock.champion_lock` so two processes don't both take the alias.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from training.tracking import CHAMPION_ALIAS, SCORE_METRIC, Tracker, finite_or_none

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChampionDecision:
    promoted: bool
    reason: str
    version: str | None
    score: float | None
    previous_version: str | None = None
    previous_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def champion_score(
    tracker: Tracker, name: str, version: str, metric: str = SCORE_METRIC
) -> float | None:
    """The stored score of a version: its tag, else its run's metric."""
    client = tracker.client
    model_version = client.get_model_version(name, version)
    score = finite_or_none(model_version.tags.get(metric))
    if score is None and model_version.run_id:
        score = finite_or_none(client.get_run(model_version.run_id).data.metrics.get(metric))
    return score


def decide_champion(
    tracker: Tracker,
    name: str,
    version: str,
    score: float,
    min_improvement: float,
    current_score: float | None = None,
    metric: str = SCORE_METRIC,
) -> ChampionDecision:
    """Apply the champion policy to a newly registered version, moving the alias if it wins.
    ``current_score``: the champion re-scored on the new version's validation rows, when it
    was trained on another dataset (its stored score is about other candles and labels)."""
    current = tracker.alias_version(name)
    if current is None:
        decision = ChampionDecision(
            True, "first registered model: becomes champion", version, score
        )
    else:
        previous = champion_score(tracker, name, current.version, metric)
        if current_score is not None:
            previous = current_score
        gain = score - previous if previous is not None else None
        if previous is None:
            promoted = True
            reason = f"champion v{current.version} has no {metric}: replaced"
        elif gain > 0 and gain >= min_improvement:
            promoted = True
            reason = (
                f"{metric} {score:.4f} beats champion v{current.version} "
                f"({previous:.4f}) by {gain:.4f} >= {min_improvement}"
            )
        else:
            promoted = False
            reason = (
                f"{metric} {score:.4f} vs champion v{current.version} "
                f"({previous:.4f}): gain {gain:+.4f} is not a strict improvement of at "
                f"least {min_improvement}; champion kept"
            )
        decision = ChampionDecision(
            promoted, reason, version, score, str(current.version), previous
        )
    if current_score is not None and current is not None:
        note = " (champion re-scored on this dataset's validation period)"
        decision = replace(decision, reason=decision.reason + note)
    if decision.promoted:
        tracker.client.set_registered_model_alias(name, CHAMPION_ALIAS, version)
    logger.info("champion decision for %s v%s: %s", name, version, decision.reason)
    return decision


def champion_info(tracker: Tracker, name: str) -> dict[str, Any] | None:
    """The champion version of ``name`` and its scores, or None if there is none yet."""
    current = tracker.alias_version(name)
    if current is None:
        return None
    tags = dict(current.tags)
    return {
        "name": name,
        "version": str(current.version),
        "alias": CHAMPION_ALIAS,
        "run_id": current.run_id,
        "model_type": tags.get("model_type"),
        "dataset_version": tags.get("dataset_version"),
        "val_macro_f1": finite_or_none(tags.get(SCORE_METRIC)),
        "test_macro_f1": finite_or_none(tags.get("test_macro_f1")),
        "created": int(current.creation_timestamp),
        "model_uri": f"models:/{name}@{CHAMPION_ALIAS}",
    }


def set_champion(
    tracker: Tracker, name: str, version: str, reason: str, by: str = ""
) -> dict[str, Any]:
    """Move the champion alias to ``version`` by hand (a promotion or a rollback). The
    reason is logged and tagged on the version and its run, beside the automatic decisions."""
    client = tracker.client
    target = client.get_model_version(name, str(version))  # unknown version: raises
    current = tracker.alias_version(name)
    previous = str(current.version) if current is not None else None
    who = f" by {by}" if by else ""
    note = f"set by hand{who} (was v{previous or '-'}): {reason}"
    client.set_registered_model_alias(name, CHAMPION_ALIAS, str(version))
    client.set_model_version_tag(name, str(version), "champion_decision", note)
    if by:
        client.set_model_version_tag(name, str(version), "champion_set_by", by)
    if target.run_id:
        client.set_tag(target.run_id, "champion_decision", note)
    logger.info("champion of %s set by hand to v%s (was v%s): %s", name, version, previous, reason)
    return {"version": str(version), "previous": previous, "reason": reason, "by": by,
            "at": int(time.time() * 1000)}  # fmt: skip
