"""``training.tracking_uri: http://...``: a real ``mlflow server`` (PostgreSQL backend store,
proxied artifacts) holds the runs, the registry, the champion alias and the model files;
training, champion moves, serving and model backtests go through it, with the app's own data in
PostgreSQL and the datasets in a shared folder. Nothing is written to the local MLflow store."""

from __future__ import annotations

import pytest

from app import create_app
from backtest.request import parse_request
from core.candles import frame_to_candles
from runtime.champion_moves import set_champion_by_hand
from runtime.config import config_from_dict
from tests.helpers.mlflow_server import MlflowServer
from tests.helpers.pattern_data import build_pattern_dataset, pattern_series
from training.pipeline import train

pytestmark = pytest.mark.slow  # a tracking server and two trainings: about 20 s

WINDOW = 4


@pytest.fixture(scope="module")
def tracking_server(postgres_server):
    server = MlflowServer(postgres_server)
    try:
        yield server.start()
    finally:
        server.stop()


def test_training_champions_serving_and_backtests_go_through_the_tracking_server(
    tmp_path, postgres_server, tracking_server
):
    config = config_from_dict(
        {
            "data_dir": str(tmp_path / "data"),
            "datasets_dir": str(tmp_path / "shared" / "datasets"),
            "storage": {"url": postgres_server.create_schema()},
            "training": {"window": WINDOW, "tracking_uri": tracking_server.url,
                         "params": {"xgboost": {"n_estimators": 10, "max_depth": 3},
                                    "random_forest": {"n_estimators": 3}}},
            "backtest": {"label_directions": {"bull_run": 1, "bear_run": -1}},
        },
        base_dir=tmp_path,
    )  # fmt: skip
    orch = create_app(config=config).server.extensions["orchestrator"]
    try:
        version = build_pattern_dataset(config.datasets_path, window=WINDOW)
        first = train("random_forest", config.datasets_path, config.data_path, config.training)
        second = train("xgboost", config.datasets_path, config.data_path, config.training, version)
        assert (first.model_version, second.model_version) == ("1", "2")
        assert first.champion.promoted

        champion = "2" if second.champion.promoted else "1"

        # Serving loads the champion from the server.
        orch.patterns.refresh()
        assert orch.patterns.current().info["version"] == champion

        # A champion move by hand reaches the server's registry, and serving follows it.
        other = "1" if champion == "2" else "2"
        moved = set_champion_by_hand(orch, other, "compare the other model", by="olga")
        assert moved["previous"] == champion
        assert orch.patterns.current().info["version"] == other

        # A model backtest loads its model through the server too.
        seen, _ = pattern_series(700, seed=10)
        orch.store.merge_history("BTC/USDT", "1m", frame_to_candles(seen))
        request = parse_request(
            {"symbol": "BTC/USDT", "strategy": "pattern", "start": int(seen.index[100]),
             "params": {"version": "2"}}, orch,
        )  # fmt: skip
        run = orch.backtests.run_now(request)
        assert run["status"] == "done", run["error"]
        assert run["model"]["version"] == "2"
    finally:
        orch.stop()
        orch.db.close()

    # The model files went to the server's artifact store, nothing to a local MLflow store.
    stored = list((tracking_server.folder / "artifacts").rglob("MLmodel"))
    assert len(stored) >= 2
    assert not (config.data_path / "mlflow.db").exists()
    assert not (config.data_path / "mlartifacts").exists()
    assert (config.datasets_path / version).is_dir()
