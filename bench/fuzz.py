"""R1: random requests to every route of ``/api/openapi.json``, generated from the document
itself: values that fit each schema, values that break it (wrong types, 2^63, NaN, huge strings,
deep nesting, missing and unknown fields), bodies that aren't JSON, and valid requests with one
field spoiled. Passes when no request gets a 5xx, every /api error is JSON ``{"error": ...}``,
and the server still answers at the end.

The app runs as ``make run`` serves it (``python app.py``, waitress) with a small trained model,
so /api/predict goes past "no model" into the candle checks and the model.

    python bench/fuzz.py [--requests 5000] [--seed 1] [--quick]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NASTY = [
    None, True, False, 0, -1, 1, 0.5, -0.0, 2**31, 2**53, 2**53 + 1, 2**63, -(2**63), 2**64,
    10**30, 1e308, -1e308, float("nan"), float("inf"), float("-inf"), "", " ", "0", "-1",
    "NaN", "Infinity", "1e999", "x" * 10_000, "../../etc/passwd", "a/b:c", "..", "%00",
    "<script>alert(1)</script>", "' OR 1=1 --", "𝕏😀", "\x00", "\n", [], {}, [[]], [[[[[]]]]],
    {"$ref": "#"}, {"__proto__": 1}, ["a"] * 200,
]  # fmt: skip
RAW_BODIES = [
    b"", b"null", b"{", b"[1,2", b"\xff\xfe\x00", b'{"candles": NaN}', b'{"candles": 1e999}',
    b"[" * 20_000 + b"]" * 20_000, b'{"a":' * 5_000 + b"1" + b"}" * 5_000, b'"text"', b"123",
    b'{"candles": [' + b"{}," * 5_000 + b"{}]}",
]  # fmt: skip


@dataclass
class Call:
    method: str
    path: str
    query: dict
    body: bytes | None
    content_type: str | None


class Generator:
    """Requests for every operation of an OpenAPI document."""

    def __init__(self, document: dict, rng: random.Random, seeds: dict[str, dict] | None = None):
        self.doc = document
        self.rng = rng
        self.seeds = seeds or {}  # path -> a valid query or body to spoil
        self.operations = [
            (path, method, op)
            for path, item in document["paths"].items()
            for method, op in item.items()
            if method in ("get", "post", "put", "delete", "patch")
        ]

    def resolve(self, schema: dict) -> dict:
        while isinstance(schema, dict) and "$ref" in schema:
            node = self.doc
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return schema if isinstance(schema, dict) else {}

    def value(self, schema: dict, depth: int = 0):
        """A value that fits ``schema`` (mostly), or a nasty one."""
        if depth > 6 or self.rng.random() < 0.12:
            return copy.deepcopy(self.rng.choice(NASTY))
        schema = self.resolve(schema)
        if "enum" in schema:
            return self.rng.choice(schema["enum"])
        kind = schema.get("type", self.rng.choice(["string", "integer", "object"]))
        if isinstance(kind, list):
            kind = self.rng.choice(kind)
        if kind == "integer":
            low, high = schema.get("minimum", -(10**6)), schema.get("maximum", 2**53)
            return self.rng.choice([low, high, self.rng.randint(int(low), int(high))])
        if kind == "number":
            return self.rng.choice([0.0, 1.0, self.rng.uniform(-1e6, 1e6), self.rng.random()])
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "string":
            return self.rng.choice(["BTC/USDT", "1m", "1s", "champion", "1", "pattern-classifier"])
        if kind == "array":
            count = self.rng.choice([0, 1, 2, 5, schema.get("maxItems", 50) + 1])
            count = min(count, 200)
            return [self.value(schema.get("items", {}), depth + 1) for _ in range(count)]
        if kind == "object":
            props = schema.get("properties", {})
            out = {
                name: self.value(sub, depth + 1)
                for name, sub in props.items()
                if name in schema.get("required", []) or self.rng.random() < 0.5
            }
            if self.rng.random() < 0.1:
                out[self.rng.choice(["extra", "__class__", "𝕏"])] = 1
            return out
        return None

    def spoil(self, value, depth: int = 0):
        """``value`` with one field somewhere replaced by a nasty value or removed."""
        if isinstance(value, dict) and value and depth < 6:
            key = self.rng.choice(list(value))
            out = dict(value)
            if self.rng.random() < 0.2:
                del out[key]
            else:
                out[key] = self.spoil(value[key], depth + 1)
            return out
        if isinstance(value, list) and value and depth < 6:
            out = list(value)
            i = self.rng.randrange(len(out))
            out[i] = self.spoil(out[i], depth + 1)
            return out
        return copy.deepcopy(self.rng.choice(NASTY))

    def call(self) -> Call:
        path, method, op = self.rng.choice(self.operations)
        seed = self.seeds.get(path)
        query = {}
        for param in op.get("parameters", []):
            if param.get("in") != "query":
                continue
            if param.get("required") or self.rng.random() < 0.7:
                query[param["name"]] = self.value(param.get("schema", {}))
        if seed is not None and method == "get" and self.rng.random() < 0.5:
            query = self.spoil(seed) if self.rng.random() < 0.7 else dict(seed)
        query = {k: _text(v) for k, v in query.items() if v is not None}
        body, content_type = None, None
        if "requestBody" in op:
            content_type = "application/json" if self.rng.random() < 0.95 else "text/plain"
            roll = self.rng.random()
            if roll < 0.1:
                body = self.rng.choice(RAW_BODIES)
            elif seed is not None and roll < 0.6:
                body = _json(self.spoil(seed) if self.rng.random() < 0.8 else seed)
            else:
                schema = op["requestBody"]["content"]["application/json"]["schema"]
                body = _json(self.value(schema))
        if self.rng.random() < 0.02:  # a method the route doesn't take
            method = "put" if method == "get" else "get"
        return Call(method.upper(), path, query, body, content_type)


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _json(value) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def check(call: Call, status: int, body: bytes) -> str | None:
    """What is wrong with an answer, or None."""
    if status >= 500:
        return f"{status} on {call.method} {call.path}: {body[:300]!r}"
    if status >= 400 and call.path.startswith("/api/"):
        try:
            error = json.loads(body)["error"]
        except (ValueError, KeyError, TypeError):
            return f"{status} on {call.method} {call.path} is not JSON {{error}}: {body[:200]!r}"
        if not isinstance(error, str) or not error or "Traceback" in error:
            return f"{status} on {call.method} {call.path}: an unhelpful error {error!r}"
    return None


Send = Callable[[Call], tuple[int, bytes]]


def run(send: Send, document: dict, count: int, seed: int, seeds: dict) -> dict:
    generator = Generator(document, random.Random(seed), seeds)
    statuses: Counter = Counter()
    by_operation: dict[str, Counter] = {}
    problems: list[str] = []
    began = time.monotonic()
    for _ in range(count):
        call = generator.call()
        status, body = send(call)
        statuses[status] += 1
        by_operation.setdefault(f"{call.method} {call.path}", Counter())[status] += 1
        problem = check(call, status, body)
        if problem:
            problems.append(problem)
    return {
        "requests": count,
        "seconds": round(time.monotonic() - began, 1),
        "statuses": dict(sorted(statuses.items())),
        "5xx": sum(n for s, n in statuses.items() if s >= 500),
        "by_operation": {op: dict(sorted(c.items())) for op, c in sorted(by_operation.items())},
        "problems": problems[:20],
        "problem_count": len(problems),
    }


def seeds_for(candle_body: bytes, since: int) -> dict:
    predict = json.loads(candle_body)
    return {
        "/api/live-updates": {"symbol": "BTC/USDT", "timeframe": "1s", "since": since, "limit": 50},
        "/api/predict": predict,
        "/api/predict/batch": {"items": [predict, {"candles": predict["candles"][:60]}]},
    }


def main(argv=None) -> int:
    import requests

    from bench.harness import load_average, predict_body, served, train_tiny_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="500 requests")
    args = parser.parse_args(argv)
    count = 500 if args.quick else args.requests
    print(load_average())
    with tempfile.TemporaryDirectory() as tmp:
        train_tiny_model(Path(tmp) / "data")
        config = {"feed": {"backfill_1m_hours": 1, "backfill_1s_minutes": 5}}
        with served(Path(tmp), config) as server:
            session = requests.Session()
            document = session.get(f"{server.url}/api/openapi.json", timeout=10).json()

            def send(call: Call) -> tuple[int, bytes]:
                headers = {"Content-Type": call.content_type} if call.content_type else {}
                response = session.request(
                    call.method, server.url + call.path, params=call.query, data=call.body,
                    headers=headers, timeout=60,
                )  # fmt: skip
                return response.status_code, response.content

            since = int(time.time() * 1000) - 60_000
            result = run(send, document, count, args.seed, seeds_for(predict_body(), since))
            result["alive_after"] = server.health()["status"] == "ok"
    print(json.dumps(result, indent=1))
    print(load_average())
    return 0 if result["5xx"] == 0 and not result["problem_count"] and result["alive_after"] else 1


if __name__ == "__main__":
    sys.exit(main())
