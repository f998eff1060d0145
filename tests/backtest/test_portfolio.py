"""Multi-symbol portfolios: sub-accounts with their share of the cash, summed on the union of
their times."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtest.portfolio import carried
from backtest.request import RequestError, parse_request
from runtime.config import config_from_dict
from runtime.orchestrator import Orchestrator
from tests.helpers import market_data as fixtures_market
from tests.helpers.research import store_frame

market_candles = fixtures_market.market_candles
DAY = 86_400_000


@pytest.fixture(scope="module")
def orch(tmp_path_factory):
    base = tmp_path_factory.mktemp("portfolio")
    orch = Orchestrator(config_from_dict({"data_dir": str(base / "data")}, base_dir=base))
    goog = market_candles("GOOG")
    store_frame(orch, "GOOG", "1d", goog)
    # a second daily series on other days: it starts later and trades every day of the week
    other = fixtures_market.random_candles(1500, seed=12, start=int(goog.index[300]),
                                           frame_ms=DAY)  # fmt: skip
    store_frame(orch, "SYN", "1d", other)
    yield orch
    orch.db.close()


BODY = {"timeframe": "1d", "strategy": "sma_cross", "params": {"fast": 10, "slow": 30},
        "start": "2004-01-01", "end": "2014-01-01", "commission": 0.001, "cash": 100_000,
        "fractional_unit": 1e-4}  # fmt: skip


def _run(orch, **body):
    request = parse_request({**BODY, **body}, orch)
    run = orch.backtests.run_now(request)
    assert run["status"] == "done", run.get("error")
    return orch.backtests.get(run["id"])


def test_a_one_symbol_portfolio_equals_the_single_backtest(orch):
    single = _run(orch, symbol="GOOG")
    alone = _run(orch, symbols=["GOOG"])
    assert alone["params"]["symbols"] == ["GOOG"]
    for key, theirs in single["stats"].items():
        ours = alone["portfolio"]["stats"][key]
        if isinstance(theirs, float):
            assert ours == pytest.approx(theirs, rel=1e-9), key
        else:
            assert ours == theirs, key
    assert alone["stats"] == alone["portfolio"]["stats"]
    assert [{k: v for k, v in t.items() if k != "Symbol"} for t in alone["trades"]] == \
        single["trades"]  # fmt: skip
    assert alone["symbols"]["GOOG"]["stats"] == single["stats"]
    assert alone["symbols"]["GOOG"]["share"] == 1


@pytest.mark.parametrize("weights", [None, {"GOOG": 3, "SYN": 1}])
def test_the_combined_equity_is_the_sum_of_single_runs_with_their_share(orch, weights):
    shares = {"GOOG": 0.5, "SYN": 0.5} if weights is None else {"GOOG": 0.75, "SYN": 0.25}
    both = _run(orch, symbols=["GOOG", "SYN"], weights=weights)
    singles = {s: _run(orch, symbol=s, cash=100_000 * share) for s, share in shares.items()}
    goog, syn = (orch.store.history(s, "1d", both["params"]["start"], both["params"]["end"] + 1)
                 for s in ("GOOG", "SYN"))  # fmt: skip
    union = np.union1d(goog.index.to_numpy(), syn.index.to_numpy())
    total = np.zeros(len(union))
    for symbol, frame in (("GOOG", goog), ("SYN", syn)):
        run = singles[symbol]
        # the full equity curve of the single run (the stored one is downsampled)
        equity = _equity(orch, run, frame)
        total += carried(frame.index.to_numpy(), equity, union, run["params"]["cash"])
        assert both["symbols"][symbol]["stats"] == run["stats"]
        assert both["symbols"][symbol]["share"] == pytest.approx(shares[symbol])
    assert both["portfolio"]["stats"]["Equity Final [$]"] == pytest.approx(total[-1], rel=1e-12)
    assert both["portfolio"]["stats"]["Equity Peak [$]"] == pytest.approx(total.max(), rel=1e-12)
    assert both["portfolio"]["stats"]["Start"] == pd.Timestamp(union[0], unit="ms",
                                                               tz="UTC").isoformat()  # fmt: skip
    points = {p["time"]: p["equity"] for p in both["equity"]}
    for i in np.linspace(0, len(union) - 1, 50).astype(int):
        if int(union[i]) in points:
            assert points[int(union[i])] == pytest.approx(total[i], rel=1e-12)
    contribution = sum(s["contribution_pct"] for s in both["symbols"].values())
    assert contribution == pytest.approx(both["portfolio"]["stats"]["Return [%]"])
    assert both["portfolio"]["stats"]["# Trades"] == sum(
        s["stats"]["# Trades"] for s in both["symbols"].values())  # fmt: skip
    assert {t["Symbol"] for t in both["trades"]} == {"GOOG", "SYN"}


def _equity(orch, run, frame) -> np.ndarray:
    from backtest.engine import run_backtest
    from backtest.rules import SmaCross

    request = parse_request({**BODY, "symbol": run["symbol"], "cash": run["params"]["cash"]}, orch)
    signals = SmaCross({"fast": 10, "slow": 30}).signals(frame)
    result = run_backtest(frame["open"].to_numpy(), frame["close"].to_numpy(),
                          frame.index.to_numpy(), signals.targets, request.settings,
                          signals.warmup)  # fmt: skip
    assert result.equity[-1] == pytest.approx(run["stats"]["Equity Final [$]"], rel=1e-12)
    return result.equity


@pytest.mark.parametrize(
    "body, field",
    [
        ({"symbols": []}, "symbols"),
        ({"symbols": ["GOOG", "GOOG"]}, "symbols"),
        ({"symbols": ["GOOG"], "symbol": "GOOG"}, "symbol"),
        ({"symbols": ["GOOG", "SYN"], "weights": {"GOOG": 1}}, "weights"),
        ({"symbols": ["GOOG", "SYN"], "weights": {"GOOG": 1, "SYN": 0}}, "weights"),
        ({"symbols": ["GOOG", "SYN"], "weights": {"GOOG": 1, "SYN": 1, "X": 1}}, "weights"),
        ({"symbol": "GOOG", "weights": {"GOOG": 1}}, "weights"),
    ],
)
def test_bad_portfolios_name_the_field(orch, body, field):
    with pytest.raises(RequestError) as err:
        parse_request({**BODY, **body}, orch)
    assert err.value.field == field and str(err.value).startswith(f"{field}:")
    with pytest.raises(RequestError) as err:
        parse_request({**BODY, "symbols": ["GOOG", "NOPE"]}, orch)
    assert err.value.status == 404
