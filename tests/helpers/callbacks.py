"""Dash callback requests built as the page's renderer sends them, for Flask test-client tests
that press a button without a browser."""

from __future__ import annotations

import json
from typing import Any

# The charts a pattern-matching ``ALL`` over ``{"type": ..., "tf": ALL, "symbol": ALL}`` finds:
# the page's first symbol's, one per timeframe.
CHART_TFS = ["1s", "1m"]
CHART_SYMBOL = "BTC/USDT"


def _per_tf(component: dict) -> list[dict]:
    """The page's components an ``ALL`` pattern finds (``{"type": "chart", "tf": ["ALL"],
    "symbol": ["ALL"]}``)."""
    return [{**component, "tf": tf, "symbol": CHART_SYMBOL} for tf in CHART_TFS]


def _component(text: str):
    return json.loads(text) if text.startswith("{") else text


def _split(item: str) -> tuple[Any, str]:
    """``"ann-message.children@hash"`` -> ("ann-message", "children")."""
    component, _, prop = item.split("@", 1)[0].rpartition(".")
    return _component(component), prop


def _per_chart(value) -> bool:
    return isinstance(value, list) and len(value) == len(CHART_TFS)


def _refs(component, prop: str, value) -> dict | list:
    """One reference, or one per chart for an ``ALL`` pattern (its value: the chart's id, or
    each chart's given in a list, one per timeframe of ``CHART_TFS``)."""
    if isinstance(component, dict) and component.get("tf") == ["ALL"]:
        values = value if _per_chart(value) else [None] * len(CHART_TFS)
        return [{"id": c, "property": prop,
                 **({"value": c} if prop == "id" else {} if v is None else {"value": v})}
                for c, v in zip(_per_tf(component), values, strict=True)]  # fmt: skip
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
        "changedPropIds": [_changed(trigger, values.get(trigger))],
    }


def _changed(trigger: str, value) -> str:
    """What the renderer names as changed: for a per-chart value of an ``ALL`` pattern, the
    first chart given one (its concrete id)."""
    if not _per_chart(value):
        return trigger
    pattern, prop = trigger.rsplit(".", 1)
    charts = _per_tf(json.loads(pattern))
    chart = next(c for c, v in zip(charts, value, strict=True) if v is not None)
    return f"{json.dumps(chart, sort_keys=True, separators=(',', ':'))}.{prop}"


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
