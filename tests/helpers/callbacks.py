"""Dash callback requests built as the page's renderer sends them, for Flask test-client tests
that press a button without a browser."""

from __future__ import annotations

import json
from typing import Any

# The charts a pattern-matching ``ALL`` over ``{"type": "chart"}`` finds on the page.
CHART_IDS = [{"type": "chart", "tf": "1s"}, {"type": "chart", "tf": "1m"}]


def _component(text: str):
    return json.loads(text) if text.startswith("{") else text


def _split(item: str) -> tuple[Any, str]:
    """``"ann-message.children@hash"`` -> ("ann-message", "children")."""
    component, _, prop = item.split("@", 1)[0].rpartition(".")
    return _component(component), prop


def _refs(component, prop: str, value) -> dict | list:
    """One reference, or one per chart for an ``ALL`` pattern (its value: the chart's id)."""
    if isinstance(component, dict) and component.get("tf") == ["ALL"]:
        return [{"id": c, "property": prop, **({"value": c} if prop == "id" else {})}
                for c in CHART_IDS]  # fmt: skip
    ref = {"id": component, "property": prop}
    if value is not ...:
        ref["value"] = value
    return ref


def callback_body(dependencies: list[dict], trigger: str, values: dict | None = None) -> dict:
    """The request a click on ``trigger`` (``"id.property"``) sends: its callback found in the
    page's ``/_dash-dependencies``, every input and state given ``values[id.property]`` (the
    trigger 1 and the rest None unless given)."""
    values = values or {}
    found = [d for d in dependencies
             if any(f"{i['id']}.{i['property']}" == trigger for i in d["inputs"])]  # fmt: skip
    assert len(found) == 1, f"{len(found)} callbacks are triggered by {trigger}"
    dep = found[0]

    def given(ref: dict):
        key = f"{ref['id']}.{ref['property']}"
        return _refs(_component(ref["id"]), ref["property"],
                     values.get(key, 1 if key == trigger else None))  # fmt: skip

    output = dep["output"]
    items = output[2:-2].split("...") if output.startswith("..") else [output]
    outputs = [_refs(*_split(item), ...) for item in items]
    return {
        "output": output,
        "outputs": outputs if output.startswith("..") else outputs[0],
        "inputs": [given(i) for i in dep["inputs"]],
        "state": [given(s) for s in dep["state"]],
        "changedPropIds": [trigger],
    }


def press(client, dependencies: list[dict], trigger: str, values: dict | None = None, **kw):
    """Post the callback of a click on ``trigger``; the response."""
    body = callback_body(dependencies, trigger, values)
    return client.post("/_dash-update-component", json=body, **kw)


def answer_text(response) -> str:
    """Every text a callback's answer writes into the page, joined (for reading a message)."""
    data = response.get_json(silent=True) or {}
    texts = []
    for props in (data.get("response") or {}).values():
        for value in props.values():
            if isinstance(value, str):
                texts.append(value)
    return " | ".join(texts)
