"""Market data: the candle store, its rollups per timeframe (``rollups.py``) and range views
(``candle_views.py``), the feeds (simulator, CSV/Parquet replay, ccxt), the feed runner,
candles read from requests, retention and imports.

Imports only core/.
"""
