"""Market data: the candle store, the feeds (simulator, CSV/Parquet replay, ccxt), the feed runner,
candles read from requests, retention and imports.

Imports only core/.
"""
