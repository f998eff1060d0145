"""Where callbacks and routes find the live state: the Flask app's extensions (Flask convention)."""

from __future__ import annotations

from flask import current_app

from runtime.orchestrator import Orchestrator

EXTENSION = "orchestrator"


def orchestrator() -> Orchestrator:
    return current_app.extensions[EXTENSION]
