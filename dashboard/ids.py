"""Component ids, in one place. Pattern-matching ids are dicts built by the functions below."""

SYMBOL = "symbol-select"
OVERLAYS = "overlay-toggles"
TICK = "tick"
# The charts' tick (a count), and how the page's clock drives both (panels/charts/tick_clock.py).
CHART_TICK = "chart-tick"
TICK_CLOCK = "tick-clock"
# The job polls' ticks: the panels' tick, passed on only while there is something to watch.
AUTO_TICK = "auto-tick"
TRAIN_TICK = "train-tick"
BT_TICK = "bt-tick"
RESEARCH_TICK = "research-tick"
FEED_STATUS = "feed-status"
FEED_STATUS_SUMMARY = "feed-status-summary"
FEED_STATUS_DETAILS = "feed-status-details"
TABS = "side-tabs"
TAB_BODIES = "side-tab-bodies"  # the bodies' dcc.Tabs (panels/side_tabs.py); on its hidden bar
CHARTS = "charts"
PATTERN_MIN_CONF = "pattern-min-confidence"
SIGN_OUT = "sign-out"
SIGNED_IN = "signed-in"
# Deep links (?symbol=&tf=&from=&to=) and the page's time zone switch
URL = "url"
LINK_VIEW = "link-view"
LINK_MESSAGE = "link-message"
TIME_ZONE = "time-zone"

CHART_TIMEFRAMES = ("1s", "1m")


# A chart's components are named by its timeframe and its symbol. A tick in flight as the
# symbol changes answers for the chart it was sent from: Dash drops an answer whose component
# is gone, so it can't land on the new symbol's chart (which had the same id before the symbol
# was part of it: the new symbol drawn at the old one's range, or the old one's remembered
# view overwritten on the way back). Pattern callbacks pass ``ALL`` (or ``MATCH``) for both.


def chart(timeframe: str, symbol: str) -> dict:
    return {"type": "chart", "tf": timeframe, "symbol": symbol}


def chart_state(timeframe: str, symbol: str) -> dict:
    return {"type": "chart-state", "tf": timeframe, "symbol": symbol}


def chart_visible(timeframe: str, symbol: str) -> dict:
    """The chart's visible time range [x0, x1] (ms), reported by assets/chart_view.js."""
    return {"type": "chart-visible", "tf": timeframe, "symbol": symbol}


def chart_drawn(timeframe: str, symbol: str) -> dict:
    """The shape just drawn on the chart with the modebar's tools, reported by
    assets/chart_view.js the moment Plotly draws it (``{"shape", "at"}``)."""
    return {"type": "chart-drawn", "tf": timeframe, "symbol": symbol}


def indicator_settings(timeframe: str) -> dict:
    """The chart's checked indicator settings (``figures.indicator_traces.chart_specs``)."""
    return {"type": "indicator-settings", "tf": timeframe}


def indicator_overlays(timeframe: str) -> dict:
    return {"type": "indicator-overlays", "tf": timeframe}


def indicator_panel(timeframe: str) -> dict:
    return {"type": "indicator-panel", "tf": timeframe}


def indicator_param(timeframe: str, param: str) -> dict:
    """One parameter input, ``param`` like ``SMA.period``."""
    return {"type": "indicator-param", "tf": timeframe, "param": param}


def indicator_error(timeframe: str) -> dict:
    return {"type": "indicator-error", "tf": timeframe}


LABELS_SHOWN = "labels-shown"
CHART_TIMEFRAME = "chart-timeframe"


def graph_dom_id(timeframe: str) -> str:
    """The id of the wrapping div, so tests and CSS can find a chart: ``#chart-1m``."""
    return f"chart-{timeframe}"


