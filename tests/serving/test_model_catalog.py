"""The served models' one-line skill summaries never present a model without an edge as one."""

from serving.model_catalog import majority_macro_f1, skill_line

DIRECTION = {"accuracy": 0.42, "majority_accuracy": 0.35, "mae_skill": 0.02}
TRADING = {
    "return": 0.01,
    "buy_and_hold_return": 0.02,
    "trades": 3,
    "degenerate": False,
    "return_over_best_baseline": -0.01,
}


def line(kind, val):
    return skill_line(kind, {"status": "ok", "metrics": {"val": val}})


def test_a_direction_model_has_an_edge_only_above_majority_50_percent_and_the_last_price():
    assert line("cnn", DIRECTION).endswith("no edge over the baselines")  # below 50 %
    assert line("cnn", {**DIRECTION, "accuracy": 0.6}).endswith("· edge")
    assert line("cnn", {**DIRECTION, "accuracy": 0.6, "mae_skill": -0.1}).endswith("baselines")


def test_a_trading_policy_shows_its_baselines_and_a_degenerate_flag():
    text = line("dqn", {**TRADING, "degenerate": True})
    assert "vs buy-and-hold +2.000%" in text and "flat 0" in text and "3 trades" in text
    assert "degenerate policy" in text and text.endswith("no edge over the baselines")
    assert line("dqn", {**TRADING, "return_over_best_baseline": 0.01}).endswith("· edge")


def test_missing_models_say_why_and_pattern_models_compare_with_the_majority_class():
    assert skill_line("dqn", {"status": "missing", "error": "no dqn model"}) == "no dqn model"
    per_class = {"none": {"support": 80}, "bull": {"support": 20}}
    assert majority_macro_f1(per_class) == (2 * 0.8 / 1.8) / 2
    assert "vs majority class" in line("pattern", {"macro_f1": 0.7, "majority_macro_f1": 0.44})
