"""The OpenAPI 3.1 description of the REST API, served at ``/api/openapi.json``."""

from __future__ import annotations

from backtest.strategies import STRATEGIES
from dashboard.api.openapi_alerts import alert_paths
from runtime.orchestrator import VERSION


def _error_responses(*codes: int) -> dict:
    words = {400: "Bad input: the message names the field, candle index and rule",
             403: "The signed-in person's role may not do this: the message says who may",
             404: "Unknown symbol (or backtest run)", 409: "Not possible in the current state", 413: "Too large (body, candles or items)",
             503: "No model registered yet: the message says how to train one"}  # fmt: skip
    return {
        str(code): {"description": words[code],
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for code in codes
    }  # fmt: skip


def openapi_document(max_candles: int, max_items: int) -> dict:
    candle = {
        "type": "object",
        "required": ["time", "open", "high", "low", "close", "volume"],
        "properties": {
            "time": {"type": "integer", "description": "open time, UTC epoch ms, strictly increasing"},
            "open": {"type": "number", "exclusiveMinimum": 0},
            "high": {"type": "number", "description": ">= max(open, close)"},
            "low": {"type": "number", "description": "<= min(open, close), > 0"},
            "close": {"type": "number", "exclusiveMinimum": 0},
            "volume": {"type": "number", "minimum": 0},
        },
    }  # fmt: skip
    predict_request = {
        "type": "object",
        "required": ["candles"],
        "properties": {
            "candles": {"type": "array", "items": {"$ref": "#/components/schemas/Candle"},
                        "maxItems": max_candles,
                        "description": "at least the model's min_candles (see /api/model/info)"},
            "symbol": {"type": "string"},
            "timeframe": {"type": "string"},
            "model": {"type": "string", "description": "registered model name"},
            "version": {"type": ["string", "integer"], "description": "default: the champion"},
            "min_confidence": {"type": "number", "minimum": 0, "maximum": 1},
        },
    }  # fmt: skip
    model = {
        "type": "object",
        "properties": {k: {} for k in ("name", "version", "alias", "type", "classes", "window",
                                      "trained_at", "run_id", "dataset_version")},
    }  # fmt: skip
    predict_response = {
        "type": "object",
        "properties": {
            "model": {"$ref": "#/components/schemas/Model"},
            "predictions": {"type": "array", "items": {
                "type": "object",
                "properties": {"start": {"type": "integer"}, "end": {"type": "integer"},
                               "label": {"type": "string"}, "confidence": {"type": "number"}}}},
        },
    }  # fmt: skip
    json_body = {"application/json": {"schema": {"$ref": "#/components/schemas/PredictRequest"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "TradeDash API", "version": VERSION},
        "paths": {
            "/api/live-updates": {"get": {
                "summary": "Candles and predictions of a symbol since a time",
                "parameters": [
                    {"name": "symbol", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "timeframe", "in": "query", "schema": {"type": "string", "default": "1m"}},
                    {"name": "since", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "default": 500, "maximum": 5000}},
                    {"name": "since_seq", "in": "query", "schema": {"type": "integer", "minimum": 0},
                     "description": "predictions stored after this sequence number (each carries"
                                    " its seq; the reply's last_seq is the next cursor)"},
                ],
                "responses": {"200": {"description": "candles, predictions, feed status"},
                              **_error_responses(400, 404)}}},
            "/api/predictions/accuracy": {"get": {
                "summary": "Rolling hit rate, majority and 50 % baselines, error against naive"
                           " (skill) and calibration, per kind, model version and symbol",
                "parameters": [
                    {"name": "symbol", "in": "query", "schema": {"type": "string"}},
                    {"name": "kind", "in": "query",
                     "schema": {"type": "string",
                                "enum": ["dqn", "cnn", "transformer", "pattern"]}},
                    {"name": "window", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 200}},
                    {"name": "source", "in": "query", "description": "repeatable; default live"
                     " and backtest (training predictions are in-sample)",
                     "schema": {"type": "string", "enum": ["live", "backtest", "training"]}},
                    {"name": "include_in_sample", "in": "query", "description": "count the"
                     " predictions made inside their model's training period and symbols (left"
                     " out by default; in_sample_excluded says how many)",
                     "schema": {"type": "string", "enum": ["true", "false"]}},
                ],
                "responses": {"200": {"description": "groups of figures with a series over time"},
                              **_error_responses(400, 404)}}},
            "/api/candles": {"get": {
                "summary": "A symbol's candles over a range, in the finest timeframe (1m, 5m, 15m,"
                           " 1h, 4h, 1d; 1s, 5s, 15s when forced) that keeps within max time slots",
                "parameters": [
                    {"name": "symbol", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "start", "in": "query", "schema": {"type": "integer", "minimum": 0},
                     "description": "UTC epoch ms; default the oldest stored candle"},
                    {"name": "end", "in": "query", "schema": {"type": "integer", "minimum": 0},
                     "description": "UTC epoch ms, exclusive; default just after the newest"},
                    {"name": "max", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "default": 2000, "maximum": 5000},
                     "description": "time slots (candles) at most; if even 1d exceeds it the 400"
                                    " names the smallest max that works"},
                    {"name": "timeframe", "in": "query", "schema": {"type": "string"},
                     "description": "force one timeframe (400 past 5000 candles)"},
                ],
                "responses": {"200": {
                    "description": "{timeframe, candles}: each candle the exact OHLCV aggregate of"
                                   " the stored candles it covers, whole UTC buckets; the forming"
                                   " candle last with closed false",
                    "content": {"application/json": {"schema": {
                        "type": "object", "properties": {
                            "timeframe": {"type": "string"},
                            "candles": {"type": "array", "items": {"allOf": [
                                {"$ref": "#/components/schemas/Candle"},
                                {"type": "object",
                                 "properties": {"closed": {"type": "boolean"}}}]}}}}}}},
                              **_error_responses(400, 404)}}},
            "/api/indicators": {"get": {
                "summary": "One indicator (SMA, EMA, BBANDS, RSI, MACD, ATR: TA-Lib's; VWAP"
                           " anchored at each UTC midnight) computed over the whole stored series"
                           " of a timeframe and cut to [start, end)",
                "parameters": [
                    {"name": "symbol", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "timeframe", "in": "query", "schema": {"type": "string"},
                     "description": "the stored series or a rollup of it (1m, 5m, 15m, 1h, 4h, 1d;"
                                    " 1s, 5s, 15s); default the minute series"},
                    {"name": "name", "in": "query", "required": True, "schema": {
                        "type": "string", "enum": ["SMA", "EMA", "BBANDS", "RSI", "MACD", "ATR",
                                                   "VWAP"]}},
                    {"name": "period", "in": "query", "schema": {"type": "integer", "minimum": 2,
                                                                 "maximum": 500},
                     "description": "SMA (default 20), EMA (50), BBANDS (20), RSI (14), ATR (14)"},
                    {"name": "std", "in": "query", "schema": {"type": "number", "minimum": 0.1,
                                                              "maximum": 10, "default": 2},
                     "description": "BBANDS: band width in standard deviations"},
                    {"name": "fast", "in": "query", "schema": {"type": "integer", "default": 12}},
                    {"name": "slow", "in": "query", "schema": {"type": "integer", "default": 26}},
                    {"name": "signal", "in": "query", "schema": {"type": "integer", "default": 9}},
                    {"name": "start", "in": "query", "schema": {"type": "integer", "minimum": 0},
                     "description": "UTC epoch ms; default the oldest stored candle"},
                    {"name": "end", "in": "query", "schema": {"type": "integer", "minimum": 0},
                     "description": "UTC epoch ms, exclusive; default after the newest"},
                ],
                "responses": {"200": {
                    "description": "time: candle open times; values: one list per output (RSI;"
                                   " MACD, MACD_signal, MACD_hist; BB_upper, BB_middle, BB_lower"
                                   " ...), null before the indicator is defined",
                    "content": {"application/json": {"schema": {
                        "type": "object", "properties": {
                            "time": {"type": "array", "items": {"type": "integer"}},
                            "values": {"type": "object", "additionalProperties": {
                                "type": "array", "items": {"type": ["number", "null"]}}}}}}}},
                              **_error_responses(400, 404)}}},
            "/api/health": {"get": {"summary": "Server, feeds and models",
                                    "responses": {"200": {"description": "ok"}}}},
            "/api/predict": {"post": {
                "summary": "Pattern spans in a list of candles",
                "requestBody": {"required": True, "content": json_body},
                "responses": {"200": {"description": "spans", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/PredictResponse"}}}},
                    **_error_responses(400, 413, 503)}}},
            "/api/predict/batch": {"post": {
                "summary": f"Up to {max_items} predict requests; one result or error each, in order",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["items"],
                    "properties": {"items": {"type": "array", "maxItems": max_items, "items": {
                        "$ref": "#/components/schemas/PredictRequest"}}}}}}},
                "responses": {"200": {"description": "results"}, **_error_responses(400, 413)}}},
            "/api/models": {"get": {
                "summary": "The served model of every kind (pattern, dqn, cnn, transformer): name,"
                           " version, run id, validation metrics beside their baselines, and the"
                           " training data's time range; status missing/error with the reason",
                "responses": {"200": {"description": "{kind: model}", "content": {
                    "application/json": {"schema": {"type": "object", "additionalProperties": {
                        "$ref": "#/components/schemas/ServedModel"}}}}}}}},
            "/api/model/info": {"get": {
                "summary": "The served model: classes, window, features, per-class metrics",
                "responses": {"200": {"description": "model"}, **_error_responses(503)}}},
            **_backtest_paths(),
            **_research_paths(),
            **alert_paths(_error_responses),
            "/api/audit": {"get": {
                "summary": "Who did what, when, newest first (the Review tab's audit list)",
                "parameters": [
                    {"name": "person", "in": "query", "schema": {"type": "string", "maxLength": 64},
                     "description": "only this person's actions"},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 500}},
                    {"name": "format", "in": "query",
                     "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}},
                ],
                "responses": {"200": {"description": "[{at (epoch ms), person, action, detail}],"
                                                     " or CSV with those columns"},
                              **_error_responses(400)}}},
        },
        "components": {"schemas": {
            "Candle": candle, "PredictRequest": predict_request, "Model": model,
            "PredictResponse": predict_response,
            "ServedModel": {"type": "object", "required": ["status"], "properties": {
                "status": {"enum": ["ok", "missing", "error", "unknown"]}, "error": {},
                "name": {}, "version": {}, "run_id": {},
                "trained_on": {"description": "{start, end}: UTC epoch ms"},
                "metrics": {"description": "{val: {...}, test: {...}}, each metric beside its "
                                           "baseline (majority class, last price, buy-and-hold)"}}},
            "Error": {"type": "object", "required": ["error"],
                      "properties": {"error": {"type": "string"}}},
        }},
    }  # fmt: skip


