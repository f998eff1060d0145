"""The Annotate panel's layout: new span, selected span with review keys, the span list with
its filters and bulk review, and the auto-label job."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dash_table, dcc, html

from core.people import OPERATOR, Person
from dashboard import ids
from dashboard.figures.theme import DROPDOWN_TEXT, TABLE_BACKGROUND, TABLE_HEADER_BACKGROUND, TEXT
from dashboard.panels.span_review import selected_row_styles
from labels.cdl_names import CDL_PATTERNS

TABLE_COLUMNS = [
    {"name": "start (UTC)", "id": "start_text"},
    {"name": "end", "id": "end_text"},
    {"name": "tf", "id": "timeframe"},
    {"name": "label", "id": "label"},
    {"name": "source", "id": "source"},
    {"name": "status", "id": "status"},
    {"name": "conf", "id": "confidence"},
    {"name": "by", "id": "by"},
]


def _button(label, id_, color="secondary", **kw):
    return dbc.Button(label, id=id_, color=color, size="sm", className="me-1 mb-1", **kw)


def you_are(person: Person) -> dbc.InputGroup:
    """On loopback a name chosen here, remembered in this browser (localStorage): every span
    saved and every verdict given from this page records it. Signed in, the person is who the
    token says: shown, not editable (and the server ignores what the box sends)."""
    if person.signed_in:
        box = dbc.Input(id=ids.USER_NAME, value=person.name, disabled=True)
    else:
        box = dbc.Input(
            id=ids.USER_NAME,
            value=person.name,
            maxLength=64,
            persistence=True,
            persistence_type="local",
            autocomplete="off",
        )
    return dbc.InputGroup([dbc.InputGroupText("You are"), box], size="sm", className="mb-2")


def layout(labels: tuple[str, ...], person: Person | None = None) -> dbc.Tab:
    person = you_are(person or Person("annotator", OPERATOR))
    new_span = html.Div(
        [
            html.Div(
                "Select a range on a chart (box-select tool), then label it.",
                className="text-muted small",
            ),
            html.Div(id=ids.ANN_SELECTION_TEXT, className="fw-bold my-1"),
            dbc.InputGroup(
                [
                    dbc.Input(
                        id=ids.ANN_LABEL,
                        placeholder="label (pick or type a new one)",
                        list=ids.ANN_LABELS_LIST,
                        autocomplete="off",
                    ),
                    _button("Save span", ids.ANN_SAVE, "primary"),
                ],
                size="sm",
            ),
            html.Datalist(id=ids.ANN_LABELS_LIST, children=[html.Option(value=v) for v in labels]),
            dbc.Input(id=ids.ANN_NOTE, placeholder="note (optional)", size="sm", className="mt-1"),
        ],
        className="mb-2",
    )
    selected = html.Div(
        [
            html.Div("Selected span", className="fw-bold"),
            html.Div(id=ids.ANN_SELECTED_TEXT, className="small text-muted mb-1"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Input(
                            id=ids.ANN_EDIT_LABEL,
                            placeholder="label",
                            size="sm",
                            list=ids.ANN_LABELS_LIST,
                        )
                    ),
                    dbc.Col(dbc.Input(id=ids.ANN_EDIT_START, placeholder="start UTC", size="sm")),
                    dbc.Col(dbc.Input(id=ids.ANN_EDIT_END, placeholder="end UTC", size="sm")),
                ],
                className="g-1 mb-1",
            ),
            _button("Save changes", ids.ANN_UPDATE, "primary"),
            _button("Accept", ids.ANN_ACCEPT, "success", title="Accept (key A)"),
            _button("Reject", ids.ANN_REJECT, "warning", title="Reject (key R)"),
            _button("Next", ids.ANN_NEXT, title="Next row (key N)"),
            _button("Delete", ids.ANN_DELETE, "danger"),
            _button("Undo last change", ids.ANN_UNDO),
            # Changes once per answered review press: the review keys wait for it (keys.js).
            html.Span(id=ids.ANN_REVIEW_ACK, hidden=True),
            html.Div(
                "Keys: A accept · R reject · N next (outside text boxes); Accept and Reject "
                "move on to the next row.",
                className="small text-muted",
            ),
        ],
        className="mb-2",
    )
    table = html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        dcc.Dropdown(
                            id=ids.ANN_FILTER_LABEL, placeholder="label", className="dark-dropdown"
                        )
                    ),
                    dbc.Col(
                        dcc.Dropdown(
                            id=ids.ANN_FILTER_SOURCE,
                            placeholder="source",
                            options=["human", "talib", "model"],
                        )
                    ),
                    dbc.Col(
                        dcc.Dropdown(
                            id=ids.ANN_FILTER_STATUS,
                            placeholder="status",
                            options=["accepted", "pending", "rejected"],
                        )
                    ),
                    dbc.Col(dcc.Dropdown(id=ids.ANN_FILTER_PERSON, placeholder="person")),
                ],
                className="g-1 mb-1",
                style={"color": DROPDOWN_TEXT},
            ),
            html.Div(id=ids.ANN_COUNT, className="small text-muted"),
            dash_table.DataTable(
                id=ids.ANN_TABLE,
                columns=TABLE_COLUMNS,
                data=[],
                page_size=10,
                sort_action="native",
                style_as_list_view=True,
                style_table={"overflowX": "auto", "maxWidth": "100%"},
                style_cell_conditional=[
                    {
                        "if": {"column_id": "label"},
                        "maxWidth": "9rem",
                        "overflow": "hidden",
                        "textOverflow": "ellipsis",
                    },
                ],
                tooltip_duration=None,
                style_data_conditional=selected_row_styles(None),
                style_header={"backgroundColor": TABLE_HEADER_BACKGROUND, "color": TEXT},
                style_cell={
                    "backgroundColor": TABLE_BACKGROUND,
                    "color": TEXT,
                    "fontSize": 12,
                    "padding": "2px 6px",
                    "textAlign": "left",
                },
            ),
            dcc.ConfirmDialogProvider(
                _button("Accept all matching", ids.ANN_BULK_ACCEPT, "success"),
                id=ids.ANN_BULK_ACCEPT_CONFIRM,
            ),
            dcc.ConfirmDialogProvider(
                _button("Reject all matching", ids.ANN_BULK_REJECT, "warning"),
                id=ids.ANN_BULK_REJECT_CONFIRM,
            ),
            html.Div(
                [
                    _button("Export JSON", ids.ANN_EXPORT_JSON),
                    _button("Export CSV", ids.ANN_EXPORT_CSV),
                    dcc.Upload(
                        _button("Import file…", "ann-import-button"),
                        id=ids.ANN_IMPORT,
                        accept=".json,.csv",
                        style={"display": "inline-block"},
                    ),
                    html.Span(
                        "the spans the filters keep, in the CLI's format; an import adds the "
                        "file's spans (ones already there are skipped), all or nothing",
                        className="small text-muted",
                    ),
                ]
            ),
            html.Div(
                [
                    _button("Review model spans", ids.ANN_FROM_MODEL, "info"),
                    html.Span(
                        "the champion's spans at or above the confidence slider become pending "
                        "'model' spans: accept to confirm, relabel to correct, reject to dismiss",
                        className="small text-muted",
                    ),
                ]
            ),
        ]
    )
    auto = html.Div(
        [
            html.Div("Auto-label with TA-Lib (61 CDL patterns)", className="fw-bold"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Select(id=ids.AUTO_TF, options=["1m", "1s"], value="1m", size="sm"),
                        width=3,
                    ),
                    dbc.Col(
                        dbc.InputGroup(
                            [
                                dbc.Input(
                                    id=ids.AUTO_HOURS, type="number", value=6, min=0.1, step=0.1
                                ),
                                dbc.InputGroupText("hours back"),
                            ],
                            size="sm",
                        )
                    ),
                ],
                className="g-1 mb-1",
            ),
            dcc.Dropdown(
                id=ids.AUTO_PATTERNS,
                options=list(CDL_PATTERNS),
                multi=True,
                placeholder="all 61 patterns",
                style={"color": DROPDOWN_TEXT},
            ),
            html.Div(
                [
                    _button("Run auto-label", ids.AUTO_RUN, "info"),
                    _button("Cancel", ids.AUTO_CANCEL),
                ],
                className="mt-1",
            ),
            dbc.Progress(id=ids.AUTO_PROGRESS, value=0, className="my-1", style={"height": "6px"}),
            html.Div(id=ids.AUTO_STATUS, className="small"),
        ]
    )
    body = html.Div(
        [
            person,
            new_span,
            html.Hr(className="my-1"),
            selected,
            dbc.Alert(id=ids.ANN_MESSAGE, is_open=False, className="py-1 px-2 small", fade=False),
            html.Hr(className="my-1"),
            table,
            html.Hr(className="my-1"),
            auto,
        ],
        className="p-2",
    )
    return dbc.Tab(body, label="Annotate", tab_id="annotate")


def stores(version: str | int = 0) -> list:
    """Page-level state of the panel (outside the tabs, so it exists whichever tab shows).
    ``version``: the annotations' version as the page is built. Seeded with it, the page's
    first tick finds nothing new, so it doesn't list the spans and redraw both charts again as
    the page opens, and a row clicked then keeps its active cell (the table's refresh clears it)."""
    return [
        dcc.Store(id=ids.ANN_SELECTION),
        dcc.Store(id=ids.ANN_SELECTED),
        dcc.Store(id=ids.ANN_VERSION, data=version),
        dcc.Store(id=ids.AUTO_JOB),
        dcc.Store(id=ids.ANN_ROWS_KEY),
        # Drawn whatever tab is open: a download saves its file only while drawn, and an export
        # may answer after the person has moved to another tab.
        dcc.Download(id=ids.ANN_EXPORT_FILE),
    ]
