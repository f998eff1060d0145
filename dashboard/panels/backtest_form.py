"""The Backtest tab's form: one set of fields for a backtest (one symbol or a portfolio), a
parameter search or a walk-forward, turned into the request body the REST API takes, so the
form is checked by the very functions the API uses; a refusal marks the field it names."""

from __future__ import annotations

import re

import dash_bootstrap_components as dbc
from dash import dcc, html

from backtest.request import RequestError
from backtest.search_request import MAXIMIZABLE
from backtest.strategies import STRATEGIES
from dashboard import ids
from dashboard.figures.theme import DROPDOWN_TEXT, TEXT

MODES = [{"label": "Backtest", "value": "backtest"}, {"label": "Search", "value": "search"},
         {"label": "Walk-forward", "value": "walkforward"}]  # fmt: skip
RUN_LABELS = {"backtest": "Run backtest", "search": "Run search",
              "walkforward": "Run walk-forward"}  # fmt: skip
# the request field a refusal names -> the input marked invalid
FIELD_INPUTS = {
    "timeframe": ids.BT_TIMEFRAME, "start": ids.BT_START, "end": ids.BT_END,
    "strategy": ids.BT_STRATEGY, "params": ids.BT_PARAMS, "params.sl_pct": ids.BT_SL,
    "params.tp_pct": ids.BT_TP, "params.trailing_atr": ids.BT_TRAILING, "cash": ids.BT_CASH,
    "commission": ids.BT_COMMISSION, "size": ids.BT_SIZE, "spread": ids.BT_SPREAD,
    "constraint": ids.BT_CONSTRAINT, "method": ids.BT_METHOD, "max_tries": ids.BT_MAX_TRIES,
    "maximize": ids.BT_MAXIMIZE, "min_trades": ids.BT_MIN_TRADES, "seed": ids.BT_SEED,
    "is_bars": ids.BT_IS_BARS, "oos_bars": ids.BT_OOS_BARS, "gap_bars": ids.BT_GAP,
}  # fmt: skip
INVALID_INPUTS = list(dict.fromkeys(FIELD_INPUTS.values()))
_PAIR = re.compile(r"[,;]\s*(?=[A-Za-z_]\w*\s*=)")  # a comma that starts the next name=value


def _field(label: str, component, width=6) -> dbc.Col:
    return dbc.Col([html.Label(label, className="small mb-0"), component], width=width)


OPENING_STRATEGY = "sma_cross"


def strategy_defaults(name: str | None) -> str:
    """The params field for a strategy: its parameters at their defaults."""
    cls = STRATEGIES.get(name)
    return "" if cls is None else ", ".join(f"{k}={p.default}" for k, p in cls.params.items())


def _input(id_, value=None, placeholder="", type_="text", **kw) -> dbc.Input:
    return dbc.Input(id=id_, value=value, placeholder=placeholder, type=type_, size="sm", **kw)


