"""Backtests: the engine and statistics (backtesting.py semantics), rule and model strategies, the
request, the runner (a job) and the store of runs.

Imports everything below runtime/: core, market, labels, predictions, models, training, serving.
"""
