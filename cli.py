"""Command-line interface of ``python app.py``: serving and the jobs the dashboard runs."""

from __future__ import annotations

import argparse


def build_parser(serve) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python app.py", description="TradeDash: live charts, annotation and training."
    )
    parser.add_argument("--config", help="config file (default: config.yaml beside app.py)")
    parser.add_argument("--host", help="address to bind (default from config: 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default from config: 8050)")
    parser.set_defaults(handler=serve)
    parser.add_subparsers(dest="command", title="commands")
    return parser
