import pytest

from app import create_app
from tests.helpers.candles import make_candles

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000


@pytest.fixture
def client(make_config):
    app = create_app(config=make_config())
    orch = app.server.extensions["orchestrator"]
    orch.store.ingest("BTC/USDT", make_candles(90, start=T0, closed_last=False))
    orch.store_dqn_prediction(
        "BTC/USDT", {"timestamp": T0 + 5000, "confidence": 0.7, "action": "SELL", "price": 100.0}
    )
    orch.store_cnn_prediction(
        "BTC/USDT",
        {
            "timestamp": T0 - 60_000,
            "confidence": 0.7,
            "direction": "UP",
            "current_price": 100.0,
            "target_price": 101.0,
            "horizon_minutes": 5,
        },
    )
    return app.server.test_client()


def test_without_since_returns_the_forming_candle_only(client):
    body = client.get("/api/live-updates?symbol=BTC/USDT&timeframe=1s").get_json()
    assert len(body["candles"]) == 1
    candle = body["candles"][0]
    assert candle["time"] == T0 + 89_000 and candle["closed"] is False
    assert set(candle) == {"time", "open", "high", "low", "close", "volume", "closed"}
    assert body["symbol"] == "BTC/USDT" and body["timeframe"] == "1s"
    assert body["feed"]["status"] == "stopped"
    assert len(body["predictions"]["dqn"]) == 1 and len(body["predictions"]["cnn"]) == 1


def test_with_since_returns_candles_from_since_oldest_first_and_filters_predictions(client):
    url = f"/api/live-updates?symbol=BTC%2FUSDT&timeframe=1s&since={T0 + 80_000}&limit=5"
    body = client.get(url).get_json()
    assert [c["time"] for c in body["candles"]] == [T0 + 80_000 + i * 1000 for i in range(5)]
    assert body["predictions"]["cnn"] == [] and body["predictions"]["dqn"] == []


def test_minute_candles_are_served(client):
    body = client.get(f"/api/live-updates?symbol=BTC/USDT&timeframe=1m&since={T0}").get_json()
    assert [c["time"] for c in body["candles"]] == [T0, T0 + 60_000]
    assert [c["closed"] for c in body["candles"]] == [True, False]


def test_limit_is_capped_at_5000(client):
    assert (
        client.get("/api/live-updates?symbol=BTC/USDT&timeframe=1s&since=0&limit=99999").status_code
        == 200
    )


@pytest.mark.parametrize(
    "query, status, message",
    [
        ("symbol=DOGE/USDT&timeframe=1m", 404, "unknown symbol"),
        ("timeframe=1m", 400, "symbol is required"),
        ("symbol=BTC/USDT&timeframe=7x", 400, "timeframe '7x'"),
        ("symbol=BTC/USDT&timeframe=1h", 400, "not served"),
        ("symbol=BTC/USDT&timeframe=1m&since=yesterday", 400, "since must be a whole number"),
        ("symbol=BTC/USDT&timeframe=1m&since=-5", 400, "since must be >= 0"),
        ("symbol=BTC/USDT&timeframe=1m&limit=0", 400, "limit must be >= 1"),
    ],
)
def test_bad_queries_get_a_json_error_that_says_what_is_wrong(client, query, status, message):
    response = client.get(f"/api/live-updates?{query}")
    assert response.status_code == status
    assert message in response.get_json()["error"]


def test_health_answers_with_feed_status(client):
    body = client.get("/api/health").get_json()
    assert body["status"] == "ok" and set(body["feeds"]) == {"BTC/USDT", "ETH/USDT", "SOL/USDT"}
    assert body["version"]


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and "error" in response.get_json()
