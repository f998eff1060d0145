"""The layer toggles above the charts, doubling as the layers' legend: a layer whose predictions
draw nothing says so in its label (``DQN ▲▼ · 12 HOLD``: the DQN only held, and a HOLD has no
marker), so an empty layer is not mistaken for a silent model. Pure functions."""

from __future__ import annotations

LAYERS = (("dqn", " DQN ▲▼"), ("cnn", " CNN ◆"), ("transformer", " Transformer ★"),
          ("patterns", " Patterns ▭"))  # fmt: skip


def layer_notes(predictions: dict[str, list[dict]]) -> dict[str, str]:
    """What each prediction layer holds but can't draw, by kind (only kinds with such a note)."""
    notes = {}
    dqn = predictions.get("dqn") or []
    if dqn and all(p.get("action") == "HOLD" for p in dqn):
        notes["dqn"] = f"{len(dqn)} HOLD"
    return notes


def layer_options(predictions: dict[str, list[dict]] | None = None) -> list[dict]:
    notes = layer_notes(predictions or {})
    return [{"label": label + (f" · {notes[value]}" if value in notes else ""), "value": value}
            for value, label in LAYERS]  # fmt: skip
