"""The Annotate panel's buttons: save, edit, delete, accept/reject (one or all the list shows),
next, undo and model spans to review. One small callback per kind of action, each with its
states by name; all answer in the message bar and bump the annotations version."""

from __future__ import annotations

import functools
import uuid

from dash import ALL, Input, Output, State, ctx, no_update

from core.spans import Span, SpanError
from core.timefmt import parse_time
from dashboard import ids
from dashboard.callbacks import CallbackSet
from dashboard.context import orchestrator
from dashboard.panels.annotations import by_person, jumps, message
from dashboard.panels.span_review import next_row, readable_times
from dashboard.people import Refused, acting_name, require
from serving.pattern_inference import NoModel

callbacks = CallbackSet()
PAGE_SIZE = 10

# Every action answers in the message bar and bumps the version (the list and charts follow it);
# the ones that move through the list also pick a span, turn the page and jump the charts.
TOLD = {
    "text": Output(ids.ANN_MESSAGE, "children", allow_duplicate=True),
    "is_open": Output(ids.ANN_MESSAGE, "is_open", allow_duplicate=True),
    "color": Output(ids.ANN_MESSAGE, "color", allow_duplicate=True),
    "version": Output(ids.ANN_VERSION, "data", allow_duplicate=True),
}
PICKED = {**TOLD, "selected": Output(ids.ANN_SELECTED, "data", allow_duplicate=True)}
MOVED = {
    **PICKED,
    "ack": Output(ids.ANN_REVIEW_ACK, "children"),
    "page": Output(ids.ANN_TABLE, "page_current", allow_duplicate=True),
    "charts": Output(ids.chart(ALL, ALL), "figure", allow_duplicate=True),
}
CHART_IDS = State(ids.chart(ALL, ALL), "id")


def answer(outputs: dict, text: str, color: str = "success", **values) -> dict:
    """The callback's outputs by name: the message, the store's version, ``values``, and
    no_update for the rest (``charts``: one per chart, so ``chart_ids`` must be given)."""
    chart_ids = values.pop("chart_ids", [])
    result = {name: no_update for name in outputs}
    if "charts" in outputs:
        result["charts"] = [no_update] * len(chart_ids)
    result.update(zip(("text", "is_open", "color"), message(text, color), strict=True))
    result["version"] = orchestrator().annotations.version
    if "ack" in outputs:
        # A new value per answer, refusals included: the review keys wait for it before the
        # next press, so a press never reads the selection its predecessor is still moving.
        result["ack"] = uuid.uuid4().hex
    result.update(values)
    return result


def refusals(outputs: dict):
    """A bad entry, a refused edit or an action the person's role does not allow answers in red
    in the message bar; nothing else moves."""

    def wrap(fn):
        @functools.wraps(fn)
        def run(**kwargs):
            try:
                return fn(**kwargs)
            except (SpanError, ValueError, Refused) as exc:
                result = answer(outputs, readable_times(str(exc)), "danger",
                                chart_ids=kwargs.get("chart_ids", []))  # fmt: skip
                result["version"] = no_update
                return result

        return run

    return wrap


def span_detail(span: Span) -> str:
    from core.timefmt import format_ms

    return f"{span.label} {span.symbol} {span.timeframe} {format_ms(span.start)} (id {span.id})"


def selected_span(selected):
    if not selected:
        raise SpanError("select a span first: click its band on the chart or its row")
    return selected


SAVED = {
    **PICKED,
    "label_input": Output(ids.ANN_LABEL, "value"),
    "note_input": Output(ids.ANN_NOTE, "value"),
}


@callbacks.callback(
    output=SAVED,
    inputs={"_clicks": Input(ids.ANN_SAVE, "n_clicks")},
    state={
        "selection": State(ids.ANN_SELECTION, "data"),
        "label": State(ids.ANN_LABEL, "value"),
        "note": State(ids.ANN_NOTE, "value"),
        "user": State(ids.USER_NAME, "value"),
    },
    prevent_initial_call=True,
)
@refusals(SAVED)
def on_save(_clicks, selection, label, note, user=None):
    require("save spans")
    if not selection:
        raise SpanError("select a range on a chart first (box-select tool)")
    orch = orchestrator()
    span = orch.annotations.create(
        Span(
            None,
            selection["symbol"],
            selection["timeframe"],
            selection["start"],
            selection["end"],
            (label or "").strip(),
            "human",
            "accepted",
            note=(note or "").strip(),
            author=acting_name(user),
        )
    )
    orch.audit.record(span.author, "span saved", span_detail(span))
    text = f"Saved {span.label} ({span.symbol} {span.timeframe})"
    # The label and note belong to this span only: the next one starts blank.
    return answer(SAVED, text, selected=span.id, label_input="", note_input="")


