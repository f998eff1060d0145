"""Callbacks registered per app, not in Dash's global list.

Dash hands its global ``@callback`` list to the first app that starts serving, so a second app in
the same process (tests, WSGI set-ups) would get none. Each feature module collects its callbacks
in a ``CallbackSet`` and ``create_app`` registers them on its own app.

Both of Dash's forms pass through: positional ``Output``/``Input``/``State`` arguments, and the
keyword form (``output=``, ``inputs=dict(...)``, ``state=dict(...)``) whose function takes its
inputs and states as keyword arguments of those names.
"""

from __future__ import annotations


class InputRefused(ValueError):
    """A callback input refused with words for the person (a forged or stale payload): the 400
    that answers the callback says this message. Any other exception's text stays in the log."""


class CallbackSet:
    def __init__(self):
        self._items: list[tuple[tuple, dict, object]] = []
        self._clientside: list[tuple[object, tuple, dict]] = []

    def callback(self, *args, **kwargs):
        def decorate(fn):
            self._items.append((args, kwargs, fn))
            return fn

        return decorate

    def clientside(self, function, *args, **kwargs):
        """A clientside callback: ``function`` names a JS function of the page's assets, as
        Dash's ``ClientsideFunction(namespace, function_name)``."""
        self._clientside.append((function, args, kwargs))

    def register(self, app) -> None:
        for function, args, kwargs in self._clientside:
            app.clientside_callback(function, *args, **kwargs)
        for args, kwargs, fn in self._items:
            # Dash merges a keyword-form ``inputs`` dict into the ``state`` dict it is given:
            # each registration gets copies, so the stored dicts (and any shared between
            # callbacks) stay as written for the next app.
            copies = {k: dict(v) if isinstance(v, dict) else v for k, v in kwargs.items()}
            app.callback(*args, **copies)(fn)
