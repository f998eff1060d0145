"""GET /api/candles: the finest timeframe within max time slots, exact aggregates, the forming
candle, a forced timeframe, and clear 400s; on SQLite and PostgreSQL."""

import math

import pytest

from app import create_app
from core.candles import resample, timeframe_ms
from runtime.config import config_from_dict
from tests.helpers.candles import make_candles

DAY = 86_400_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % DAY
MINUTES = make_candles(10 * 1440, start=T0, frame_ms=60_000, seed=11)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("candles")
    settings = {"data_dir": str(folder / "data"), "neural": {"bootstrap": False}}
    if request.param == "postgresql":
        settings["storage"] = {"url": request.getfixturevalue("postgres_server").create_schema()}
    config = config_from_dict(settings, base_dir=folder)
    app = create_app(config=config)
    orch = app.server.extensions["orchestrator"]
    orch.store.merge_history("BTC/USDT", "1m", MINUTES)
    # A live minute forming after the history: 30 seconds of it.
    seconds = make_candles(30, start=T0 + 10 * DAY, seed=12, price=MINUTES[-1].close,
                           closed_last=False)  # fmt: skip
    orch.store.ingest("BTC/USDT", seconds)
    return app.server.test_client(), seconds


def get(client, query):
    response = client.get(f"/api/candles?symbol=BTC%2FUSDT&{query}")
    return response.status_code, response.get_json()


def test_the_finest_timeframe_within_max_with_exact_aggregates(api):
    client, _ = api
    status, body = get(client, f"start={T0}&end={T0 + 3 * DAY}&max=500")
    # Three days: 4,320 slots at 1 m, 864 at 5 m, 288 at 15 m.
    assert status == 200 and body["timeframe"] == "15m"
    expected = resample(MINUTES, timeframe_ms("15m"))[: 3 * 96]
    assert len(body["candles"]) == len(expected) == 288
    for got, ref in zip(body["candles"], expected, strict=True):
        assert got["time"] == ref.time and got["closed"] is True
        assert (got["open"], got["high"], got["low"], got["close"]) == (
            ref.open, ref.high, ref.low, ref.close)  # fmt: skip
        assert math.isclose(got["volume"], ref.volume, rel_tol=1e-12)


def test_default_max_is_2000_and_the_forming_candle_closes_the_list(api):
    client, seconds = api
    status, body = get(client, "")
    # Ten days and a minute: 14,401 at 1 m, 2,881 at 5 m, 961 at 15 m.
    assert status == 200 and body["timeframe"] == "15m"
    last = body["candles"][-1]
    assert last["closed"] is False and last["time"] == T0 + 10 * DAY
    assert last["close"] == seconds[-1].close
    assert last["high"] == max(c.high for c in seconds)


def test_a_forced_timeframe_and_its_cap(api):
    client, _ = api
    status, body = get(client, f"start={T0}&end={T0 + DAY}&timeframe=1h")
    assert status == 200 and body["timeframe"] == "1h" and len(body["candles"]) == 24
    status, body = get(client, f"start={T0}&end={T0 + 5 * DAY}&timeframe=1m")
    assert status == 400 and "7200 candles" in body["error"] and "5000" in body["error"]
    status, body = get(client, "timeframe=3m")
    assert status == 400 and "1m, 5m, 15m, 1h, 4h, 1d" in body["error"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("max=5", "use max=11"),
        ("max=5001", "max must be <= 5000"),
        ("max=0", "max must be >= 1"),
        (f"start={T0 + DAY}&end={T0}", "must be after start"),
        ("start=soon", "start must be a whole number"),
    ],
)
def test_bad_queries_are_400s_that_say_what_to_change(api, query, words):
    status, body = get(api[0], query)
    assert status == 400 and words in body["error"]


def test_unknown_symbol_is_404_and_the_route_is_documented(api):
    client, _ = api
    response = client.get("/api/candles?symbol=NOPE")
    assert response.status_code == 404
    doc = client.get("/api/openapi.json").get_json()
    params = {p["name"] for p in doc["paths"]["/api/candles"]["get"]["parameters"]}
    assert params == {"symbol", "start", "end", "max", "timeframe"}
