"""Backtests: the engine and statistics (backtesting.py semantics, stops, targets, trailing stops,
spread), rule and model strategies, the request, the runner (a job), portfolios and the store of
runs; parameter searches (grid, tpe) and walk-forwards, their runner and store.

Imports everything below runtime/: core, market, labels, predictions, models, training, serving.
"""
