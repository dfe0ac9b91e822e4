"""Dispatch jobs (rq). Enqueued after commit by the hooks in ``wiring.py``; P1 tickets go to
the ``high`` queue, which workers drain first."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.db import db, utcnow
from backend.dispatch.operations import auto_dispatch
from backend.dispatch.settings import current_settings
from backend.jobs import enqueue_after_commit, job
from backend.workorders.models import Ticket


@job(queue="default", timeout=60, retry=(5, 30, 120))
def auto_dispatch_ticket(ticket_id: str) -> str | None:
    """Assign the ticket to the best engineer, or flag it and notify dispatchers. Returns the
    decision id, or None. A ticket that meanwhile was assigned, cancelled or deleted is left
    alone (the job may run well after it was queued)."""
    stmt = select(Ticket).where(Ticket.id == uuid.UUID(ticket_id)).with_for_update()
    ticket = db.session.scalars(stmt).first()
    if ticket is None:
        return None
    decision = auto_dispatch(ticket, settings=current_settings(), now=utcnow())
    return str(decision.id) if decision else None


def queue_for(priority: str) -> str:
    return "high" if priority == "P1" else "default"


def enqueue_auto_dispatch(ticket: Ticket) -> None:
    enqueue_after_commit(
        auto_dispatch_ticket,
        str(ticket.id),
        queue=queue_for(ticket.priority),
        job_id=None,
    )
