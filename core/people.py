"""People and what their roles may do: the one table of actions and the role each needs.

With auth on (``server.auth_token`` or ``server.users``) every person signs in and has a role:

- ``viewer`` reads only (charts, lists, exports, the audit list);
- ``annotator`` also labels (saves, edits, deletes spans, auto-labels, imports annotations) and
  reviews (accepts or rejects spans, one at a time or in bulk, uncertainty verdicts), draws on
  the charts and manages alerts;
- ``operator`` also builds datasets, trains models, moves champions and runs backtests.

On loopback without a token everyone is an operator. The REST routes and the dashboard's
callbacks both ask :func:`refusal` with an action of :data:`ACTIONS`, so a role means the same
everywhere. Pure: no Flask here (``dashboard/people.py`` finds the person of a request).
"""

from __future__ import annotations

from dataclasses import dataclass

VIEWER, ANNOTATOR, OPERATOR = "viewer", "annotator", "operator"
ROLES = (VIEWER, ANNOTATOR, OPERATOR)  # each may do what the ones before it may
ADMIN = "admin"  # the person ``server.auth_token`` signs in as (an operator)

MAX_NAME_LENGTH = 64
NAME_FORBIDDEN = '<>"`\\'

# Every action that changes something, and the least role that may take it. Reading needs no
# entry: every signed-in person may read.
ACTIONS = {
    "save spans": ANNOTATOR,
    "edit or delete spans": ANNOTATOR,  # edit, delete, undo
    "review spans": ANNOTATOR,  # accept, reject (one or all matching), uncertainty verdicts
    "send model spans to review": ANNOTATOR,
    "import annotations": ANNOTATOR,
    "auto-label": ANNOTATOR,  # start or cancel
    "build datasets": OPERATOR,
    "train models": OPERATOR,  # pattern and neural, start or cancel
    "move champions": OPERATOR,
    "run backtests": OPERATOR,  # start or cancel
    "run searches": OPERATOR,  # parameter searches: start, resume or cancel
    "run walk-forwards": OPERATOR,  # start, resume or cancel
    "draw on charts": ANNOTATOR,  # horizontal lines, trend lines, rectangles: add or delete
    # Add or delete alerts. Annotators, like drawing: an alert only tells people (a toast, a
    # post to a host the config allows); it changes no data, model or job, so it needs no
    # operator, but it reaches every open page and may post out, so not every viewer.
    "manage alerts": ANNOTATOR,
}


@dataclass(frozen=True)
class Person:
    """Who acts. ``signed_in``: identified by a token (auth on); False on loopback, where the
    name is the one chosen in the page, an ``X-User`` header or ``annotations.author``."""

    name: str
    role: str
    signed_in: bool = False


def name_problem(name: str) -> str | None:
    """What is wrong with a person's name, in words a person can act on; None when it is fine.

    >>> name_problem("ann") is None
    True
    >>> name_problem(" ")
    'the name is empty'
    """
    if not name.strip():
        return "the name is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"the name is {len(name)} characters long: at most {MAX_NAME_LENGTH} are allowed"
    bad = sorted({ch for ch in name if ch in NAME_FORBIDDEN or not ch.isprintable()})
    if bad:
        return (
            f"the name {name!r} has characters that are not allowed: {''.join(bad)!r} "
            f"(no tabs, line breaks or {' '.join(NAME_FORBIDDEN)})"
        )
    if name != name.strip():
        return f"the name {name!r} begins or ends with a space"
    return None


def _plural(role: str) -> str:
    return f"{role}s"


def refusal(person: Person, action: str) -> str | None:
    """Why ``person`` may not take ``action``, or None when they may.

    >>> refusal(Person("ann", "viewer", True), "save spans")
    "viewer 'ann' may not save spans: annotators and operators may"
    """
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
    need = ACTIONS[action]
    have = ROLES.index(person.role) if person.role in ROLES else -1
    if have >= ROLES.index(need):
        return None
    allowed = [_plural(r) for r in ROLES[ROLES.index(need) :]]
    who = " and ".join(allowed)
    return f"{person.role} {person.name!r} may not {action}: {who} may"
