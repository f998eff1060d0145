"""Backtests as the app runs them: requests, strategies with models, runs as jobs, persistence.

The engine and statistics are pure code in ``training/backtest.py`` and
``training/backtest_stats.py``; this package feeds them the stored candles and a strategy, and keeps
the runs (SQLite, MLflow, predictions on the chart).
"""
