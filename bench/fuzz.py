"""R1: random requests to every route of ``/api/openapi.json``, generated from the document
itself: values that fit each schema, values that break it (wrong types, 2^63, NaN, huge strings,
deep nesting, missing and unknown fields), bodies that aren't JSON, and valid requests with one
field spoiled. Passes when no request gets a 5xx, every /api error is JSON ``{"error": ...}``,
and the server still answers at the end.

Then the security probes (issue 19): fixed requests for each finding of the security review
(sign-in redirects, framing headers, the replay cap, forwarded headers, sessions, model kinds, the
accuracy window, the backtest queue, 4xx instead of 5xx, Bearer in any case, ASCII versions,
callback errors, the sign-in rate limit) against the app and a second one with a token, and
offline cases for what no single request reaches (CSV formula escaping and its round trip, markup
in Plotly text, start-up refusals).

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


# ---- security probes (issue 19): fixed requests for each finding of the security review, so each
# stays fixed. `locked` probes run against an app with server.auth_token set (they carry it as a
# Bearer token unless they test the token itself), the others against the default app.


@dataclass
class Probe:
    finding: str
    method: str
    path: str
    expect: Callable[[int, dict, bytes], str | None]  # status, headers (lower-case), body
    body: bytes | None = None
    content_type: str | None = "application/json"
    headers: dict | None = None
    locked: bool = False
    bearer: bool = True  # a locked probe sends the token (unless it tests the token itself)
    repeat: int = 1  # sent this many times; the last answer is checked


ProbeSend = Callable[[Probe], tuple[int, dict, bytes]]


def _status(*allowed: int, words: str | None = None, json_error: bool = True):
    def expect(status: int, headers: dict, body: bytes) -> str | None:
        if status not in allowed:
            return f"answered {status}, expected {allowed}: {body[:200]!r}"
        if json_error and status >= 400:
            try:
                error = json.loads(body)["error"]
            except (ValueError, KeyError, TypeError):
                return f"{status} is not JSON {{error}}: {body[:200]!r}"
            if words and words not in error:
                return f"the error does not say {words!r}: {error!r}"
        return None

    return expect


def _no_redirect_off_site(status: int, headers: dict, body: bytes) -> str | None:
    location = headers.get("location", "")
    if status >= 500 or location.startswith(("//", "/\\")) or "evil" in location:
        return f"answered {status}, Location {location!r}"
    if not 400 <= status < 500:
        return f"a sign-in link with a control character must be a 4xx, got {status}"
    return None


def _protective_headers(status: int, headers: dict, body: bytes) -> str | None:
    csp = headers.get("content-security-policy", "")
    wanted = {"x-frame-options": "DENY", "x-content-type-options": "nosniff",
              "referrer-policy": "same-origin"}  # fmt: skip
    wrong = [name for name, value in wanted.items() if headers.get(name) != value]
    if wrong or "frame-ancestors 'none'" not in csp or "'unsafe-inline'" in csp.split(";")[1]:
        return f"missing or weak headers {wrong or 'CSP'}: {headers}"
    return None


def _callback_error_without_internals(status: int, headers: dict, body: bytes) -> str | None:
    import re

    problem = _status(400, 204, json_error=True)(status, headers, body)
    if problem or status == 204:
        return problem
    error = json.loads(body)["error"]
    if re.search(r"\b\w*(Error|Exception)\b", error) or "Traceback" in error:
        return f"the 400 shows internals: {error!r}"
    return None


def _login_form(next_path: str, token: str) -> bytes:
    from urllib.parse import urlencode

    return urlencode({"token": token, "next": next_path}).encode()


def _replay_call(state) -> bytes:
    return _json({
        "output": "..replay-graph.figure...replay-clock.children..",
        "outputs": [{"id": "replay-graph", "property": "figure"},
                    {"id": "replay-clock", "property": "children"}],
        "inputs": [{"id": "replay-state", "property": "data", "value": state},
                   {"id": "replay-tick", "property": "n_intervals", "value": 1}],
        "changedPropIds": ["replay-state.data"], "state": [],
    })  # fmt: skip


FORM = "application/x-www-form-urlencoded"


def security_probes(
    token: str,
    candles: list[dict],
    login_attempts: int = 10,
    slow_strategy: str | None = None,
    queued_jobs: int = 20,
) -> list[Probe]:
    """The probes of every finding. ``candles``: valid candles for /api/predict; with
    ``slow_strategy`` (a strategy whose run waits) the queue probe fills the queue exactly."""
    year = 365 * 86_400_000
    forged_replay = {"symbol": "BTC/USDT", "timeframe": "1s", "start": 0, "end": 2 * year,
                     "position": 0, "wall": 0, "speed": 10, "playing": False}  # fmt: skip
    nested = b'{"a":' * 5_000 + b"1" + b"}" * 5_000
    backtest = {"symbol": "BTC/USDT", "strategy": "buy_and_hold"}
    probes = [
        # 1. open redirect after signing in
        *[
            Probe(
                "1 open redirect",
                "POST",
                "/login",
                _no_redirect_off_site,
                locked=True,
                bearer=False,
                body=_login_form(target, token),
                content_type=FORM,
            )
            for target in (
                "/\t/evil.example",
                "/\n/evil.example",
                "/\r\n/evil.example",
                "/ /evil.example",
                "/\x00/evil.example",
            )
        ],
        Probe(
            "1 open redirect",
            "GET",
            "/login?next=/%09/evil.example",
            _status(400, json_error=False),
            locked=True,
            bearer=False,
            content_type=None,
        ),
        Probe(
            "1 open redirect",
            "POST",
            "/login",
            lambda s, h, b: None if s == 302 and h.get("location") == "/" else f"{s} {h}",
            locked=True,
            bearer=False,
            body=_login_form("//evil.example/", token),
            content_type=FORM,
        ),
        # 2. framing and the other protective headers, on pages, the API and refusals
        *[
            Probe(
                "2 clickjacking",
                method,
                path,
                _protective_headers,
                locked=locked,
                bearer=bearer,
                content_type=None,
            )
            for method, path, locked, bearer in (
                ("GET", "/", False, True),
                ("GET", "/api/health", False, True),
                ("GET", "/_dash-layout", False, True),
                ("GET", "/api/nope", False, True),
                ("GET", "/", True, True),
                ("GET", "/login", True, False),
                ("GET", "/api/health", True, False),
            )
        ],
        # 3. the replay's 24 h cap, also for a forged replay state
        Probe(
            "3 replay cap",
            "POST",
            "/_dash-update-component",
            _status(400, words="at most 24 h"),
            body=_replay_call(forged_replay),
        ),
        Probe(
            "3 replay cap",
            "POST",
            "/_dash-update-component",
            _status(400, words="at most 24 h"),
            locked=True,
            body=_replay_call({**forged_replay, "timeframe": "1m"}),
        ),
        # 4. forwarded headers from anyone but the trusted proxy are ignored (no Secure)
        Probe(
            "4 proxy",
            "POST",
            "/login",
            lambda s, h, b: (
                "Secure" in h.get("set-cookie", "")
                and "Secure without a proxy"
                or (s != 302 and f"sign-in answered {s}")
                or None
            ),
            locked=True,
            bearer=False,
            body=_login_form("/", token),
            content_type=FORM,
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
        ),
        Probe(
            "4 sessions",
            "GET",
            "/logout",
            lambda s, h, b: None if s == 302 else f"sign out answered {s}",
            locked=True,
            bearer=False,
            content_type=None,
        ),
        # 7. unbounded work: model kinds, accuracy window, the backtest queue
        Probe(
            "7 pattern kinds",
            "POST",
            "/api/predict",
            _status(400, words="pattern classifiers only"),
            body=_json({"candles": candles, "model": "neural-cnn"}),
        ),
        Probe(
            "7 pattern kinds",
            "POST",
            "/api/predict/batch",
            lambda s, h, b: (
                None
                if s == 200 and {r.get("status") for r in json.loads(b)["results"]} == {400}
                else f"{s}: {b[:200]!r}"
            ),
            body=_json({"items": [{"candles": candles[:60], "model": "neural-dqn"}] * 100}),
        ),
        Probe(
            "7 accuracy",
            "GET",
            "/api/predictions/accuracy?window=10001",
            _status(400, words="window must be <="),
            content_type=None,
        ),
        Probe("7 accuracy", "GET", "/api/predictions/accuracy", _status(200), content_type=None),
        # 8. 4xx, not 5xx
        Probe(
            "8 non-ASCII token",
            "GET",
            "/api/health",
            _status(401),
            locked=True,
            bearer=False,
            content_type=None,
            headers={"Authorization": "Bearer é"},
        ),
        Probe(
            "8 nested callback",
            "POST",
            "/_dash-update-component",
            _status(400, words="nested too deeply"),
            body=nested,
        ),
        Probe(
            "8 nested callback",
            "POST",
            "/_dash-update-component",
            _status(400, words="nested too deeply"),
            body=b"[" * 20_000 + b"]" * 20_000,
            locked=True,
        ),
        *[
            Probe("8 component files", "GET", path, _status(404), content_type=None)
            for path in (
                "/_dash-component-suites/nope/x.js",
                "/_dash-component-suites/dash/nope.js",
                "/_dash-component-suites/plotly/x.v1m1.js",
            )
        ],
        # 10. small ones
        *[
            Probe(
                "10 bearer case",
                "GET",
                "/api/health",
                _status(200),
                locked=True,
                bearer=False,
                content_type=None,
                headers={"Authorization": f"{scheme} {token}"},
            )
            for scheme in ("bearer", "BEARER")
        ],
        Probe(
            "10 ASCII versions",
            "POST",
            "/api/predict",
            _status(400, words="version"),
            body=_json({"candles": candles, "version": "١٢"}),
        ),
        Probe(
            "10 ASCII versions",
            "POST",
            "/api/backtests",
            _status(400, words="version"),
            body=_json({**backtest, "strategy": "pattern", "params": {"version": "١٢"}}),
        ),
        Probe(
            "10 callback reasons",
            "POST",
            "/_dash-update-component",
            _callback_error_without_internals,
            body=_json(
                {
                    "output": "bt-params.value",
                    "outputs": {"id": "bt-params", "property": "value"},
                    "inputs": [
                        {"id": "bt-strategy", "property": "value", "value": {"$where": [1]}}
                    ],
                    "changedPropIds": ["bt-strategy.value"],
                    "state": [],
                }
            ),
        ),
    ]
    if slow_strategy:  # a run that waits, then exactly queued_jobs waiting ones, then one too many
        probes.append(
            Probe(
                "7 backtest queue",
                "POST",
                "/api/backtests",
                _status(202),
                body=_json({**backtest, "strategy": slow_strategy}),
            )
        )
        probes.append(
            Probe(
                "7 backtest queue",
                "POST",
                "/api/backtests",
                _status(202),
                body=_json(backtest),
                repeat=queued_jobs,
            )
        )
        probes.append(
            Probe(
                "7 backtest queue",
                "POST",
                "/api/backtests",
                _status(429, words="limits.queued_jobs"),
                body=_json(backtest),
            )
        )
    else:  # a served app drains its queue as it goes: whatever is refused must say why
        probes.append(
            Probe(
                "7 backtest queue",
                "POST",
                "/api/backtests",
                _status(202, 429, words="limits.queued_jobs"),
                body=_json(backtest),
                repeat=30,
            )
        )
    # 4. failed sign-ins are rate-limited per address: last, as it locks this client out
    probes.append(
        Probe(
            "4 rate limit",
            "POST",
            "/login",
            _status(429, json_error=False),
            locked=True,
            bearer=False,
            body=_login_form("/", "wrong-token"),
            content_type=FORM,
            repeat=login_attempts + 1,
        )
    )
    return probes


# ---- offline cases: what no single request reaches -------------------------------------------

FORMULA_HEADS = ["=", "+", "-", "@", "\t", "\r", "'", "''", "'=", "''@", " ", "a", "", "é"]
MARKUP = ['<a href="https://evil.example/">x</a>', "<b>", "<img src=x onerror=alert(1)>",
          "%{y}", "&lt;", "<br>", "</extra>"]  # fmt: skip


def _person_text(rng: random.Random) -> str:
    """A person's text: a formula start or quotes, then anything (never blank)."""
    tail = rng.choice([*(v for v in NASTY if isinstance(v, str) and len(v) < 100), *MARKUP])
    return rng.choice(FORMULA_HEADS) + tail + "x"


