"""The replay chart at a given clock: what had arrived by then, outcomes only once known."""

import pytest

from dashboard.panels.replay import clock_at, period, replay_figure
from tests.helpers.outcomes import ladder

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000
M = 60_000


def names(figure):
    return {t.name: list(t.customdata or []) for t in figure.data if t.customdata is not None}


def test_predictions_arrive_in_order_and_show_outcomes_once_known():
    candles = ladder(T0, 20)
    p = {"id": "a", "kind": "cnn", "symbol": "A", "timeframe": "1m", "timestamp": T0 + 2 * M,
         "stored_at": T0 + 3 * M, "confidence": 0.7, "direction": "UP", "current_price": 102.5,
         "target_price": 104.0, "horizon_minutes": 5, "model": "cnn", "resolved_at": T0 + 8 * M,
         "realised_price": 107.5, "hit": True, "error_pct": 3.3,
         "naive_error_pct": 4.6}  # fmt: skip
    before = replay_figure(candles, [p], "A", "1m", T0 + 2 * M + 30_000)
    assert len(before.data[0].x) == 3 and names(before)["CNN target"] == []
    pending = replay_figure(candles, [p], "A", "1m", T0 + 5 * M)
    assert names(pending)["CNN target"] == ["a"] and names(pending)["Resolved: hit"] == []
    known = replay_figure(candles, [p], "A", "1m", T0 + 9 * M)
    assert names(known)["CNN target"] == [] and names(known)["Resolved: hit"] == ["a"]


def test_the_clock_runs_at_its_speed_while_playing_and_stops_at_the_end():
    state = {"start": 0, "end": 100_000, "position": 10_000, "wall": 1_000, "speed": 30,
             "playing": True}  # fmt: skip
    assert clock_at(state, 2_000) == 40_000
    assert clock_at(state, 60_000) == 100_000
    assert clock_at({**state, "playing": False}, 60_000) == 10_000
    assert period(None, None, 7_200_000) == (3_600_000, 7_200_000)  # default: the last hour


def test_a_replay_period_longer_than_a_day_is_refused_with_its_length():
    day = 24 * 3_600_000
    assert period("1970-01-01 00:00", "1970-01-02 00:00", 0) == (0, day)
    with pytest.raises(ValueError, match="48.0 h; it can be at most 24 h"):
        period("1970-01-01 00:00", "1970-01-03 00:00", 0)


# ---- issue 19, finding 3: the 24 h cap holds for every callback that reads a period ---------

YEAR = 365 * 24 * 3_600_000
NOW = 1_800_000_000_000


def forged_state(**change):
    state = {"symbol": "BTC/USDT", "timeframe": "1s", "start": 0, "end": NOW + YEAR,
             "position": 0, "wall": 0, "speed": 10, "playing": False}  # fmt: skip
    return {**state, **change}


@pytest.fixture
def client(tmp_path):
    from tests.helpers.secured_app import make_app

    return make_app(tmp_path).server.test_client()


def call(client, output_part: str, values: dict, trigger: str):
    """One callback request built from the page's own dependency list, inputs by id."""
    deps = [d for d in client.get("/_dash-dependencies").get_json() if output_part in d["output"]]
    assert len(deps) == 1, output_part
    dep = deps[0]

    def ref(item):
        return {"id": item["id"], "property": item["property"],
                "value": values.get(item["id"])}  # fmt: skip

    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
               for part in dep["output"].strip(".").split("...")]  # fmt: skip
    return client.post("/_dash-update-component", json={
        "output": dep["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [ref(i) for i in dep["inputs"]], "state": [ref(s) for s in dep["state"]],
        "changedPropIds": [trigger],
    })  # fmt: skip


@pytest.mark.parametrize(
    "state, words",
    [(forged_state(), "at most 24 h"), (forged_state(end=-5), "start before it ends"),
     (forged_state(symbol="NOPE/USDT"), "not served"), (forged_state(timeframe="1d"), "timeframe"),
     (forged_state(start="0"), "whole epoch"), (forged_state(speed=10**6), "speed"),
     ({"start": 0}, "lacks"), ([1, 2], "must be an object")],
)  # fmt: skip
def test_a_forged_replay_state_is_refused_by_draw_and_control(client, state, words):
    drawn = call(client, "replay-graph.figure", {"replay-state": state}, "replay-state.data")
    assert drawn.status_code == 400 and words in drawn.get_json()["error"], drawn.data[:300]
    played = call(
        client,
        "replay-state.data",
        {"replay-state": state, "replay-play": 1, "replay-speed": "10"},
        "replay-play.n_clicks",
    )
    assert played.status_code == 400 and words in played.get_json()["error"], played.data[:300]


def test_a_day_long_state_is_drawn(client):
    state = forged_state(start=NOW - 24 * 3_600_000, end=NOW, position=NOW - 3_600_000)
    drawn = call(client, "replay-graph.figure", {"replay-state": state}, "replay-state.data")
    assert drawn.status_code == 200, drawn.data[:300]


class _Store:
    def __init__(self):
        self.calls = []

    def history(self, symbol, timeframe, start=None, end=None, limit=None):
        import pandas as pd

        self.calls.append((start, end, limit))
        return pd.DataFrame(columns=["open", "high", "low", "close", "volume"],
                            index=pd.Index([], name="time"))  # fmt: skip


def test_replay_data_reads_at_most_the_periods_candles_and_checks_the_period():
    from core.db import Database
    from dashboard.callbacks import InputRefused
    from dashboard.panels.replay import replay_data
    from predictions.book import SCHEMA

    db = Database(":memory:")
    db.ensure(SCHEMA)
    orch = type("Orch", (), {"store": _Store(), "db": db, "symbols": lambda self: ["BTC/USDT"]})()
    day = 24 * 3_600_000
    replay_data(orch, forged_state(start=NOW - day, end=NOW, position=NOW))
    assert orch.store.calls == [(NOW - day, NOW + 1, day // 1000 + 1)]
    with pytest.raises(InputRefused, match="at most 24 h"):
        replay_data(orch, forged_state())
    assert len(orch.store.calls) == 1


def test_a_period_without_candles_says_so_instead_of_drawing_empty_axes():
    figure = replay_figure([], [], "A", "1s", T0, (T0, T0 + 60 * M))
    assert figure.data == ()
    assert figure.layout.annotations[0].text == (
        "No 1s candles of A between 2023-11-14 22:13:00 and 2023-11-14 23:13:00 UTC"
    )
    assert figure.layout.xaxis.visible is False and figure.layout.yaxis.visible is False
