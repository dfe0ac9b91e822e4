"""The ticket state machine as data: statuses, actions and who may take them.

Pure: no database, no Flask. The REST API, sync push and the tests all read this one table,
so "what does complete mean" has exactly one answer.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass


class Status(enum.StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Priority(enum.StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Actor(enum.StrEnum):
    """Who may take an action: the assigned engineer, or staff (dispatcher/admin)."""

    ENGINEER = "engineer"
    STAFF = "staff"


ACTIVE_WORK = (Status.ACCEPTED, Status.EN_ROUTE, Status.ON_SITE, Status.IN_PROGRESS)
OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, *ACTIVE_WORK, Status.ON_HOLD)
TERMINAL_STATUSES = (Status.COMPLETED, Status.CLOSED, Status.CANCELLED)
# A dispatcher may (re)assign or unassign any ticket that is still open.
ASSIGNABLE = frozenset(OPEN_STATUSES)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[Status, ...]
    # None: the target is computed (resume returns to the status held from; reopen depends
    # on whether an assignee remains).
    target: Status | None
    actors: frozenset[Actor]


_BOTH = frozenset({Actor.ENGINEER, Actor.STAFF})
_STAFF = frozenset({Actor.STAFF})

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("accept", (Status.ASSIGNED,), Status.ACCEPTED, _BOTH),
        Transition("reject", (Status.ASSIGNED,), Status.NEW, _BOTH),
        Transition("start_travel", (Status.ACCEPTED,), Status.EN_ROUTE, _BOTH),
        Transition("arrive", (Status.EN_ROUTE,), Status.ON_SITE, _BOTH),
        Transition("start_work", (Status.ON_SITE,), Status.IN_PROGRESS, _BOTH),
        Transition("hold", ACTIVE_WORK, Status.ON_HOLD, _BOTH),
        Transition("resume", (Status.ON_HOLD,), None, _BOTH),
        Transition("complete", (Status.IN_PROGRESS,), Status.COMPLETED, _BOTH),
        Transition("close", (Status.COMPLETED,), Status.CLOSED, _STAFF),
        Transition(
            "cancel",
            (Status.NEW, Status.ASSIGNED, *ACTIVE_WORK, Status.ON_HOLD),
            Status.CANCELLED,
            _STAFF,
        ),
        Transition("reopen", TERMINAL_STATUSES, None, _STAFF),
    )
}

ACTIONS = tuple(TRANSITIONS)
# Actions that need a reason in the audit trail.
REASON_REQUIRED = frozenset({"reject", "hold", "cancel", "reopen"})


def allowed_actions(status: str, actor: Actor) -> list[str]:
    return [t.action for t in TRANSITIONS.values() if status in t.sources and actor in t.actors]


def target_status(
    action: str, status: str, *, held_from: str | None = None, has_assignee: bool = False
) -> Status:
    """The status after ``action``; the caller has already checked it is allowed."""
    t = TRANSITIONS[action]
    if t.target is not None:
        return t.target
    if action == "resume":
        return Status(held_from) if held_from in ACTIVE_WORK else Status.ACCEPTED
    # reopen
    return Status.ASSIGNED if has_assignee else Status.NEW


def is_valid_path(statuses: list[str]) -> bool:
    """Whether a sequence of statuses could have been produced by this machine (including
    dispatcher assignment moves, which are not user actions). Used by property tests."""
    assign_moves = {
        (Status.NEW, Status.ASSIGNED),
        *((s, Status.ASSIGNED) for s in (Status.ASSIGNED, *ACTIVE_WORK, Status.ON_HOLD)),
        *((s, Status.NEW) for s in (Status.ASSIGNED, *ACTIVE_WORK, Status.ON_HOLD)),
    }
    for a, b in itertools.pairwise(statuses):
        if (a, b) in assign_moves:
            continue
        if not any(
            a in t.sources
            and (
                t.target == b
                or (t.target is None and b in {*ACTIVE_WORK, Status.NEW, Status.ASSIGNED})
            )
            for t in TRANSITIONS.values()
        ):
            return False
    return True
