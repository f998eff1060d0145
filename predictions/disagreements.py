"""Where the models disagree, so an annotator reviews those cases first:

- the CNN and the transformer calling opposite directions (UP against DOWN) for the same candle;
- a DQN action against both of them (BUY while both say DOWN, SELL while both say UP);
- the pattern classifier's span contradicting an accepted human span it overlaps (another label).

"The same candle" is the candle of the prediction's own timeframe containing its timestamp; where
one kind predicted several times for a candle, its latest call counts. Pure functions.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.candles import bucket_start, timeframe_ms

OPPOSITE = {"UP": "DOWN", "DOWN": "UP"}
AGAINST = {"BUY": "DOWN", "SELL": "UP"}


def _latest_by_candle(predictions: list[dict]) -> dict[tuple[str, int], dict]:
    latest: dict[tuple[str, int], dict] = {}
    frames: dict[str, int] = {}
    for p in sorted(predictions, key=lambda p: p.get("seq", 0)):
        timeframe = p.get("timeframe", "1m")
        frame = frames.get(timeframe) or frames.setdefault(timeframe, timeframe_ms(timeframe))
        latest[(timeframe, bucket_start(p["timestamp"], frame))] = p
    return latest


def prediction_disagreements(predictions: dict[str, list[dict]]) -> list[dict]:
    """CNN against transformer, and DQN against both, per candle."""
    cnn = _latest_by_candle(predictions.get("cnn", []))
    transformer = _latest_by_candle(predictions.get("transformer", []))
    dqn = _latest_by_candle(predictions.get("dqn", []))
    found = []
    for key, c in cnn.items():
        t = transformer.get(key)
        if t is None:
            continue
        timeframe, time = key
        if OPPOSITE.get(c["direction"]) == t["direction"]:
            found.append({
                "type": "cnn_vs_transformer", "time": time, "timeframe": timeframe,
                "detail": f"CNN {c['direction']} vs transformer {t['direction']}",
                "ids": [c["id"], t["id"]],
            })  # fmt: skip
        d = dqn.get(key)
        if d is not None and c["direction"] == t["direction"] == AGAINST.get(d["action"]):
            found.append({
                "type": "dqn_vs_both", "time": time, "timeframe": timeframe,
                "detail": f"DQN {d['action']} vs CNN and transformer {c['direction']}",
                "ids": [d["id"], c["id"], t["id"]],
            })  # fmt: skip
    return found


def _overlapping(span: dict, accepted: Sequence):
    return next((h for h in accepted if h.start <= span["end"] and span["start"] <= h.end), None)


def _accepted_human(spans: Sequence) -> list:
    return [s for s in spans if s.status == "accepted" and s.source != "model"]


def pattern_disagreements(model_spans: Sequence[dict], human_spans: Sequence, timeframe: str):
    """Model spans overlapping an accepted human span with another label."""
    accepted = _accepted_human(human_spans)
    found = []
    for span in model_spans:
        human = _overlapping(span, accepted)
        if human is not None and human.label != span["label"]:
            found.append({
                "type": "pattern_vs_human", "time": span["start"], "timeframe": timeframe,
                "end": span["end"], "ids": [human.id],
                "detail": f"model {span['label']} ({span['confidence']:.2f}) vs accepted"
                          f" {human.label}",
            })  # fmt: skip
    return found


def disagreements(predictions, model_spans, human_spans, timeframe: str) -> list[dict]:
    """Every disagreement, newest first."""
    found = prediction_disagreements(predictions)
    found += pattern_disagreements(model_spans, human_spans, timeframe)
    return sorted(found, key=lambda d: -d["time"])


def pattern_outcomes(model_spans: Sequence[dict], human_spans: Sequence) -> dict:
    """How the pattern classifier's spans score against accepted human spans where there are
    any: a model span overlapping one is a hit when the labels agree. Spans no human labelled
    are not scored."""
    accepted = _accepted_human(human_spans)
    hits = misses = 0
    for span in model_spans:
        human = _overlapping(span, accepted)
        if human is None:
            continue
        if human.label == span["label"]:
            hits += 1
        else:
            misses += 1
    scored = hits + misses
    return {"scored": scored, "hits": hits, "hit_rate": hits / scored if scored else None}
