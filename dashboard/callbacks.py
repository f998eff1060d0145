"""Callbacks registered per app, not in Dash's global list.

Dash hands its global ``@callback`` list to the first app that starts serving, so a second app in
the same process (tests, WSGI set-ups) would get none. Each feature module collects its callbacks
in a ``CallbackSet`` and ``create_app`` registers them on its own app.
"""

from __future__ import annotations


class CallbackSet:
    def __init__(self):
        self._items: list[tuple[tuple, dict, object]] = []

    def callback(self, *args, **kwargs):
        def decorate(fn):
            self._items.append((args, kwargs, fn))
            return fn

        return decorate

    def register(self, app) -> None:
        for args, kwargs, fn in self._items:
            app.callback(*args, **kwargs)(fn)