@callbacks.callback(
    output=PICKED,
    inputs={
        "_update": Input(ids.ANN_UPDATE, "n_clicks"),
        "_delete": Input(ids.ANN_DELETE, "n_clicks"),
    },
    state={
        "selected": State(ids.ANN_SELECTED, "data"),
        "label": State(ids.ANN_EDIT_LABEL, "value"),
        "start": State(ids.ANN_EDIT_START, "value"),
        "end": State(ids.ANN_EDIT_END, "value"),
        "user": State(ids.USER_NAME, "value"),
    },
    prevent_initial_call=True,
)
@refusals(PICKED)
def on_edit(_update, _delete, selected, label, start, end, user=None):
    """Save changes (the editor becomes the span's ``author``) or delete; both audited."""
    require("edit or delete spans")
    orch = orchestrator()
    store = orch.annotations
    selected = selected_span(selected)
    who = acting_name(user)
    if ctx.triggered_id == ids.ANN_DELETE:
        span = store.delete(selected)
        orch.audit.record(who, "span deleted", span_detail(span))
        return answer(PICKED, f"Deleted {span.label} (Undo brings it back)", selected=None)
    before = store.get(selected)
    span = store.update(
        selected,
        label=(label or "").strip(),
        start=parse_time(start, "start"),
        end=parse_time(end, "end"),
        author=who,
    )
    was = f"; saved by {before.author}" if before.author and before.author != who else ""
    orch.audit.record(who, "span edited", span_detail(span) + was)
    return answer(PICKED, f"Updated {span.label}")


@callbacks.callback(
    output=MOVED,
    inputs={
        "_accept": Input(ids.ANN_ACCEPT, "n_clicks"),
        "_reject": Input(ids.ANN_REJECT, "n_clicks"),
        "_next": Input(ids.ANN_NEXT, "n_clicks"),
    },
    state={
        "selected": State(ids.ANN_SELECTED, "data"),
        "shown": State(ids.ANN_TABLE, "derived_virtual_data"),
        "status_filter": State(ids.ANN_FILTER_STATUS, "value"),
        "chart_ids": CHART_IDS,
        "user": State(ids.USER_NAME, "value"),
    },
    prevent_initial_call=True,
)
@refusals(MOVED)
def on_review(_accept, _reject, _next, selected, shown, status_filter, chart_ids, user=None):
    """Accept or reject the selected span and move on to the next row (so a queue is reviewed
    with two keys), or just move on."""
    orch = orchestrator()
    store = orch.annotations
    if ctx.triggered_id == ids.ANN_NEXT:
        following, index = next_row(shown or [], selected, True)
        if following is None:
            return answer(MOVED, "No more rows in the list.", "info", chart_ids=chart_ids)
        return answer(MOVED, "Next row", "info", selected=following, page=index // PAGE_SIZE,
                      charts=jumps(orch, store.get(following), chart_ids))  # fmt: skip
    require("review spans")
    selected = selected_span(selected)
    status = "accepted" if ctx.triggered_id == ids.ANN_ACCEPT else "rejected"
    span = store.update(selected, status=status, reviewed_by=acting_name(user))
    orch.audit.record(span.reviewed_by, f"span {status}", span_detail(span))
    # The row leaves the list when the status filter no longer matches it.
    following, index = next_row(shown or [], selected, status_filter in (None, status))
    if following is None:
        text = f"{span.label}: {status}. That was the last row."
        return answer(MOVED, text, selected=None, chart_ids=chart_ids)
    return answer(MOVED, f"{span.label}: {status}", selected=following, page=index // PAGE_SIZE,
                  charts=jumps(orch, store.get(following), chart_ids))  # fmt: skip


# The span list's filters: bulk review and export act on exactly the spans the list keeps.
LIST_FILTERS = {
    "symbol": State(ids.SYMBOL, "value"),
    "label": State(ids.ANN_FILTER_LABEL, "value"),
    "source": State(ids.ANN_FILTER_SOURCE, "value"),
    "status": State(ids.ANN_FILTER_STATUS, "value"),
    "person": State(ids.ANN_FILTER_PERSON, "value"),
}


def matching_spans(store, symbol, label, source, status, person) -> list:
    return by_person(store.list(symbol=symbol, label=label, source=source, status=status), person)


@callbacks.callback(
    output=TOLD,
    inputs={
        "_accept": Input(ids.ANN_BULK_ACCEPT_CONFIRM, "submit_n_clicks"),
        "_reject": Input(ids.ANN_BULK_REJECT_CONFIRM, "submit_n_clicks"),
    },
    state={**LIST_FILTERS, "user": State(ids.USER_NAME, "value")},
    prevent_initial_call=True,
)
@refusals(TOLD)
def on_bulk_review(_accept, _reject, symbol, label, source, status, person=None, user=None):
    """Accept or reject every span the list's filters match (after the confirm dialog)."""
    require("review spans")
    orch = orchestrator()
    store = orch.annotations
    new = "accepted" if ctx.triggered_id == ids.ANN_BULK_ACCEPT_CONFIRM else "rejected"
    matching = matching_spans(store, symbol, label, source, status, person)
    who = acting_name(user)
    count = store.set_status([s.id for s in matching], new, reviewed_by=who)
    orch.audit.record(
        who,
        f"bulk {new}",
        f"{count} spans ({symbol}, label {label or '*'}, "
        f"source {source or '*'}, status {status or '*'}, person {person or '*'})",
    )
    return answer(TOLD, f"Marked {count:,} spans {new}")


