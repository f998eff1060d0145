"""Which predictions a chart draws, and how strongly, so that hours of live predictions stay
readable. Pure functions over the prediction dicts of the book:

- per kind the newest N (``dashboard.overlay_full_strength``) are drawn at full strength, older
  ones faded, and only the full-strength ones keep their realised-price segment;
- the future targets of pending CNN and transformer predictions collapse to the newest per
  timeframe and horizon, which names the older ones it stands for (``hidden``): a target made
  every minute with a five-minute horizon would otherwise pile five markers and lines into a
  blob right of the last candle;
- where several markers of one kind and call fall on one candle of the chart (1 m predictions
  on an hour candle), the newest stands for the others (``more``).
"""

from __future__ import annotations

from collections.abc import Iterable

from core.candles import bucket_start
from predictions.book import TARGET_FIELD
from predictions.queries import outcome_of

# An older prediction keeps this share of its opacity: still there to hover, no longer competing
# with the newest calls.
FADED = 0.25


def prediction_key(prediction: dict) -> str:
    """A prediction's identity (its id; the kind and ``seq`` for one not stored yet)."""
    return str(prediction.get("id") or f"{prediction.get('kind')}:{prediction.get('seq', 0)}")


def _order(prediction: dict) -> tuple:
    return prediction["timestamp"], prediction.get("seq", 0)


def drawable(kind: str, prediction: dict) -> bool:
    """False for a DQN HOLD: it has no marker, and must not push a drawn call into the faded."""
    return not (kind == "dqn" and prediction.get("action") == "HOLD")


def full_strength(predictions: dict[str, list[dict]], newest: int) -> set[str]:
    """Keys of the newest ``newest`` drawable predictions of each kind."""
    keep: set[str] = set()
    for kind, items in predictions.items():
        ranked = sorted((p for p in items if drawable(kind, p)), key=_order, reverse=True)
        keep.update(prediction_key(p) for p in ranked[:newest])
    return keep


def strength(opacity: float, full: bool) -> float:
    return opacity if full else round(opacity * FADED, 3)


def has_target(kind: str, prediction: dict) -> bool:
    field = TARGET_FIELD.get(kind)
    return field is not None and kind != "dqn" and prediction.get(field) is not None


def _newest(groups: dict[tuple, list[dict]]) -> dict[str, int]:
    """The key of each group's newest prediction, and how many others it stands for."""
    return {prediction_key(max(group, key=_order)): len(group) - 1 for group in groups.values()}


def collapse_targets(pending: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Pending predictions with the future targets collapsed: of the CNN and transformer
    predictions with a target, only the newest per (timeframe, horizon) stays, as a copy with
    ``hidden``: how many older ones it stands for. The rest pass unchanged, in their order."""
    out: dict[str, list[dict]] = {}
    for kind, items in pending.items():
        groups: dict[tuple, list[dict]] = {}
        for p in items:
            if has_target(kind, p) and outcome_of(p) == "pending":
                groups.setdefault((p.get("timeframe"), p.get("horizon_minutes")), []).append(p)
        newest = _newest(groups)
        hidden = {prediction_key(p) for group in groups.values() for p in group} - set(newest)
        kept = []
        for p in items:
            k = prediction_key(p)
            if k in hidden:
                continue
            kept.append({**p, "hidden": newest[k]} if newest.get(k) else p)
        out[kind] = kept
    return out


def marker_time(kind: str, prediction: dict) -> int:
    """Where a prediction's marker sits on the time axis: its target's time, else its own."""
    if has_target(kind, prediction):
        return int(prediction["timestamp"] + prediction["horizon_minutes"] * 60_000)
    return int(prediction["timestamp"])


def thin(predictions: dict[str, list[dict]], frame_ms: int) -> dict[str, list[dict]]:
    """Of the markers of one kind and call on one candle of ``frame_ms``, the newest only, as
    a copy with ``more``: how many others it stands for. Order kept."""
    out: dict[str, list[dict]] = {}
    for kind, items in predictions.items():
        groups: dict[tuple, list[dict]] = {}
        for p in items:
            call = p.get("action") if kind == "dqn" else p.get("direction")
            slot = bucket_start(marker_time(kind, p), frame_ms)
            groups.setdefault((slot, call, outcome_of(p) == "pending"), []).append(p)
        newest = _newest(groups)
        out[kind] = [
            {**p, "more": newest[prediction_key(p)]} if newest[prediction_key(p)] else p
            for p in items
            if prediction_key(p) in newest
        ]
    return out


def notes(prediction: dict) -> tuple[str, ...]:
    """Hover lines for what a marker stands for."""
    lines = []
    if prediction.get("hidden"):
        n = prediction["hidden"]
        lines.append(f"+{n} older target{'s' if n > 1 else ''} of this horizon hidden")
    if prediction.get("more"):
        n = prediction["more"]
        lines.append(f"+{n} more on this candle")
    return tuple(lines)


def readable(
    predictions: dict[str, list[dict]], frame_ms: int, kinds: Iterable[str] | None = None
) -> dict[str, list[dict]]:
    """Pending predictions as a chart draws them: targets collapsed, then thinned per candle."""
    chosen = {k: v for k, v in predictions.items() if kinds is None or k in set(kinds)}
    return thin(collapse_targets(chosen), frame_ms)