def _label_text(rng: random.Random) -> str:
    """A label a person may save (core.spans.label_problem's rules) that starts a formula."""
    from core.spans import LABEL_FORBIDDEN, MAX_LABEL_LENGTH

    text = _person_text(rng).lstrip("\t\r")
    kept = "".join(ch for ch in text if ch not in LABEL_FORBIDDEN and ch.isprintable())
    return (rng.choice("=+-@") + kept)[:MAX_LABEL_LENGTH]


def fuzz_csv(rng: random.Random, count: int, folder: Path) -> list[str]:
    """Finding 5: generated labels, notes and prediction text through the CSV exports: no cell
    starts a formula, and export then import gives the same text back."""
    import csv

    import pandas as pd

    from core.spans import Span
    from labels.annotation_files import export_spans, read_spans
    from predictions.export import export_frame, read_export, write_export

    problems = []
    text = _person_text
    spans = [Span(str(i), "BTC/USDT", "1m", 0, 60_000, _label_text(rng), "human", "accepted",
                  note=text(rng), author=text(rng)) for i in range(count)]  # fmt: skip
    predictions = [{"kind": "cnn", "symbol": "BTC/USDT", "timeframe": "1m", "timestamp": i,
                    "confidence": 0.5, "id": _person_text(rng), "model": _person_text(rng),
                    "run_id": _person_text(rng), "model_version": _person_text(rng)}
                   for i in range(count)]  # fmt: skip
    frame = export_frame(predictions)
    for path in (export_spans(spans, folder / "spans.csv"),
                 write_export(frame, folder / "predictions.csv")):  # fmt: skip
        with open(path, encoding="utf-8", newline="") as f:
            for row in list(csv.reader(f))[1:]:
                bad = [cell for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")
                       and not cell.lstrip("-").replace(".", "", 1).isdigit()]  # fmt: skip
                if bad:
                    problems.append(f"{path.name}: a cell starts a formula: {bad[0]!r}")
    try:
        if read_spans(folder / "spans.csv") != spans:
            problems.append("spans.csv: export then import changed the text")
    except ValueError as exc:
        problems.append(f"spans.csv: export then import failed: {exc}")
    try:
        pd.testing.assert_frame_equal(read_export(folder / "predictions.csv"), frame)
    except (AssertionError, ValueError) as exc:
        problems.append(f"predictions.csv: export then import changed the text: {exc}")
    return problems


