"""plotly.js with its date axes in UTC, whatever the browser's time zone.

The server sends every time as UTC epoch milliseconds (candles, spans, view ranges). plotly.js
reads a number on a date axis as the *browser's local* wall time (its ``ms2DateTimeLocal`` and
the JS-Date branch of ``dateTime2ms``; plotly.js has no time-zone option, issue #1532), so in
Tokyo every candle, span and range sat nine hours later on the axis than in UTC. Each view
range the page set from what it read back moved nine more hours: the live charts ran away
from their candles at each new one (the 1 s chart within a second), and a box drawn on a chart
named times nine hours off. Sending date strings instead would change every figure and every
script that reads the charts' numbers; these two functions are the only places the browser's
zone enters plotly.js's date axes (world calendars aside), so the bundle this server sends has
them read UTC instead. Ticks, hover text and the ranges of zooms and selections already work in
UTC; the page's own local-time switch (assets/time_zone.js) rewrites labels only.

The bundle is the pinned plotly package's, changed once at start; a plotly whose bundle no
longer has these two functions stops the start with a message saying so.
"""

from __future__ import annotations

import functools
import pkgutil
import re

from dash.fingerprint import check_fingerprint
from flask import Flask, Response, request

PACKAGE, BUNDLE = "plotly", "package_data/plotly.min.js"

# ``X.ms2DateTimeLocal=function(ms){``: answer with the UTC form (``ms2DateTime``) before the
# local one is made. (Each pattern starts with a literal: a leading ``\w+`` made the search of
# the 4.8 MB bundle take a second.)
_MS_TO_DATE = re.compile(r"\.ms2DateTimeLocal=function\((?P<ms>\w+)\)\{")
# ``X.dateTime2ms=function(v,cal){if(X.isJSDate(v)){...return v=Number(v)-offset,CHECK}``: a JS
# Date counts as its UTC instant (the numbers plotly meets on a date axis come this way).
_DATE_TO_MS = re.compile(
    r"(?P<head>\.dateTime2ms=function\((?P<v>\w+),\w+\)\{"
    r"if\(\w+\.isJSDate\((?P=v)\)\)\{)"
    r".{0,400}?return (?P=v)=Number\((?P=v)\)-\w+,(?P<check>[^;}]*)\}"
)
_NAME_BEFORE = re.compile(r"[\w$]+$")


class BundleChanged(RuntimeError):
    """The plotly.js bundle lacks a function this module changes (plotly was upgraded)."""


def utc_bundle(text: str) -> str:
    """The plotly.js bundle ``text`` with numbers and JS Dates on date axes read as UTC."""
    found = {}
    for name, pattern in (("ms2DateTimeLocal", _MS_TO_DATE), ("dateTime2ms", _DATE_TO_MS)):
        matches = list(pattern.finditer(text))
        if len(matches) != 1:
            raise BundleChanged(
                f"plotly.js bundle ({PACKAGE}/{BUNDLE}): its {name} is not the one "
                "dashboard/server/plotly_utc.py changes (was plotly upgraded?); without the "
                "change the charts draw times in the browser's zone, not UTC"
            )
        found[name] = matches[0]
    local, from_date = found["ms2DateTimeLocal"], found["dateTime2ms"]
    lib = _NAME_BEFORE.search(text, 0, local.start())[0]
    edits = sorted([
        (local.end(), local.end(), f"return {lib}.ms2DateTime({local['ms']});"),
        (from_date.end("head"), from_date.end(),
         f"return {from_date['v']}=Number({from_date['v']}),{from_date['check']}}}"),
    ])  # fmt: skip
    parts, at = [], 0
    for start, end, insert in edits:
        parts += [text[at:start], insert]
        at = end
    return "".join(parts) + text[at:]


@functools.cache
def _served_bundle() -> bytes:
    """Made once per process: every app built in it serves the same bytes."""
    return utc_bundle(pkgutil.get_data(PACKAGE, BUNDLE).decode("utf-8")).encode("utf-8")


def install(server: Flask, prefix: str = "/") -> None:
    """Serve the UTC bundle where Dash serves plotly.js (``prefix``: Dash's routes prefix).
    Install after the security checks: a request they refuse never reaches this one."""
    bundle = _served_bundle()
    folder = f"{prefix}_dash-component-suites/{PACKAGE}/"

    @server.before_request
    def _plotly_in_utc():
        if request.method not in ("GET", "HEAD") or not request.path.startswith(folder):
            return None
        path, fingerprinted = check_fingerprint(request.path[len(folder) :])
        if path != BUNDLE:
            return None
        response = Response(bundle, mimetype="application/javascript")
        if fingerprinted:  # as Dash serves it: the name changes with the version
            response.cache_control.max_age = 31536000
        else:
            # The page loads it by this name (dcc.Graph, on demand), revalidated on each load:
            # a browser holding the unchanged bundle from before gets this one (a new ETag).
            response.add_etag()
            response.make_conditional(request)
        return response
