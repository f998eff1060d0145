"""Component ids, in one place. Pattern-matching ids are dicts built by the functions below."""

SYMBOL = "symbol-select"
OVERLAYS = "overlay-toggles"
TICK = "tick"
FEED_STATUS = "feed-status"
TABS = "side-tabs"
CHARTS = "charts"

CHART_TIMEFRAMES = ("1s", "1m")


def chart(timeframe: str) -> dict:
    return {"type": "chart", "tf": timeframe}


def chart_state(timeframe: str) -> dict:
    return {"type": "chart-state", "tf": timeframe}


def graph_dom_id(timeframe: str) -> str:
    """The id of the wrapping div, so tests and CSS can find a chart: ``#chart-1m``."""
    return f"chart-{timeframe}"
