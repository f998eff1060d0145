"""The pattern routes serve pattern classifiers only, and load each other model once (issue 19,
finding 7): a neural model is a 400 naming the kinds served, never a reload per request."""

import threading

import pytest

from market.request_candles import InputError
from runtime.config import config_from_dict
from serving.pattern_inference import LoadedModel, PatternService
from training.feature_config import FeatureSpec


class Registry:
    """Stands in for the registry: each (name, version) has a kind; loads are counted."""

    def __init__(self, kinds: dict[str, str]):
        self.kinds = kinds
        self.alias = {name: "1" for name in kinds}
        self.loads: list[tuple[str, str]] = []

    def load(self, config, name=None, version="champion"):
        self.loads.append((name, version))
        resolved = self.alias[name] if version == "champion" else version
        info = {"name": name, "version": resolved, "type": self.kinds[name]}
        return LoadedModel(object(), info, FeatureSpec(), 4)


@pytest.fixture
def service(tmp_path):
    registry = Registry({"other-patterns": "random_forest", "my-cnn": "cnn",
                         "pattern-classifier": "xgboost"})  # fmt: skip
    config = config_from_dict({"data_dir": str(tmp_path / "data")})
    service = PatternService(config, check_every_s=3600, loader=registry.load)
    service._alias_version = lambda name: registry.alias[name]
    return service, registry


@pytest.mark.parametrize("kind", ["cnn", "transformer", "dqn"])
def test_a_neural_models_name_is_a_400_naming_the_kinds_served_without_loading(service, kind):
    service, registry = service
    with pytest.raises(InputError, match="random_forest, xgboost") as caught:
        service.get(f"neural-{kind}")
    assert caught.value.status == 400 and f"a {kind} model" in str(caught.value)
    assert registry.loads == []


def test_a_model_of_another_kind_under_any_name_is_a_400_and_loaded_once(service):
    service, registry = service
    for _ in range(100):
        with pytest.raises(InputError, match="pattern classifiers only") as caught:
            service.get("my-cnn")
        assert caught.value.status == 400
    assert registry.loads == [("my-cnn", "champion")]


def test_another_models_champion_is_loaded_once_and_again_when_its_alias_moves(service):
    service, registry = service
    first = [service.get("other-patterns") for _ in range(100)]
    assert registry.loads == [("other-patterns", "champion")]
    assert all(m is first[0] for m in first)
    service.check_every_s = 0  # the alias is read on every call from now on
    assert service.get("other-patterns") is first[0]  # it has not moved
    registry.alias["other-patterns"] = "2"
    moved = service.get("other-patterns")
    assert moved.info["version"] == "2" and len(registry.loads) == 2


def test_a_pinned_version_is_loaded_once(service):
    service, registry = service
    for _ in range(50):
        assert service.get("other-patterns", "3").info["version"] == "3"
    assert registry.loads == [("other-patterns", "3")]


def test_a_slow_load_holds_up_only_its_own_model(service):
    service, registry = service
    service.get("other-patterns", "1")  # kept
    release, started = threading.Event(), threading.Event()
    load = registry.load

    def slow(config, name=None, version="champion"):
        if version == "9":
            started.set()
            assert release.wait(10)
        return load(config, name, version)

    service._loader = slow
    worker = threading.Thread(target=service.get, args=("other-patterns", "9"))
    worker.start()
    assert started.wait(10)
    got = []
    reader = threading.Thread(target=lambda: got.append(service.get("other-patterns", "1")))
    reader.start()
    try:
        reader.join(5)  # not queued behind the slow load (which waits for `release`, 10 s)
        assert got and got[0].info["version"] == "1"
    finally:
        release.set()
        worker.join(10)
        reader.join(10)
