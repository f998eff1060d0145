"""A ``Server-Timing: app;dur=<ms>`` header on every response: the time the server spent on the
request, so a browser's (or a bench's) latency splits into the server's work and the wait around
it (queueing, a busy machine)."""

from __future__ import annotations

import time

from flask import Flask, g


def install(server: Flask) -> None:
    @server.before_request
    def _start_clock():
        g.server_timing_start = time.perf_counter()

    @server.after_request
    def _add_header(response):
        began = g.get("server_timing_start")
        if began is not None:
            response.headers.add(
                "Server-Timing", f"app;dur={(time.perf_counter() - began) * 1000:.1f}"
            )
        return response