# Annotate panel
ANN_SELECTION = "ann-selection"
ANN_SELECTION_TEXT = "ann-selection-text"
ANN_LABEL = "ann-label"
ANN_LABELS_LIST = "ann-labels-list"
ANN_NOTE = "ann-note"
ANN_SAVE = "ann-save"
ANN_MESSAGE = "ann-message"
ANN_SELECTED = "ann-selected"
ANN_SELECTED_TEXT = "ann-selected-text"
ANN_EDIT_LABEL = "ann-edit-label"
ANN_EDIT_START = "ann-edit-start"
ANN_EDIT_END = "ann-edit-end"
ANN_UPDATE = "ann-update"
ANN_DELETE = "ann-delete"
ANN_ACCEPT = "ann-accept"
ANN_REJECT = "ann-reject"
ANN_UNDO = "ann-undo"
ANN_FILTER_LABEL = "ann-filter-label"
ANN_FILTER_SOURCE = "ann-filter-source"
ANN_FILTER_STATUS = "ann-filter-status"
ANN_TABLE = "ann-table"
ANN_ROWS_KEY = "ann-rows-key"  # a fingerprint of the rows the table shows
ANN_BULK_ACCEPT = "ann-bulk-accept"
ANN_BULK_REJECT = "ann-bulk-reject"
ANN_BULK_ACCEPT_CONFIRM = "ann-bulk-accept-confirm"
ANN_BULK_REJECT_CONFIRM = "ann-bulk-reject-confirm"
ANN_NEXT = "ann-next"
ANN_REVIEW_ACK = "ann-review-ack"
USER_NAME = "user-name"
ANN_FILTER_PERSON = "ann-filter-person"
ANN_EXPORT_JSON = "ann-export-json"
ANN_EXPORT_CSV = "ann-export-csv"
ANN_EXPORT_FILE = "ann-export-file"
ANN_IMPORT = "ann-import"
ANN_COUNT = "ann-count"
ANN_VERSION = "ann-version"
ANN_FROM_MODEL = "ann-from-model"
AUTO_TF = "auto-tf"
AUTO_HOURS = "auto-hours"
AUTO_PATTERNS = "auto-patterns"
AUTO_RUN = "auto-run"
AUTO_CANCEL = "auto-cancel"
AUTO_PROGRESS = "auto-progress"
AUTO_STATUS = "auto-status"
AUTO_JOB = "auto-job"

# Train panel
TRAIN_MODEL = "train-model"
TRAIN_DATASET = "train-dataset"
TRAIN_BUILD = "train-build"
TRAIN_RUN = "train-run"
TRAIN_CANCEL = "train-cancel"
TRAIN_PROGRESS = "train-progress"
TRAIN_STATUS = "train-status"
TRAIN_MESSAGE = "train-message"
TRAIN_RUNS = "train-runs"
TRAIN_CHAMPION = "train-champion"
TRAIN_CLASSES = "train-classes"
TRAIN_CLASS_CHART = "train-class-chart"
TRAIN_JOB = "train-job"
TRAIN_VERSION = "train-version"

# Neural models (Train panel section)
NEURAL_KIND = "neural-kind"
NEURAL_SYMBOL = "neural-symbol"
NEURAL_TRAIN = "neural-train"
NEURAL_CANCEL = "neural-cancel"
NEURAL_PROGRESS = "neural-progress"
NEURAL_STATUS = "neural-status"
NEURAL_MESSAGE = "neural-message"
NEURAL_LOSS = "neural-loss"
NEURAL_MODELS = "neural-models"
NEURAL_BANNER = "neural-banner"

# Champion by hand (Train panel)
CHAMPION_PICKED = "champion-picked"
CHAMPION_REASON = "champion-reason"
CHAMPION_SET = "champion-set"
CHAMPION_CONFIRM = "champion-confirm"
CHAMPION_MESSAGE = "champion-message"
CHAMPION_KIND = "champion-kind"
CHAMPION_VERSION = "champion-version"

# Predictions panel: filters, export, details card; Models tab; review lists
PRED_FILTER = "pred-filter"
PRED_KINDS = "pred-kinds"
PRED_SOURCES = "pred-sources"
PRED_VERSIONS = "pred-versions"
PRED_OUTCOMES = "pred-outcomes"


