"""Alerts and chart drawings: what a trader asked to be told (a price crossing a level or a drawn
line, a model's signal, a stale feed, a job's end, a champion change) and the lines and boxes
they drew on the charts.

The rules (validation, fire and re-arm) are pure; the evaluator is one worker thread fed by
closed candles, new predictions and job ends; webhooks go out on a thread of their own.

Imports everything below runtime/: core, market, labels, predictions, models, training, serving,
backtest.
"""
