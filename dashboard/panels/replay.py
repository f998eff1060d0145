"""Replay: a past period's candles and predictions played back in the order they arrived, at 1x
to 60x, with pause and a time slider.

The replay chart takes the live charts' place while it runs; the live charts stay in the page,
hidden, and keep receiving their ticks (the feed keeps recording), so leaving replay shows them
exactly where they would have been. A prediction appears once the replay clock passes the time
it was stored (``stored_at``, else its timestamp) and shows its outcome once the clock passes
``resolved_at``.
"""

from __future__ import annotations

import time
from html import escape

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from core.candles import frame_to_candles, timeframe_ms
from core.timefmt import format_ms, parse_time
from dashboard import ids
from dashboard.callbacks import CallbackSet, InputRefused
from dashboard.context import orchestrator
from dashboard.figures.charts import build_figure, overlay_traces, prediction_shapes
from dashboard.figures.note_figure import note_figure
from dashboard.figures.outcome_overlays import outcome_traces, split_pending
from predictions.book import KINDS
from predictions.queries import OUTCOME_FIELDS, stored

callbacks = CallbackSet()

SPEEDS = (1, 2, 5, 10, 30, 60)
HIDDEN = {"display": "none"}


def layout() -> html.Div:
    """The replay bar (always shown) and the replay chart (shown while replaying)."""
    bar = dbc.Row(
        [
            dbc.Col(html.Span("Replay", className="fw-bold small"), width="auto"),
            dbc.Col(dbc.Input(id=ids.REPLAY_FROM, placeholder="from (default: last hour)",
                              size="sm", style={"width": "11rem"}), width="auto"),
            dbc.Col(dbc.Input(id=ids.REPLAY_TO, placeholder="to (UTC)", size="sm",
                              style={"width": "9rem"}), width="auto"),
            dbc.Col(dbc.Select(id=ids.REPLAY_TF, options=[{"label": t, "value": t}
                               for t in ("1m", "1s")], value="1m", size="sm"), width="auto"),
            dbc.Col(dbc.Select(id=ids.REPLAY_SPEED, value="10", size="sm",
                               options=[{"label": f"{s}x", "value": str(s)} for s in SPEEDS]),
                    width="auto"),
            dbc.Col([dbc.Button(label, id=id_, size="sm", className="me-1", color="secondary")
                     for label, id_ in (("Replay", ids.REPLAY_START), ("Play", ids.REPLAY_PLAY),
                                        ("Pause", ids.REPLAY_PAUSE),
                                        ("Back to live", ids.REPLAY_LEAVE))], width="auto"),
            dbc.Col(html.Span(id=ids.REPLAY_CLOCK, className="small"), width="auto"),
        ],
        className="g-1 align-items-center mb-1",
    )  # fmt: skip
    box = html.Div(
        [
            dcc.Graph(id=ids.REPLAY_GRAPH, config={"displaylogo": False}),
            dcc.Slider(
                id=ids.REPLAY_SLIDER,
                min=0,
                max=1,
                step=1,
                value=0,
                marks=None,
                updatemode="mouseup",
                allow_direct_input=False,
            ),  # fmt: skip
        ],
        id=ids.REPLAY_BOX,
        style=HIDDEN,
    )
    return html.Div([bar, dbc.Alert(id=ids.REPLAY_MESSAGE, is_open=False, color="warning",
                                    className="py-1 px-2 small"), box,
                     dcc.Store(id=ids.REPLAY_STATE, data=None),
                     dcc.Interval(id=ids.REPLAY_TICK, interval=1000, disabled=True)])  # fmt: skip


# Each replay tick reads its period again: a day of 1 s candles is already 86,400 rows, and at
# 60x a day still takes 24 minutes to play.
MAX_PERIOD_MS = 24 * 3_600_000


def period(start_text, end_text, now_ms: int) -> tuple[int, int]:
    """(start, end) in ms: the typed UTC times; by default the last hour up to now."""
    end = parse_time(end_text, "to") if end_text else now_ms
    start = parse_time(start_text, "from") if start_text else end - 3_600_000
    if start >= end:
        raise ValueError("the replay period must start before it ends")
    if end - start > MAX_PERIOD_MS:
        hours = (end - start) / 3_600_000
        raise ValueError(f"the replay period is {hours:,.1f} h; it can be at most 24 h")
    return start, end


