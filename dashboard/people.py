"""The person a request acts for, and the role check every REST route and callback makes.

The security check (``server/security.py``) puts the person on ``flask.g`` before any route or
callback runs: the signed-in person with auth on; on loopback an operator named by the
``X-User`` header or ``annotations.author``. Code that records or checks who acts calls
:func:`current_person`, :func:`acting_name` or :func:`require` (the table of actions and roles is
``core/people.py``).
"""

from __future__ import annotations

from flask import g

from core.people import OPERATOR, VIEWER, Person, refusal
from dashboard.context import orchestrator

PERSON_KEY = "tradedash_person"


class Refused(PermissionError):
    """An action the person's role does not allow: a 403 in the API, the reason in the page."""


def set_current(person: Person) -> None:
    setattr(g, PERSON_KEY, person)


def current_person() -> Person:
    """Who the current request acts for.

    Outside a checked request (a callback called directly, Dash's start-up pass over the layout)
    nobody was identified: on loopback that is the local operator, with auth on a nameless
    viewer, so nothing is allowed that was not checked."""
    person = g.get(PERSON_KEY)
    if person is not None:
        return person
    config = orchestrator().config
    if config.server.auth_on:
        return Person("", VIEWER, False)
    return Person(config.annotations.author, OPERATOR, False)


def acting_name(chosen: str | None = None) -> str:
    """The name an action records. With auth on: the signed-in person, whatever the page sends.
    On loopback: the name chosen in the page's *You are* box, else the request's person
    (``X-User`` or ``annotations.author``)."""
    person = current_person()
    if person.signed_in:
        return person.name
    chosen = (chosen or "").strip()[:64]
    return chosen or person.name


def denied(action: str) -> str | None:
    """Why the current person may not take ``action`` (see ``core.people.ACTIONS``), or None."""
    return refusal(current_person(), action)


def require(action: str) -> Person:
    """The current person, when they may take ``action``; else :class:`Refused` with the
    reason."""
    reason = denied(action)
    if reason is not None:
        raise Refused(reason)
    return current_person()
