"""Market data: the candle store, its rollups per timeframe (``rollups.py``) and range views
(``candle_views.py``), technical indicators shared by the charts and the model features
(``indicators.py``: TA-Lib's and an anchored VWAP), the feeds (simulator, CSV/Parquet replay,
ccxt), the feed runner, candles read from requests, retention and imports.

Imports only core/.
"""