@callbacks.callback(
    output=TOLD,
    inputs={"_clicks": Input(ids.ANN_UNDO, "n_clicks")},
    state={"user": State(ids.USER_NAME, "value")},
    prevent_initial_call=True,
)
@refusals(TOLD)
def on_undo(_clicks, user=None):
    require("edit or delete spans")
    orch = orchestrator()
    undone = orch.annotations.undo()
    if undone:
        orch.audit.record(acting_name(user), "undo", undone)
    return answer(TOLD, undone or "Nothing to undo", "info")


@callbacks.callback(
    output=TOLD,
    inputs={"_clicks": Input(ids.ANN_FROM_MODEL, "n_clicks")},
    state={
        "symbol": State(ids.SYMBOL, "value"),
        "min_confidence": State(ids.PATTERN_MIN_CONF, "value"),
    },
    prevent_initial_call=True,
)
@refusals(TOLD)
def on_model_spans(_clicks, symbol, min_confidence):
    require("send model spans to review")
    return answer(TOLD, *review_model_spans(orchestrator(), symbol, min_confidence))


def review_model_spans(orch, symbol: str, min_confidence) -> tuple[str, str]:
    """Send the champion's predicted spans to the review queue; the text and colour to show."""
    from serving.model_spans import model_spans_to_review

    found = added = 0
    try:
        for timeframe in orch.live_patterns.timeframes:
            result = model_spans_to_review(
                orch.live_patterns, orch.annotations, symbol, timeframe, None, min_confidence or 0.0
            )
            found, added = found + result["found"], added + result["added"]
    except NoModel as exc:
        return str(exc), "warning"
    if not found:
        return "The champion has predicted no span at this confidence yet.", "info"
    text = f"{added} model spans to review ({found - added} already sent); "
    return text + "filter the list by source 'model'", "success"


@callbacks.callback(
    Output(ids.ANN_EXPORT_FILE, "data"),
    inputs={
        "_json": Input(ids.ANN_EXPORT_JSON, "n_clicks"),
        "_csv": Input(ids.ANN_EXPORT_CSV, "n_clicks"),
    },
    state=LIST_FILTERS,
    prevent_initial_call=True,
)
def on_export(_json, _csv, symbol, label, source, status, person=None):
    """The spans the list's filters keep, as the CLI's ``annotations export`` writes them."""
    import tempfile
    from pathlib import Path

    from labels.annotation_files import export_spans

    orch = orchestrator()
    spans = matching_spans(orch.annotations, symbol, label, source, status, person)
    suffix = ".csv" if ctx.triggered_id == ids.ANN_EXPORT_CSV else ".json"
    with tempfile.TemporaryDirectory(dir=orch.config.data_path) as folder:
        path = export_spans(spans, Path(folder) / f"annotations{suffix}")
        content = path.read_text(encoding="utf-8")
    name = f"annotations-{symbol.replace('/', '-')}{suffix}"
    return {"content": content, "filename": name,
            "type": "text/csv" if suffix == ".csv" else "application/json"}  # fmt: skip


@callbacks.callback(
    output=TOLD,
    # The name too: a second file with the same bytes is still a new import.
    inputs={
        "contents": Input(ids.ANN_IMPORT, "contents"),
        "filename": Input(ids.ANN_IMPORT, "filename"),
    },
    state={"user": State(ids.USER_NAME, "value")},
    prevent_initial_call=True,
)
@refusals(TOLD)
def on_import(contents, filename, user=None):
    """A span file (.json or .csv, the CLI's format) added all or nothing, as
    ``annotations import`` does; a bad file answers with its line or item."""
    import base64
    import tempfile
    from pathlib import Path

    from labels.annotation_files import read_spans

    require("import annotations")
    if not contents:
        return answer(TOLD, "Pick a .json or .csv file to import.", "info")
    orch = orchestrator()
    suffix = Path(filename or "").suffix.lower()
    data = base64.b64decode(contents.split(",", 1)[1])
    with tempfile.TemporaryDirectory(dir=orch.config.data_path) as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            spans = read_spans(path)
        except ValueError as exc:
            raise ValueError(str(exc).replace(str(path), filename or "the file")) from None
    added = orch.annotations.add_many(spans)
    who = acting_name(user)
    orch.audit.record(who, "import", f"{filename}: {len(spans)} spans read, {added} new")
    return answer(TOLD, f"{filename}: {len(spans)} spans read; {added} new, "
                        f"{len(spans) - added} already there")  # fmt: skip