def pred_min_conf(kind: str) -> dict:
    return {"type": "pred-min-conf", "kind": kind}


PRED_DOWNLOAD_CSV = "pred-download-csv"
PRED_DOWNLOAD_PARQUET = "pred-download-parquet"
PRED_DOWNLOAD = "pred-download"
PRED_SUMMARY = "pred-summary"
PRED_DETAILS = "pred-details"
PRED_DETAILS_BODY = "pred-details-body"
PRED_DETAILS_CLOSE = "pred-details-close"
MODELS_KIND = "models-kind"
MODELS_BODY = "models-body"
MODELS_IN_SAMPLE = "models-in-sample"
MODELS_REFRESH = "models-refresh"
REVIEW_REFRESH = "review-refresh"
REVIEW_DISAGREE = "review-disagree"
REVIEW_QUEUE_LOAD = "review-queue-load"
REVIEW_QUEUE = "review-queue"
REVIEW_QUEUE_DATA = "review-queue-data"
REVIEW_LABEL = "review-label"
REVIEW_CONFIRM = "review-confirm"
REVIEW_CORRECT = "review-correct"
REVIEW_DISMISS = "review-dismiss"
REVIEW_NEXT = "review-next"
REVIEW_FOCUS = "review-focus"
REVIEW_AUDIT = "review-audit"
REVIEW_AGREE = "review-agree"
REVIEW_AGREE_REFRESH = "review-agree-refresh"
REVIEW_AGREE_SPANS = "review-agree-spans"
REVIEW_AUDIT_REFRESH = "review-audit-refresh"
REVIEW_AUDIT_DOWNLOAD = "review-audit-download"
REVIEW_AUDIT_FILE = "review-audit-file"
REVIEW_AUDIT_PERSON = "review-audit-person"
REVIEW_ACK = "review-ack"
REVIEW_MESSAGE = "review-message"
REVIEW_TODAY = "review-today"

# Replay
REPLAY_FROM = "replay-from"
REPLAY_TO = "replay-to"
REPLAY_TF = "replay-tf"
REPLAY_SPEED = "replay-speed"
REPLAY_START = "replay-start"
REPLAY_PLAY = "replay-play"
REPLAY_PAUSE = "replay-pause"
REPLAY_LEAVE = "replay-leave"
REPLAY_CLOCK = "replay-clock"
REPLAY_GRAPH = "replay-graph"
REPLAY_SLIDER = "replay-slider"
REPLAY_BOX = "replay-box"
REPLAY_STATE = "replay-state"
REPLAY_MESSAGE = "replay-message"
REPLAY_TICK = "replay-tick"