TIMEFRAMES = ("1m", "1s")
STATE_INTS = ("start", "end", "position", "wall")


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def checked_state(state, symbols) -> dict:
    """The replay state the browser sent back, checked as if typed in again: a known symbol, a
    replay timeframe and speed, and a period of at most 24 h (a forged state must not read a
    year of 1 s candles). Raises ``InputRefused`` saying what is wrong."""
    if not isinstance(state, dict):
        raise InputRefused("the replay state must be an object; press Replay to start again")
    missing = [k for k in ("symbol", "timeframe", *STATE_INTS, "speed", "playing")
               if k not in state]  # fmt: skip
    if missing:
        raise InputRefused(f"the replay state lacks {missing[0]!r}; press Replay to start again")
    if not isinstance(state["symbol"], str) or state["symbol"] not in symbols:
        raise InputRefused(f"the replay symbol {str(state['symbol'])[:40]!r} is not served here")
    if state["timeframe"] not in TIMEFRAMES:
        raise InputRefused(f"the replay timeframe must be one of {', '.join(TIMEFRAMES)}")
    if not all(_whole(state[k]) and abs(state[k]) < 2**53 for k in STATE_INTS):
        raise InputRefused("the replay times must be whole epoch milliseconds")
    if state["speed"] not in SPEEDS or not isinstance(state["playing"], bool):
        raise InputRefused(f"the replay speed must be one of {', '.join(map(str, SPEEDS))}")
    start, end = state["start"], state["end"]
    if start >= end:
        raise InputRefused("the replay period must start before it ends")
    if end - start > MAX_PERIOD_MS:
        hours = (end - start) / 3_600_000
        raise InputRefused(f"the replay period is {hours:,.1f} h; it can be at most 24 h")
    if not start <= state["position"] <= end:
        raise InputRefused("the replay position must lie inside its period")
    return state


def arrival(p: dict) -> int:
    return p.get("stored_at") or p["timestamp"]


def as_of(p: dict, clock: int) -> dict:
    """The prediction as it looked at ``clock``: its outcome only once known."""
    if p.get("resolved_at") is not None and p["resolved_at"] > clock:
        return {k: v for k, v in p.items() if k not in OUTCOME_FIELDS}
    return p


def replay_figure(
    candles, predictions: list[dict], symbol: str, timeframe: str, clock: int, period=None
):
    """The replay chart at ``clock``: candles opened by then, predictions arrived by then. A
    period without candles says so (with ``period``) rather than drawing empty axes."""
    if not candles and period is not None:
        start, end = (format_ms(t) for t in period)
        text = f"No {timeframe} candles of {escape(symbol)} between {start} and {end} UTC"
        return note_figure(text, uirevision=f"replay|{symbol}|{timeframe}")
    shown = [c for c in candles if c.time <= clock]
    held = {k: [as_of(p, clock) for p in predictions if p["kind"] == k and arrival(p) <= clock]
            for k in KINDS}  # fmt: skip
    pending, resolved = split_pending(held, None)
    start = shown[0].time if shown else None
    overlays = (overlay_traces(pending, shown, timeframe, KINDS, start),
                prediction_shapes(held, KINDS, start))  # fmt: skip
    extras = outcome_traces(resolved, shown, timeframe, KINDS, start)
    figure = build_figure(shown, {}, timeframe, KINDS, symbol, (), overlays, extra_traces=extras)
    title = f"{escape(symbol)} · {timeframe} · replay {format_ms(clock)} UTC"
    figure.update_layout(title={"text": title},
                         uirevision=f"replay|{symbol}|{timeframe}")  # fmt: skip
    if period is not None:  # the whole period's time axis, filling as the clock runs
        figure.update_xaxes(range=list(period), autorange=False)
    return figure


def clock_at(state: dict, now_ms: int) -> int:
    """Where the replay clock is now: it runs at ``speed`` while playing, up to the end."""
    if not state["playing"]:
        return state["position"]
    ran = (now_ms - state["wall"]) * state["speed"]
    return min(state["end"], state["position"] + ran)


def _now() -> int:
    return int(time.time() * 1000)


