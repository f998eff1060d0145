"""Serving: pattern and neural inference, the model catalog, the live pattern and neural workers and
the uncertainty queue.

Imports core/, market/, labels/, predictions/, models/ and training/; never backtest/, runtime/
or dashboard/.
"""
