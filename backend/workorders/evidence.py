"""The evidence policy: who may attach evidence (notes, photos, parts, signatures) to a ticket,
and what happens when it arrives for a job that has moved on. One owner for every feature that
records evidence, REST or sync (docs/sync-protocol.md, "evidence on a job that moved on").

- Staff and the current assignee may always add evidence.
- An engineer who *was* assigned the job (per the audit trail) may still deliver what was
  recorded offline: the work was done, the stock left the van, the customer signed. Anyone
  else gets a plain 'not found', so ticket ids cannot be probed.
- Evidence arriving after the job was cancelled or reassigned is kept and attached; the sync
  mutation records a conflict ``evidence_after_cancel`` / ``evidence_after_reassign`` so the
  dispatcher sees it (``backend.workorders.sync_mutations.evidence_conflict``).

Plain values in, no flask, no sync: features that only record evidence over REST use it too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from backend.accounts.models import User
from backend.db import db
from backend.errors import NotAllowed, NotFound
from backend.workorders.models import Ticket, TicketEvent
from backend.workorders.operations import get_ticket, moved_on


def was_ever_assigned(ticket: Ticket, user: User) -> bool:
    """Has ``user`` ever been the ticket's assignee (an assignment event names them)?"""
    stmt = select(TicketEvent.id).where(
        TicketEvent.ticket_id == ticket.id,
        TicketEvent.data["to_assignee"].astext == str(user.id),
    )
    return db.session.scalar(stmt.limit(1)) is not None


def may_add_evidence(ticket: Ticket, user: User) -> bool:
    """Staff, the assignee, or an engineer the job was taken away from (their offline
    evidence is kept)."""
    return user.is_staff or ticket.assignee_id == user.id or was_ever_assigned(ticket, user)


def ticket_for_evidence(ticket_id: uuid.UUID, user: User, *, lock: bool = False) -> Ticket:
    """The ticket ``user`` may attach evidence to; 'not found' for anyone else (no probing)."""
    ticket = get_ticket(ticket_id, lock=lock)
    if not may_add_evidence(ticket, user):
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket


def check_evidence_access(ticket: Ticket, user: User, *, offline: bool, what: str) -> bool:
    """May ``user`` record evidence on ``ticket`` now? Staff and the assignee: yes (False).
    Evidence recorded ``offline`` by an engineer the job was since taken from: kept, and True
    says it is stale (a conflict is noted). Anyone else, or online: refused (403)."""
    if user.is_staff or ticket.assignee_id == user.id:
        return False
    if offline and was_ever_assigned(ticket, user):
        return True
    raise NotAllowed(f"you cannot {what} ticket {ticket.number}: it is not assigned to you")


def audit_via(offline: bool) -> str:
    """How the audit trail names the channel evidence came through."""
    return "sync" if offline else "api"


@dataclass(frozen=True)
class LateEvidence:
    """Evidence that arrived for a job no longer the engineer's: why, and the conflict to
    record for the dispatcher."""

    why: str  # cancelled | reassigned
    kind: str  # evidence_after_cancel | evidence_after_reassign
    message: str


def late_evidence(ticket: Ticket, user: User, what: str) -> LateEvidence | None:
    """None while the job is still ``user``'s; else the conflict to record. ``what`` is the
    message's subject, with ``{number}`` and ``{why}`` filled in (``"a note was added to
    ticket {number} after it was {why}"``)."""
    why = moved_on(ticket, user)
    if why is None:
        return None
    kind = f"evidence_after_{'cancel' if why == 'cancelled' else 'reassign'}"
    return LateEvidence(why, kind, what.format(number=ticket.number, why=why))


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    """The server's side of a ticket conflict: what the dispatcher compares the phone's
    values with."""
    return {
        "status": ticket.status,
        "assignee_id": str(ticket.assignee_id) if ticket.assignee_id else None,
        "version": ticket.version,
        "priority": ticket.priority,
    }