def _backtest_paths() -> dict:
    run_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    request = {
        "type": "object",
        "required": ["symbol", "strategy"],
        "properties": {
            "symbol": {"type": "string"},
            "timeframe": {"type": "string", "default": "1m"},
            "start": {
                "type": ["integer", "string"],
                "description": "epoch ms or UTC text; default: end - backtest.period_hours",
            },
            "end": {"type": ["integer", "string"], "description": "default: the latest candle"},
            "strategy": {"type": "string", "enum": list(STRATEGIES)},
            "params": {
                "type": "object",
                "description": "sma_cross: fast, slow; pattern, cnn, transformer: version"
                " ('champion' or a number), min_confidence; dqn: version; every strategy:"
                " sl_pct, tp_pct (stop-loss and take-profit, % from the signal bar's close),"
                " trailing_atr, atr_period (a trailing stop n ATRs from each close); 0: off",
            },
            "cash": {"type": "number", "exclusiveMinimum": 0, "default": 10000},
            "commission": {"type": "number", "minimum": -0.1, "maximum": 0.1, "default": 0.001},
            "size": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 1},
            "allow_short": {"type": "boolean", "default": True},
            "trade_on_close": {"type": "boolean", "default": False},
            "fractional_unit": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 1,
                "default": 1e-8,
                "description": "smallest tradable amount (1: whole units)",
            },
            "spread": {
                "type": "number",
                "minimum": 0,
                "maximum": 0.1,
                "default": 0,
                "description": "backtesting.py's spread: relative bid-ask cost on each entry",
            },
            "symbols": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 1,
                "description": "a portfolio, instead of symbol: the same strategy on each,"
                " each a sub-account with its share of the cash",
            },
            "weights": {
                "type": "object",
                "additionalProperties": {"type": "number", "exclusiveMinimum": 0},
                "description": "portfolio: {symbol: weight} for every symbol, normalised to"
                " sum to 1 (default: equal shares)",
            },
        },
    }
    run = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "status": {"enum": ["queued", "running", "done", "failed", "cancelled"]},
            "progress": {"type": "number"},
            "params": {"type": "object"},
            "in_sample": {
                "description": "false, or the overlap {start, end, trained_on} of the period with the model's training data"
            },
            "stats": {"type": "object", "description": "backtesting.py's statistic names"},
            "trades": {"type": "array", "items": {"type": "object"}},
            "equity": {
                "type": "array",
                "maxItems": 2000,
                "items": {
                    "type": "object",
                    "properties": {
                        "time": {"type": "integer"},
                        "equity": {"type": "number"},
                        "drawdown_pct": {"type": "number"},
                    },
                },
            },
            "predictions": {
                "type": "array",
                "description": "the model's predictions as the run's chart draws them: {time, kind, price, call, confidence}",
            },
            "error": {"type": ["string", "null"]},
            "started_by": {"type": "string", "description": "the person who started it"},
            "stats_notes": {
                "type": "object",
                "description": "{statistic: why it means nothing"
                " for this run (n/a)}; the number is kept in stats",
            },
            "portfolio": {
                "description": "a portfolio run: {stats, equity, stats_notes} of the"
                " whole (the sub-accounts' summed equity)"
            },
            "symbols": {
                "description": "a portfolio run: {symbol: {share, cash, stats, trades,"
                " equity, contribution_pct}}"
            },
        },
    }
    return {
        "/api/backtests": {
            "post": {"summary": "Start a backtest (queued, runs in the background)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": request}}},
                     "responses": {"202": {"description": "{id, status, started_by}"},
                                   **_error_responses(400, 403, 404)}},
            "get": {"summary": "The backtest runs, newest first", "responses": {"200": {"description": "runs"}}}},
        "/api/backtests/{id}": {"get": {
            "summary": "A run: status, progress, params, in_sample, stats, trades, equity", "parameters": run_id,
            "responses": {"200": {"description": "run", "content": {"application/json": {"schema": run}}},
                          **_error_responses(404)}}},
        "/api/backtests/{id}/cancel": {"post": {
            "summary": "Cancel a queued or running backtest", "parameters": run_id,
            "responses": {"202": {"description": "cancelling"}, **_error_responses(403, 404, 409)}}},
    }  # fmt: skip


