"""Read-side queries for tickets: the list with its filters, events and notes.

The bbox filter is written as ``location && ST_MakeEnvelope(...)`` so PostgreSQL can use the
GiST index ``ix_tickets_location``; the region filter uses the GIN index on ``region_ids``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select

from backend.accounts.models import User
from backend.geo import SRID, BBox
from backend.workorders.models import Note, Ticket, TicketEvent


@dataclass(frozen=True)
class TicketFilters:
    status: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    region_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    unrouted: bool | None = None
    bbox: BBox | None = None


def tickets_query(viewer: User, filters: TicketFilters) -> Select[Ticket]:
    """Tickets ``viewer`` may see that match ``filters``, newest first. Engineers only ever see
    their own assignments, whatever they ask for."""
    stmt = select(Ticket)
    if not viewer.is_staff:
        stmt = stmt.where(Ticket.assignee_id == viewer.id)
    if filters.status:
        stmt = stmt.where(Ticket.status.in_(filters.status))
    if filters.priority:
        stmt = stmt.where(Ticket.priority.in_(filters.priority))
    if filters.region_id is not None:
        stmt = stmt.where(Ticket.region_ids.contains([filters.region_id]))
    if filters.assignee_id is not None:
        stmt = stmt.where(Ticket.assignee_id == filters.assignee_id)
    if filters.unrouted is not None:
        empty = func.cardinality(Ticket.region_ids) == 0
        stmt = stmt.where(empty if filters.unrouted else ~empty)
    if filters.bbox is not None:
        box = filters.bbox
        envelope = func.ST_MakeEnvelope(box.minlon, box.minlat, box.maxlon, box.maxlat, SRID)
        stmt = stmt.where(Ticket.location.op("&&")(envelope))
    return stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc())


def events_query(ticket: Ticket) -> Select[TicketEvent]:
    return (
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.at, TicketEvent.id)
    )


def notes_query(ticket: Ticket) -> Select[Note]:
    return (
        select(Note)
        .where(Note.ticket_id == ticket.id, Note.deleted_at.is_(None))
        .order_by(Note.created_at, Note.id)
    )
