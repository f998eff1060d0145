"""A figure as the browser holds it: a Patch's operations applied as dash-renderer does."""

from __future__ import annotations

import json

import plotly


def browser_json(value) -> dict:
    """A figure or Patch as the browser receives it (plain JSON)."""
    return json.loads(json.dumps(value.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder))


def apply_patch(figure: dict, patch_json: dict) -> None:
    """Apply a Patch's operations as dash-renderer does (the ones the charts use)."""
    for op in patch_json["operations"]:
        *path, last = op["location"]
        node = figure
        for key in path:
            node = (
                node[key]
                if not isinstance(node, list)
                else node[key if key >= 0 else len(node) + key]
            )
        kind, value = op["operation"], op["params"].get("value")
        if kind == "Assign":
            if isinstance(node, list) and last < 0:
                last = len(node) + last
            node[last] = value
        elif kind == "Extend":
            node.setdefault(last, []) if isinstance(node, dict) else None
            node[last].extend(value)
        elif kind == "Delete":
            del node[last]
        elif kind == "Insert":
            node[last].insert(op["params"]["index"], value)
        else:  # pragma: no cover - a new operation would need handling here
            raise AssertionError(f"unhandled patch operation {kind}")
