"""A ticket's arrival window: the one operation that sets, changes or clears it.

The window (``window_start`` .. ``window_end``) is the span in which the engineer should
arrive: a dispatcher offers or moves it, a customer books it on the tracking page
(``backend.booking``). Both go through ``set_arrival_window`` so the rules, the audit line
(who, why, from and to) and the version bump the phone's sync reads are the same whoever
changes it. Plain values in, ``flush()`` only; the audit event's hooks (webhooks through the
outbox) act after the commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from backend.accounts.models import User
from backend.db import db, utcnow
from backend.errors import Invalid, InvalidTransition, NotAllowed
from backend.workorders.audit import record_activity
from backend.workorders.models import Ticket
from backend.workorders.operations import check_version
from backend.workorders.states import TERMINAL_STATUSES, Actor, allowed_actions

# A window is a promise of an arrival, not a date range of a project: longer ones are typos.
MAX_SPAN = timedelta(days=7)
# Who changed it, as the audit line says (``data.by``).
BY = ("dispatcher", "customer")


def _utc(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise Invalid(
            f"{field} needs a time zone (e.g. 2026-12-05T08:00:00Z)",
            errors={field: ["a time zone (Z or +hh:mm) is required"]},
        )
    return value


def check_window(start: datetime | None, end: datetime | None, *, now: datetime) -> None:
    """Both ends or neither; ``start <= end``; not over; at most ``MAX_SPAN`` long. Each
    refusal is a 422 naming the field."""
    if (start is None) != (end is None):
        missing = "end" if end is None else "start"
        raise Invalid(
            "an arrival window needs both start and end (or neither, to clear it)",
            errors={missing: ["required with the other end"]},
        )
    if start is None or end is None:
        return
    _utc(start, "start")
    _utc(end, "end")
    if end < start:
        raise Invalid(
            "the window ends before it starts", errors={"end": ["must not be before start"]}
        )
    if end <= now:
        raise Invalid("the window is already over", errors={"end": ["must be in the future"]})
    if end - start > MAX_SPAN:
        raise Invalid(
            f"the window is longer than {MAX_SPAN.days} days",
            errors={"end": [f"at most {MAX_SPAN.days} days after start"]},
        )


def set_arrival_window(
    ticket: Ticket,
    *,
    actor: User | None,
    start: datetime | None,
    end: datetime | None,
    reason: str | None = None,
    by: str = "dispatcher",
    via: str = "api",
    version: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Set (both ends), change, or clear (neither) the ticket's arrival window. ``actor``
    None is the customer (``by="customer"``) or the system; a user must be staff. Refused on a
    finished ticket (409). Answers whether anything changed: the same window again writes
    nothing and keeps the version."""
    if by not in BY:
        raise ValueError(f"by must be one of {BY}")
    if actor is not None and not actor.is_staff:
        raise NotAllowed("only a dispatcher or admin may change an arrival window")
    check_window(start, end, now=now or utcnow())
    check_version(ticket, version)
    if ticket.status in TERMINAL_STATUSES:
        raise InvalidTransition(
            f"ticket {ticket.number} is {ticket.status}: its arrival window cannot change",
            current_status=ticket.status,
            allowed_actions=allowed_actions(ticket.status, Actor.STAFF),
        )
    before = (ticket.window_start, ticket.window_end)
    if before == (start, end):
        return False
    ticket.window_start, ticket.window_end = start, end
    record_activity(
        ticket,
        actor=actor,
        action="arrival_window",
        via=via,
        reason=(reason or "").strip() or None,
        data={
            "by": by,
            "from": _span(*before),
            "to": _span(start, end),
        },
    )
    db.session.flush()
    return True


def _span(start: datetime | None, end: datetime | None) -> dict[str, str] | None:
    if start is None or end is None:
        return None
    return {"start": start.isoformat(), "end": end.isoformat()}