@callbacks.callback(
    Output(ids.REPLAY_STATE, "data"),
    Output(ids.REPLAY_SLIDER, "max"),
    Output(ids.REPLAY_SLIDER, "value"),
    Output(ids.REPLAY_BOX, "style"),
    Output(ids.CHARTS, "style"),
    Output(ids.REPLAY_MESSAGE, "children"),
    Output(ids.REPLAY_MESSAGE, "is_open"),
    Output(ids.REPLAY_TICK, "disabled"),
    inputs={
        "_start": Input(ids.REPLAY_START, "n_clicks"),
        "_play": Input(ids.REPLAY_PLAY, "n_clicks"),
        "_pause": Input(ids.REPLAY_PAUSE, "n_clicks"),
        "_leave": Input(ids.REPLAY_LEAVE, "n_clicks"),
        "slider": Input(ids.REPLAY_SLIDER, "value"),
        "speed": Input(ids.REPLAY_SPEED, "value"),
    },
    state={
        "state": State(ids.REPLAY_STATE, "data"),
        "start_text": State(ids.REPLAY_FROM, "value"),
        "end_text": State(ids.REPLAY_TO, "value"),
        "timeframe": State(ids.REPLAY_TF, "value"),
        "symbol": State(ids.SYMBOL, "value"),
    },
    prevent_initial_call=True,
)
def control(*, _start, _play, _pause, _leave, slider, speed, state, start_text, end_text,
            timeframe, symbol):  # fmt: skip
    """The buttons and the slider change the replay state; the tick only draws it (a state
    written on every tick could be lost when a slow tick's answer is dropped)."""
    trigger = ctx.triggered_id
    now = _now()
    if trigger == ids.REPLAY_START:
        try:
            start, end = period(start_text, end_text, now)
        except ValueError as exc:
            return (no_update,) * 5 + (str(exc), True, no_update)
        state = {"symbol": symbol, "timeframe": timeframe, "start": start, "end": end,
                 "position": start, "wall": now, "speed": int(speed), "playing": False}  # fmt: skip
    elif not state:
        raise PreventUpdate
    elif trigger == ids.REPLAY_LEAVE:
        return None, no_update, no_update, HIDDEN, {}, "", False, True
    else:
        state = checked_state(state, orchestrator().symbols())
        state = {**state, "position": clock_at(state, now), "wall": now}
        if trigger == ids.REPLAY_PLAY:
            state["playing"] = True
        elif trigger == ids.REPLAY_PAUSE:
            state["playing"] = False
        elif trigger == ids.REPLAY_SPEED:
            state["speed"] = int(speed)
        elif trigger == ids.REPLAY_SLIDER:
            state["position"] = min(state["end"], state["start"] + int(slider or 0) * 1000)
    seconds = (state["end"] - state["start"]) // 1000
    offset = (state["position"] - state["start"]) // 1000
    return state, seconds, offset, {}, HIDDEN, "", False, not state["playing"]


@callbacks.callback(
    Output(ids.REPLAY_GRAPH, "figure"),
    Output(ids.REPLAY_CLOCK, "children"),
    Input(ids.REPLAY_STATE, "data"),
    Input(ids.REPLAY_TICK, "n_intervals"),
    prevent_initial_call=True,
)
def draw(state, _tick):
    # Its own interval, running only while playing: a paused replay's draw is never superseded
    # by a tick that has nothing to draw.
    if not state:
        return no_update, ""  # left replay: no clock line
    orch = orchestrator()
    state = checked_state(state, orch.symbols())
    clock = clock_at(state, _now())
    figure = replay_figure(*replay_data(orch, state), state["symbol"], state["timeframe"], clock,
                           (state["start"], state["end"]))  # fmt: skip
    done = (clock - state["start"]) / max(1, state["end"] - state["start"])
    label = (f"{format_ms(clock)} UTC · {state['speed']}x ·"
             f" {'playing' if state['playing'] and clock < state['end'] else 'paused'}"
             f" · {done:.0%}")  # fmt: skip
    return figure, label


def replay_data(orch, state: dict) -> tuple[list, list[dict]]:
    """The period's stored candles and predictions (read each tick: the period is short, and
    checked again here, so no caller reads more than 24 h of candles)."""
    state = checked_state(state, orch.symbols())
    symbol, timeframe = state["symbol"], state["timeframe"]
    margin = timeframe_ms(timeframe)
    most = (state["end"] - state["start"]) // margin + 1
    frame = orch.store.history(symbol, timeframe, state["start"], state["end"] + 1, limit=most)
    candles = frame_to_candles(frame)
    predictions = stored(orch.db, symbol, None, state["start"] - margin, state["end"] + margin)
    return candles, predictions