def layout(config, symbols: list[str]) -> list:
    bt = config.backtest
    strategies = [{"label": name, "value": name} for name in STRATEGIES]
    maximize = [{"label": k, "value": k} for k in MAXIMIZABLE]
    search = html.Div([
        dbc.Row([
            _field("constraint", _input(ids.BT_CONSTRAINT, placeholder="e.g. fast < slow"), 12),
        ], className="g-1"),
        dbc.Row([
            _field("method", dbc.Select(id=ids.BT_METHOD, value="grid", size="sm", options=[
                {"label": "grid", "value": "grid"}, {"label": "tpe (optuna)", "value": "tpe"}]), 4),
            _field("maximize", dbc.Select(id=ids.BT_MAXIMIZE, value="SQN", size="sm",
                                          options=maximize), 8),
        ], className="g-1"),
        dbc.Row([
            _field("max tries", _input(ids.BT_MAX_TRIES, placeholder="all / 100",
                                       type_="number"), 4),
            _field("min trades", _input(ids.BT_MIN_TRADES, 1, type_="number"), 4),
            _field("seed", _input(ids.BT_SEED, 0, type_="number"), 4),
        ], className="g-1"),
    ], id=ids.BT_SEARCH_FORM, style={"display": "none"})  # fmt: skip
    walkforward = html.Div([
        dbc.Row([
            _field("in-sample bars", _input(ids.BT_IS_BARS, type_="number"), 4),
            _field("out-of-sample bars", _input(ids.BT_OOS_BARS, type_="number"), 4),
            _field("gap bars", _input(ids.BT_GAP, 0, type_="number"), 4),
        ], className="g-1"),
        dbc.Checkbox(id=ids.BT_ANCHORED, label="anchored (in-sample from the first bar)",
                     value=False, className="small", label_style={"color": TEXT}),
    ], id=ids.BT_WF_FORM, style={"display": "none"})  # fmt: skip
    return [
        dbc.RadioItems(id=ids.BT_MODE, options=MODES, value="backtest", inline=True,
                       className="small mb-1", label_style={"color": TEXT}),
        dbc.Row([
            _field("symbol (several: a portfolio)",
                   dcc.Dropdown(id=ids.BT_SYMBOL, value=[symbols[0]], multi=True,
                                clearable=False, options=[{"label": s, "value": s}
                                                          for s in symbols],
                                style={"color": DROPDOWN_TEXT}), 7),
            _field("timeframe", dbc.Select(id=ids.BT_TIMEFRAME, options=[], size="sm"), 5),
        ], className="g-1"),
        dbc.Row([
            _field("from (UTC)", _input(ids.BT_START, placeholder=f"last {bt.period_hours:g} h")),
            _field("to (UTC)", _input(ids.BT_END, placeholder="latest candle")),
        ], className="g-1"),
        dbc.Row([
            _field("strategy", dbc.Select(id=ids.BT_STRATEGY, options=strategies,
                                          value=OPENING_STRATEGY, size="sm"), 5),
            _field("params (search: fast=5:50:5, slow=20,50,100)",
                   _input(ids.BT_PARAMS, strategy_defaults(OPENING_STRATEGY),
                          placeholder="name=value, ..."), 7),
        ], className="g-1"),
        dbc.Row([
            _field("stop-loss %", _input(ids.BT_SL, placeholder="off"), 4),
            _field("take-profit %", _input(ids.BT_TP, placeholder="off"), 4),
            _field("trailing, ATRs", _input(ids.BT_TRAILING, placeholder="off"), 4),
        ], className="g-1"),
        dbc.Row([
            _field("cash", _input(ids.BT_CASH, bt.cash, type_="number"), 3),
            _field("commission", _input(ids.BT_COMMISSION, bt.commission, type_="number",
                                        step=0.0001), 3),
            _field("size (of equity)", _input(ids.BT_SIZE, bt.size, type_="number", step=0.05), 3),
            _field("spread", _input(ids.BT_SPREAD, 0, type_="number", step=0.0001), 3),
        ], className="g-1"),
        dcc.Checklist(id=ids.BT_OPTIONS, value=["short"], inline=True, inputClassName="me-1",
                      labelClassName="me-3 small", labelStyle={"color": TEXT},
                      options=[{"label": "allow short", "value": "short"},
                               {"label": "fill at signal close", "value": "close"}]),
        search,
        walkforward,
    ]  # fmt: skip


def split_params(text: str | None) -> dict:
    """'fast=5:50:5, slow=20,50,100' -> {'fast': '5:50:5', 'slow': '20,50,100'}: a comma (or a
    semicolon) starts the next pair only when a name= follows it, so lists keep their commas.
    The strategy converts and checks the values."""
    params = {}
    for part in _PAIR.split(text or ""):
        part = part.strip().strip(",").strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise RequestError(f"params: write name=value pairs, got {part!r}", "params")
        params[name.strip()] = value.strip()
    return params


def _given(value) -> bool:
    return value is not None and str(value).strip() != ""


def form_body(mode: str, form: dict) -> dict:
    """The request body of the form's values (``form``: the fields by name), as the API takes
    it; None and empty fields are left out (the API's defaults apply)."""
    params = split_params(form.get("params"))
    for name, key in (("sl", "sl_pct"), ("tp", "tp_pct"), ("trailing", "trailing_atr")):
        if _given(form.get(name)):
            params[key] = str(form[name]).strip()
    options = form.get("options") or []
    symbols = form.get("symbol")
    symbols = [symbols] if isinstance(symbols, str) else list(symbols or [])
    body = {
        "timeframe": form.get("timeframe"), "strategy": form.get("strategy"), "params": params,
        "start": (form.get("start") or "").strip() or None,
        "end": (form.get("end") or "").strip() or None,
        "cash": form.get("cash"), "commission": form.get("commission"),
        "size": form.get("size"), "spread": form.get("spread"),
        "allow_short": "short" in options, "trade_on_close": "close" in options,
    }  # fmt: skip
    if mode == "backtest":
        if len(symbols) > 1:
            body["symbols"] = symbols
        else:
            body["symbol"] = symbols[0] if symbols else None
    else:
        body["symbol"] = symbols[0] if len(symbols) == 1 else (symbols or None)
        body.update(constraint=(form.get("constraint") or "").strip() or None,
                    method=form.get("method"), max_tries=form.get("max_tries"),
                    maximize=form.get("maximize"), min_trades=form.get("min_trades"),
                    seed=form.get("seed"))  # fmt: skip
        if mode == "walkforward":
            body.update(is_bars=form.get("is_bars"), oos_bars=form.get("oos_bars"),
                        gap_bars=form.get("gap"), anchored=bool(form.get("anchored")))  # fmt: skip
    return {k: v for k, v in body.items() if v is not None}


def invalid_flags(field: str | None) -> list[bool]:
    """Which inputs to mark for a refusal naming ``field`` (None: none)."""
    target = None
    if field:
        target = FIELD_INPUTS.get(field) or (ids.BT_PARAMS if field.startswith("params") else None)
    return [target == input_id for input_id in INVALID_INPUTS]
