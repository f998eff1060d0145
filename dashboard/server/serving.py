"""Serving the app: waitress (one process, a pool of threads, request body limits), and a
graceful stop on SIGTERM or SIGINT.

One process matters: the orchestrator owns the feed, the jobs and the live state, and a second
worker would start them twice. waitress answers each request from a fixed pool of threads, so
a burst of clients queues instead of starting a thread each, and refuses bodies over the limit.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

from core.config import ServerConfig
from runtime.lifecycle import shutdown

log = logging.getLogger(__name__)

# A supervisor sends SIGKILL 10 s after SIGTERM (docker, systemd's default is longer): finish
# within that even when a step hangs.
EXIT_DEADLINE_S = 9.5


class _Stop(SystemExit):
    """Raised in the main thread by the signal handler to leave the server loop (waitress lets
    SystemExit through its handlers, and its ``run`` returns on it)."""


def serve_forever(app, server: ServerConfig) -> int:
    """Start the feed and jobs, serve until SIGTERM/SIGINT, then shut down; returns 0."""
    from waitress.server import create_server

    orch = app.server.extensions["orchestrator"]
    if server.debug:
        app.enable_dev_tools(debug=True, dev_tools_hot_reload=False)
    httpd = create_server(
        app.server,
        host=server.host,
        port=server.port,
        threads=server.threads,
        max_request_body_size=server.max_body_mb * 1024 * 1024,
        ident="tradedash",
        channel_timeout=60,
    )
    stopping = threading.Event()

    def on_signal(signum, _frame):
        if stopping.is_set():
            return
        stopping.set()
        log.info("%s received: shutting down", signal.Signals(signum).name)
        watchdog = threading.Timer(EXIT_DEADLINE_S, _exit_now)
        watchdog.daemon = True
        watchdog.start()
        raise _Stop

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        orch.start()
        log.info("dashboard on http://%s:%d", server.host, server.port)
        httpd.run()
    except _Stop:
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        httpd.close()
        shutdown(orch)
    return 0


def _exit_now() -> None:
    log.warning("shutdown took longer than %.1f s: exiting now", EXIT_DEADLINE_S)
    logging.shutdown()
    os._exit(0)