def _research_paths() -> dict:
    run_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    space = {
        "description": "each parameter a range 'start:stop:step' (stop included; whole numbers"
        " unless a part has a decimal point), a list [20, 50, 100] or a fixed value",
        "type": "object",
        "additionalProperties": {"type": ["string", "number", "array"]},
    }
    search = {
        "type": "object",
        "required": ["symbol", "strategy", "params"],
        "properties": {
            "symbol": {"type": "string"},
            "timeframe": {"type": "string", "default": "1m"},
            "start": {"type": ["integer", "string"]},
            "end": {"type": ["integer", "string"]},
            "strategy": {"type": "string", "enum": list(STRATEGIES)},
            "params": space,
            "constraint": {
                "type": "string",
                "description": "e.g. 'fast < slow' or 'slow >= 2 * fast':"
                " comparisons, + - * /, and, or, not over parameter names and numbers",
            },
            "method": {"enum": ["grid", "tpe"], "default": "grid"},
            "max_tries": {
                "type": "integer",
                "minimum": 1,
                "description": "grid: a random subset"
                " of this many (seeded); tpe: trials (default 100)",
            },
            "seed": {"type": "integer", "minimum": 0, "default": 0},
            "maximize": {
                "type": "string",
                "default": "SQN",
                "description": "a statistic by backtesting.py's name",
            },
            "min_trades": {
                "type": "integer",
                "minimum": 0,
                "default": 1,
                "description": "fewer trades than this score as no result (null)",
            },
            "cash": {"type": "number"},
            "commission": {"type": "number"},
            "size": {"type": "number"},
            "allow_short": {"type": "boolean"},
            "trade_on_close": {"type": "boolean"},
            "fractional_unit": {"type": "number"},
            "spread": {"type": "number"},
        },
    }
    walkforward = {
        "type": "object",
        "required": [*search["required"], "is_bars", "oos_bars"],
        "properties": {
            **search["properties"],
            "is_bars": {"type": "integer", "minimum": 3, "description": "in-sample window, bars"},
            "oos_bars": {
                "type": "integer",
                "minimum": 3,
                "description": "out-of-sample window, bars",
            },
            "gap_bars": {"type": "integer", "minimum": 0, "default": 0},
            "anchored": {
                "type": "boolean",
                "default": False,
                "description": "in-sample windows all start at the first bar (else rolling)",
            },
        },
    }
    run = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "kind": {"enum": ["search", "walkforward"]},
            "status": {"enum": ["queued", "running", "done", "failed", "cancelled"]},
            "progress": {"type": "number"},
            "error": {"type": ["string", "null"]},
            "request": {"type": "object"},
            "result": {
                "description": "search: {best: {params, value, stats, trades, equity},"
                " trials, maximize}; walk-forward: {folds: [{is, oos, params, is_stats,"
                " oos_stats, efficiency}], oos_equity, is_equity, efficiency, stability}"
            },
            "trials": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "idx": {"type": "integer"},
                        "params": {"type": "object"},
                        "value": {"type": ["number", "null"]},
                        "trades": {"type": "integer"},
                        "stats": {"type": "object"},
                    },
                },
            },
        },
    }
    paths = {}
    for collection, noun, body in (
        ("searches", "parameter search", search),
        ("walkforwards", "walk-forward", walkforward),
    ):
        paths[f"/api/{collection}"] = {
            "post": {
                "summary": f"Start a {noun} (queued, runs in the background on compute.workers processes)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": body}},
                },
                "responses": {
                    "202": {"description": "{id, status, started_by}"},
                    **_error_responses(400, 403, 404),
                },
            },
            "get": {
                "summary": f"The {noun}es, newest first"
                if noun.endswith("search")
                else f"The {noun}s, newest first",
                "responses": {"200": {"description": "runs"}},
            },
        }
        paths[f"/api/{collection}/{{id}}"] = {
            "get": {
                "summary": f"A {noun}: status, progress, trials so far, result",
                "parameters": run_id,
                "responses": {
                    "200": {"description": "run", "content": {"application/json": {"schema": run}}},
                    **_error_responses(404),
                },
            }
        }
        paths[f"/api/{collection}/{{id}}/trials"] = {
            "get": {
                "summary": f"The {noun}'s trials as JSON, or CSV with ?format=csv",
                "parameters": [
                    *run_id,
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {"enum": ["json", "csv"], "default": "json"},
                    },
                ],
                "responses": {"200": {"description": "trials"}, **_error_responses(404)},
            }
        }
        paths[f"/api/{collection}/{{id}}/cancel"] = {
            "post": {
                "summary": f"Cancel a queued or running {noun} (its trials are kept)",
                "parameters": run_id,
                "responses": {
                    "202": {"description": "cancelling"},
                    **_error_responses(403, 404, 409),
                },
            }
        }
        paths[f"/api/{collection}/{{id}}/resume"] = {
            "post": {
                "summary": f"Resume a cancelled, failed or interrupted {noun} from its stored trials",
                "parameters": run_id,
                "responses": {"202": {"description": "queued"}, **_error_responses(403, 404, 409)},
            }
        }
    return paths