# Backtest tab
BT_SYMBOL = "bt-symbol"
BT_TIMEFRAME = "bt-timeframe"
BT_START = "bt-start"
BT_END = "bt-end"
BT_STRATEGY = "bt-strategy"
BT_PARAMS = "bt-params"
BT_CASH = "bt-cash"
BT_COMMISSION = "bt-commission"
BT_SIZE = "bt-size"
BT_OPTIONS = "bt-options"
BT_RUN = "bt-run"
BT_CANCEL = "bt-cancel"
BT_PROGRESS = "bt-progress"
BT_STATUS = "bt-status"
BT_MESSAGE = "bt-message"
BT_IN_SAMPLE = "bt-in-sample"
BT_STATS = "bt-stats"
BT_EQUITY = "bt-equity"
BT_CHART = "bt-chart"
BT_TRADES = "bt-trades"
BT_RUNS = "bt-runs"
BT_COMPARE = "bt-compare"
BT_COMPARE_CHART = "bt-compare-chart"
BT_SHOWN = "bt-shown"  # store: {"id": run shown, "key": what is drawn of it}
BT_VERSION = "bt-version"  # store: changes when a run starts or ends (refreshes the runs list)
BT_MODE = "bt-mode"  # backtest, search or walk-forward
BT_SL = "bt-sl"  # stop-loss %
BT_TP = "bt-tp"  # take-profit %
BT_TRAILING = "bt-trailing"  # trailing stop, ATRs
BT_SPREAD = "bt-spread"
BT_SEARCH_FORM = "bt-search-form"
BT_CONSTRAINT = "bt-constraint"
BT_METHOD = "bt-method"
BT_MAX_TRIES = "bt-max-tries"
BT_MAXIMIZE = "bt-maximize"
BT_MIN_TRADES = "bt-min-trades"
BT_SEED = "bt-seed"
BT_WF_FORM = "bt-wf-form"
BT_IS_BARS = "bt-is-bars"
BT_OOS_BARS = "bt-oos-bars"
BT_GAP = "bt-gap"
BT_ANCHORED = "bt-anchored"
BT_OPEN_RESULTS = "bt-open-results"
# the results view: full width, over the charts
RESULTS_VIEW = "results-view"
RESULTS_BODY = "results-body"  # mounts the view's body only while it is open
RESULTS_CLOSE = "results-close"
RESULTS_TITLE = "results-title"
CHARTS_AREA = "charts-area"
BT_VIEW = "bt-view"  # store: {"open": bool, "what": "backtest" | "search" | "walkforward"}
BT_BACKTEST_RESULTS = "bt-backtest-results"
BT_SEARCH_RESULTS = "bt-search-results"
BT_WF_RESULTS = "bt-wf-results"
BT_RESEARCH_SHOWN = "bt-research-shown"  # store: {"id", "kind", "key"} of the search shown
BT_BEST = "bt-best"
BT_OPEN_BEST = "bt-open-best"  # "Open as backtest"
BT_RESUME = "bt-resume"  # resume the search or walk-forward shown
BT_HEATMAPS = "bt-heatmaps"
BT_PARALLEL = "bt-parallel"
BT_TRIALS = "bt-trials"
BT_TRIALS_CSV = "bt-trials-csv"
BT_TRIALS_DOWNLOAD = "bt-trials-download"
BT_BEST_EQUITY = "bt-best-equity"
BT_BEST_STATS = "bt-best-stats"
BT_WF_CHART = "bt-wf-chart"
BT_WF_FOLDS = "bt-wf-folds"
BT_WF_TEXT = "bt-wf-text"
BT_RESEARCH_RUNS = "bt-research-runs"
BT_PORTFOLIO = "bt-portfolio"  # a portfolio run: each symbol's contribution

# Drawings on the charts and alerts (issue 17)
DRAW_FLAT = "draw-flat"  # H-line: the line tool draws horizontal lines
DRAW_MESSAGE = "draw-message"
ALERT_TOAST = "alert-toast"
ALERT_SEEN = "alert-seen"  # store: the newest firing this page has shown
ALERTS_SHOWN = "alerts-shown"  # store: the versions the lists were drawn at
ALERT_KIND = "alert-kind"
ALERT_SYMBOL = "alert-symbol"
ALERT_LEVEL = "alert-level"
ALERT_LINE = "alert-line"
ALERT_MODEL = "alert-model"
ALERT_CALL = "alert-call"
ALERT_MIN_CONF = "alert-min-conf"
ALERT_STALE = "alert-stale"
ALERT_WHEN = "alert-when"
ALERT_WEBHOOK = "alert-webhook"
ALERT_NOTE = "alert-note"
ALERT_ADD = "alert-add"
ALERT_MESSAGE = "alert-message"
ALERT_LIST = "alert-list"
ALERT_FIRED = "alert-fired"
DRAWING_LIST = "drawing-list"


def alert_delete(alert_id: str) -> dict:
    return {"type": "alert-delete", "id": alert_id}


def drawing_delete(drawing_id: str) -> dict:
    return {"type": "drawing-delete", "id": drawing_id}
