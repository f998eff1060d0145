"""Component ids, in one place. Pattern-matching ids are dicts built by the functions below."""

SYMBOL = "symbol-select"
OVERLAYS = "overlay-toggles"
TICK = "tick"
FEED_STATUS = "feed-status"
FEED_STATUS_SUMMARY = "feed-status-summary"
FEED_STATUS_DETAILS = "feed-status-details"
TABS = "side-tabs"
CHARTS = "charts"
PATTERN_MIN_CONF = "pattern-min-confidence"

CHART_TIMEFRAMES = ("1s", "1m")


def chart(timeframe: str) -> dict:
    return {"type": "chart", "tf": timeframe}


def chart_state(timeframe: str) -> dict:
    return {"type": "chart-state", "tf": timeframe}


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
ANN_BULK_ACCEPT = "ann-bulk-accept"
ANN_BULK_REJECT = "ann-bulk-reject"
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
