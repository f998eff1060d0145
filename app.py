"""Entry point.

``python app.py [--config PATH] [--host H] [--port N]`` serves the dashboard;
``python app.py <command> ...`` runs the same jobs from the command line (see ``--help``).
``create_app(config_path)`` builds the Dash app without serving it (tests, WSGI); call
``app.server.extensions["orchestrator"].start()`` to start the feed.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import dash  # noqa: E402

# Plotly's JSON encoder looks PIL.Image up in sys.modules without importing it, so while a
# training thread is importing PIL (MLflow does, the first time) a page tick in another thread
# finds it half-initialised and fails with a 400. Imported whole here, before any thread.
import PIL.Image  # noqa: E402, F401

from core.config import ConfigError  # noqa: E402
from core.db import StorageError  # noqa: E402
from core.schema import SchemaError  # noqa: E402
from runtime.config import Config, load_config  # noqa: E402
from runtime.orchestrator import Orchestrator  # noqa: E402

log = logging.getLogger("tradedash")


def _annotations_version(orch) -> str | int:
    """The version a page opens with (``annotations.stores``). A database that can't say now
    (a dropped PostgreSQL listener) must not fail the page: 0, and its first tick catches up."""
    try:
        return orch.annotations.version
    except Exception as exc:
        log.warning("annotations version unreadable as a page opened: %s", exc)
        return 0


HERE = Path(__file__).resolve().parent


def create_app(config_path: str | Path | None = None, config: Config | None = None) -> dash.Dash:
    """The Dash app with its REST API, holding one Orchestrator (not started)."""
    from dashboard.api.routes import register_api
    from dashboard.context import EXTENSION
    from dashboard.layout import page
    from dashboard.panels import (
        alerts_panel,
        annotation_actions,
        annotations,
        backtest_panel,
        champion_panel,
        models_tab,
        neural_panel,
        predictions_panel,
        replay,
        research_panel,
        results_view,
        review_panel,
        side_tabs,
        status,
        training_panel,
    )
    from dashboard.panels.charts import (
        chart_drawings,
        deep_link,
        indicator_menu,
        live_charts,
        tick_clock,
    )
    from dashboard.people import current_person
    from dashboard.server import plotly_utc, security
    from dashboard.server import timing as server_timing

    config = config or load_config(config_path)
    # Here, not only in `serve`: every way of serving (gunicorn, any WSGI server) builds the app
    # through this function, so none serves a reachable host or debug without a token.
    refused = security.unsafe_start(config.server.host, config.server.debug, config.server.auth_on)
    if refused:
        raise ConfigError(refused)
    orch = Orchestrator(config)
    app = dash.Dash(
        __name__,
        title=config.dashboard.title,
        assets_folder=str(HERE / "assets"),
        suppress_callback_exceptions=True,
        update_title=None,
    )
    for module in (
        live_charts, indicator_menu, status, annotations, annotation_actions, training_panel,
        neural_panel, champion_panel, predictions_panel, models_tab, review_panel, replay,
        backtest_panel, research_panel, results_view, chart_drawings, alerts_panel, deep_link,
        tick_clock, side_tabs,
    ):  # fmt: skip
        module.callbacks.register(app)
    app.server.extensions[EXTENSION] = orch
    app.layout = lambda: page(
        config,
        orch.symbols(),
        side_panels=[
            # With auth on, the "You are" box shows the signed-in person and can't be changed.
            annotations.layout(config.annotations.labels, current_person()),
            training_panel.layout(config.training.default_model),
            predictions_panel.layout(),
            models_tab.layout(),
            review_panel.layout(config.annotations.labels),
            backtest_panel.layout(config, orch.symbols()),
            alerts_panel.layout(orch.symbols()),
        ],
        ann_version=_annotations_version(orch),
    )
    register_api(app.server)
    server_timing.install(app.server)
    # After every callback is registered: the CSP names Dash's inline scripts by their hashes.
    security.install(
        app.server, config.server, orch.db, app.csp_hashes(), config.annotations.author
    )
    # After the security checks: a request they refuse never gets the bundle.
    plotly_utc.install(app.server, app.config.routes_pathname_prefix)
    return app


def serve(args) -> int:
    from dashboard.server.serving import serve_forever

    config = load_config(args.config)
    host = args.host or config.server.host
    port = args.port or config.server.port
    # --host and --port win over the file (and the Host-header check then knows the name);
    # create_app refuses a reachable host or debug without a token.
    server = dataclasses.replace(config.server, host=host, port=port)
    app = create_app(config=dataclasses.replace(config, server=server))
    return serve_forever(app, server)


def main(argv: list[str] | None = None) -> int:
    from cli import build_parser

    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    parser = build_parser(serve)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as exc:
        log.error("configuration error: %s", exc)
        return 2
    except (StorageError, SchemaError) as exc:
        log.error("storage: %s", exc)
        return 2
    except (ValueError, OSError, ArithmeticError) as exc:
        # Bad arguments, files and data: every such error says what is wrong and where.
        log.error("%s", exc)
        return 2
    except RecursionError:
        log.error("the input is nested too deeply to read")
        return 2


if __name__ == "__main__":
    sys.exit(main())
