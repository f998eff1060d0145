"""The dark theme: every colour the figures and panels draw with, named by what it is for.

One place, so a colour reads the same on every chart and table (the candles' green and red, a
prediction's cyan or orange, the panels' background) and a change of theme is one edit, not a
search through hex literals. Figures and panels import from here; it imports nothing.

Values are written exactly as the browser receives them ("#fff" and "#ffffff" are kept apart),
so naming a colour never changes a figure's JSON.
"""

from __future__ import annotations

# ---- page, plots and tables ------------------------------------------------------------
BACKGROUND = "#131722"  # paper and plot area of every figure
GRID = "#2a2e39"
CROSSHAIR = "#8a8f9c"  # the spike lines that follow the cursor
ACCENT = "#4dabf7"  # one-series charts (equity, loss, F1) and active-cell borders
WHITE = "#ffffff"  # outlines of what is picked, text on a coloured label
MUTED = "#888"  # notes on empty panels; the last-price line before a candle arrives
NEUTRAL = "#adb5bd"  # the close line of long backtests; a prediction with an unknown call
TRANSPARENT = "rgba(0,0,0,0)"

TEXT = "#ddd"  # table cells and headers, checklist labels
DROPDOWN_TEXT = "#222"  # dropdowns keep their light menu: dark text on it
TABLE_HEADER_BACKGROUND = "#222"
TABLE_BACKGROUND = "#1b1f2a"
SELECTED_BACKGROUND = "#2b3f63"  # the selected row of the span list
ACTIVE_CELL_BACKGROUND = "#2b3a55"  # a clicked cell of the backtest tables

# Plotly's dark template on the theme's background; figures add their own height and margins.
DARK_LAYOUT = {"template": "plotly_dark", "paper_bgcolor": BACKGROUND, "plot_bgcolor": BACKGROUND}

# ---- candles ---------------------------------------------------------------------------
UP_CANDLE = "#26a69a"
DOWN_CANDLE = "#ef5350"

# ---- predictions and their outcomes ----------------------------------------------------
UP_CALL = "#00e5ff"
DOWN_CALL = "#ff9800"
STABLE_CALL = "#90caf9"
BUY_CALL = "#00e676"
SELL_CALL = "#ff1744"
DIRECTION_COLORS = {"UP": UP_CALL, "DOWN": DOWN_CALL, "STABLE": STABLE_CALL}
ACTION_COLORS = {"BUY": BUY_CALL, "SELL": SELL_CALL}
# A backtest's predictions: one colour per side, whether the model calls a direction or an action.
CALL_COLORS = {"UP": UP_CALL, "BUY": UP_CALL, "DOWN": DOWN_CALL, "SELL": DOWN_CALL}
OUTCOME_FALLBACK = "#bbbbbb"  # a resolved prediction with neither a known direction nor action
REALISED_LINK = "#cfd8dc"  # the dotted segment from a resolved prediction to its realised price
DISAGREEMENT = "#e040fb"
SPAN_LABEL_HOVER = "#dddddd"  # the invisible span-label points (their hover box takes it)

# ---- indicators (one colour per drawn series) -------------------------------------------
INDICATOR_COLORS = {
    "SMA": "#ffd54f", "EMA": "#ba68c8", "BB_upper": "#64b5f6", "BB_middle": "#64b5f6",
    "BB_lower": "#64b5f6", "VWAP": "#ff8a65", "RSI": "#ce93d8", "MACD": "#4fc3f7",
    "MACD_signal": "#ffb74d", "MACD_hist": "#78909c", "ATR": "#a5d6a7",
}  # fmt: skip

# ---- the Models tab's accuracy chart ---------------------------------------------------
MODEL_LINE = "#00e5ff"  # the long-window hit rate and the model's error
SHORT_WINDOW_LINE = "#80deea"
BASELINE = "#ffb74d"  # majority direction, naive error
CHANCE = "#9e9e9e"  # 50 %, perfect calibration
CALIBRATION_BAR = UP_CANDLE

# ---- backtests -------------------------------------------------------------------------
RUN_COLORS = (ACCENT, "#ffa94d", "#69db7c", "#f783ac", "#b197fc", "#ffe066")  # compared runs
EXIT_MARKER = "#ffe066"
ENTRY_MARKER_RIM = "#fff"

# ---- labels ----------------------------------------------------------------------------
# A qualitative palette; a label keeps its colour across sessions (hash of its name).
LABEL_PALETTE = (
    "#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6",
    "#bcf60c", "#fabebe", "#008080", "#e6beff", "#9a6324", "#fffac8", "#aaffc3", "#808000",
)  # fmt: skip

# The side panels' tables (dash_table.DataTable keyword arguments).
TABLE_STYLE = {
    "style_as_list_view": True,
    "style_table": {"overflowX": "auto"},  # wide rows scroll inside the side panel
    "style_header": {"backgroundColor": TABLE_HEADER_BACKGROUND, "color": TEXT},
    "style_cell": {
        "backgroundColor": TABLE_BACKGROUND,
        "color": TEXT,
        "fontSize": 12,
        "padding": "2px 6px",
        "textAlign": "left",
    },
}
