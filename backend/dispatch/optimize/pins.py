"""Which planned tickets the batch plan must leave with their engineer, and why.

A plan that silently undoes what a person decided is worse than no plan: a dispatcher who
assigned a ticket by hand, or overrode the recommendation with a reason, knew something the
optimizer does not. So such a ticket is **pinned** to its engineer by default, and only an
explicit ``unpin`` in the request (the dispatcher freeing it in the preview) lets the plan
move it. Tickets the engineer has accepted or is driving to, and tickets flagged
``dispatch_flags.pinned``, are pinned too; the first two cannot be unpinned (the engineer is
already committed to them).

Who assigned is read from the audit trail: the latest assign/reassign event of the ticket.
An event with an actor that was not the batch plan (``data.mode == "plan"``, or the reason
``"batch plan"`` of plans applied before the mode was recorded) is a person's decision;
auto-dispatch has no actor.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on

from backend.db import db
from backend.errors import Invalid
from backend.workorders.models import Ticket, TicketEvent
from backend.workorders.states import Status

PLAN_REASON = "batch plan"
# Pins a dispatcher may lift in the preview; the others hold whatever the request says.
UNPINNABLE = ("accepted", "en_route")
LIFTABLE = ("manual", "override", "flag")


def _by_person(data: dict[str, Any] | None, reason: str | None) -> bool:
    return (data or {}).get("mode") != "plan" and reason != PLAN_REASON


def _last_assignments(ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, TicketEvent]:
    if not ids:
        return {}
    stmt = (
        select(TicketEvent)
        .where(TicketEvent.ticket_id.in_(ids), TicketEvent.action.in_(("assign", "reassign")))
        .order_by(TicketEvent.ticket_id, TicketEvent.at.desc())
        .ext(distinct_on(TicketEvent.ticket_id))
    )
    return {e.ticket_id: e for e in db.session.scalars(stmt)}


def pin_reasons(tickets: Sequence[Ticket]) -> dict[uuid.UUID, str]:
    """Per assigned ticket that a plan must not move by default, why: ``accepted``,
    ``en_route`` (the engineer's commitment), ``flag`` (``dispatch_flags.pinned``),
    ``override`` (a person overrode the recommendation) or ``manual`` (a person assigned it)."""
    out: dict[uuid.UUID, str] = {}
    assigned = [t for t in tickets if t.assignee_id is not None]
    events = _last_assignments([t.id for t in assigned])
    for t in assigned:
        if t.status == Status.ACCEPTED:
            out[t.id] = "accepted"
        elif t.status == Status.EN_ROUTE:
            out[t.id] = "en_route"
        elif (t.dispatch_flags or {}).get("pinned"):
            out[t.id] = "flag"
        elif (e := events.get(t.id)) is not None and e.actor_id and _by_person(e.data, e.reason):
            out[t.id] = "override" if (e.data or {}).get("override") else "manual"
    return out


def effective_pins(
    tickets: Sequence[Ticket], unpin: Iterable[uuid.UUID]
) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, str]]:
    """(pins that hold, pins the dispatcher lifted). ``unpin`` may only name planned tickets
    with a liftable pin: anything else is a 422 naming the ticket, never silently ignored."""
    reasons = pin_reasons(tickets)
    numbers = {t.id: t.number for t in tickets}
    wrong: list[str] = []
    lifted: dict[uuid.UUID, str] = {}
    for tid in unpin:
        why = reasons.get(tid)
        if tid not in numbers:
            wrong.append(f"{tid} is not in the plan")
        elif why not in LIFTABLE:
            wrong.append(
                f"{numbers[tid]} is not pinned"
                if why is None
                else f"{numbers[tid]} is {why.replace('_', ' ')} by its engineer"
            )
        else:
            lifted[tid] = why
    if wrong:
        raise Invalid("cannot unpin: " + "; ".join(wrong), errors={"unpin": wrong})
    return {k: v for k, v in reasons.items() if k not in lifted}, lifted
