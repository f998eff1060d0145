"""Fixtures of the runtime tests that more than one module uses."""

from __future__ import annotations

import pytest

from tests.helpers.ray_head import RayHead


@pytest.fixture(scope="module")
def head():
    """A real local Ray head for the module (about a second to start, its workers longer); the
    driver disconnects from it at the module's end, so each module starts with no Ray
    connection."""
    started = RayHead().start()
    try:
        yield started
    finally:
        import ray

        ray.shutdown()  # (a no-op when not connected)
        started.stop()