def fuzz_plotly_text(rng: random.Random, count: int) -> list[str]:
    """Finding 6: generated markup as labels and symbols never reaches Plotly text as markup."""
    import plotly.graph_objects as go

    from core.candles import Candle
    from core.spans import Span
    from dashboard.figures.charts import build_figure
    from dashboard.figures.outcome_overlays import disagreement_trace
    from dashboard.panels.replay import replay_figure
    from dashboard.panels.training_panel import class_chart
    from predictions.disagreements import disagreements

    def texts(value):
        if isinstance(value, go.Figure):
            value = value.to_plotly_json()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in value.items():
                if key != "uirevision":
                    yield from texts(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                yield from texts(item)

    t0 = 1_700_000_040_000
    candles = [Candle(t0 + i * 60_000, 100.0, 101.0, 99.0, 100.5, 1.0) for i in range(5)]
    problems = []
    for _ in range(count):
        label, other, symbol = (rng.choice(MARKUP) + _person_text(rng) for _ in range(3))
        model = [{"start": t0, "end": t0 + 60_000, "label": label, "confidence": 0.9}]
        human = [Span("h", "X", "1m", t0, t0 + 60_000, other, "human", "accepted", note=label)]
        figures = {
            "disagreement hover": disagreement_trace(disagreements({}, model, human, "1m"),
                                                     candles, "1m"),
            "chart title": build_figure(candles, {}, "1m", (), symbol),
            "replay title": replay_figure(candles, [], symbol, "1m", t0 + 120_000),
            "class chart": class_chart([{"label": label, "precision": 1.0, "recall": 1.0,
                                         "f1": 1.0, "support": 1}]),
        }  # fmt: skip
        for name, figure in figures.items():
            # Generated markup only (the figures' own <b> and <br> are theirs).
            raw = [t for t in texts(figure) if any(m in t for m in ("<a ", "<img", "<script"))]
            if raw:
                problems.append(f"{name}: markup reaches plotly: {raw[0][:120]!r}")
    return problems


def unsafe_starts(folder: Path) -> list[str]:
    """Finding 9: every way of building the app refuses a reachable host or debug without a
    token (create_app, as gunicorn and any WSGI server call it)."""
    from app import create_app
    from core.config import ConfigError
    from runtime.config import config_from_dict

    problems = []
    for server in ({"host": "0.0.0.0"}, {"host": "192.0.2.1"}, {"debug": True}):
        config = config_from_dict({"data_dir": str(folder / "data"), "server": server})
        try:
            create_app(config=config)
        except ConfigError:
            continue
        problems.append(f"create_app served {server} without server.auth_token")
    return problems


def run_offline(seed: int, count: int, folder: Path) -> dict:
    rng = random.Random(seed)
    problems = fuzz_csv(rng, count, folder) + fuzz_plotly_text(rng, max(1, count // 10))
    return {"cases": count, "problems": problems + unsafe_starts(folder)}


def run_probes(send_open: ProbeSend, send_locked: ProbeSend, probes: list[Probe]) -> dict:
    """Each probe against its app; the problems found (none when every finding stays fixed)."""
    problems = []
    for probe in probes:
        send = send_locked if probe.locked else send_open
        for _ in range(probe.repeat):
            status, headers, body = send(probe)
        problem = probe.expect(status, {k.lower(): v for k, v in headers.items()}, body)
        if problem:
            problems.append(f"[{probe.finding}] {probe.method} {probe.path}: {problem}")
    return {"probes": len(probes), "problems": problems}


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
            locked_config = {**config, "server": {"auth_token": PROBE_TOKEN}}
            with served(Path(tmp) / "locked", locked_config) as locked:
                candles = json.loads(predict_body())["candles"]
                result["security"] = run_probes(
                    http_probe(server.url, None), http_probe(locked.url, PROBE_TOKEN),
                    security_probes(PROBE_TOKEN, candles),
                )  # fmt: skip
        result["offline"] = run_offline(args.seed, 50 if args.quick else 500, Path(tmp))
    print(json.dumps(result, indent=1))
    print(load_average())
    clean = not result["security"]["problems"] and not result["offline"]["problems"]
    ok = result["5xx"] == 0 and not result["problem_count"] and result["alive_after"]
    return 0 if ok and clean else 1


PROBE_TOKEN = "fuzz-probe-token-0123456789"


def http_probe(url: str, token: str | None) -> ProbeSend:
    """Send a probe over HTTP: no cookies kept, redirects not followed."""
    import requests

    def send(probe: Probe) -> tuple[int, dict, bytes]:
        headers = dict(probe.headers or {})
        if probe.content_type:
            headers["Content-Type"] = probe.content_type
        if token and probe.bearer:
            headers.setdefault("Authorization", f"Bearer {token}")
        response = requests.request(
            probe.method, url + probe.path, data=probe.body, headers=headers, timeout=60,
            allow_redirects=False,
        )  # fmt: skip
        return response.status_code, dict(response.headers), response.content

    return send


if __name__ == "__main__":
    sys.exit(main())
