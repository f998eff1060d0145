"""Training: features, datasets (from annotations and the store), time splits, evaluation, the
pattern and neural pipelines, MLflow tracking, the model cache and champion decisions, and the
training:, neural: and features: config sections.

Imports core/, market/, labels/, predictions/ and models/; never serving/, backtest/, runtime/ or
dashboard/.
"""
