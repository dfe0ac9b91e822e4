"""Read-side queries for tickets: the list with its filters, events and notes.

The bbox filter is written as ``location && ST_MakeEnvelope(...)`` so PostgreSQL can use the
GiST index ``ix_tickets_location``; the region filter uses the GIN index on ``region_ids``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Select, func, or_, select, type_coerce
from sqlalchemy.types import NullType

from backend.accounts.models import User
from backend.db import utcnow
from backend.geo import SRID, BBox
from backend.workorders.models import Note, Ticket, TicketEvent
from backend.workorders.sla_filters import reached_condition, sla_condition


@dataclass(frozen=True)
class TicketFilters:
    status: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    region_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    unrouted: bool | None = None
    bbox: BBox | None = None
    # The Insights screen's drill-down (docs/kpis.md): the report's cohort and its numbers.
    created_from: datetime | None = None
    created_to: datetime | None = None
    unassigned: bool | None = None
    sla: list[str] = field(default_factory=list)
    reached: list[str] = field(default_factory=list)


# What a ticket of the list answer (``TicketOut``) is made of, including what its derived
# values read (``number``: seq; ``unrouted``: region_ids; ``sla``: the clocks).
LIST_COLUMNS = (
    "id", "seq", "title", "description", "priority", "status", "region_ids", "assignee_id",
    "asset_id", "site_id", "location", "required_skills", "source", "created_at", "updated_at",
    "respond_by", "resolve_by", "responded_at", "resolved_at", "version", "job_type_id",
    "job_type_version_id", "window_start", "window_end",
)  # fmt: skip


class TicketRow:
    """A ticket of a list, read as plain columns rather than as an ORM entity.

    The dispatcher's board is the busiest staff read; loading 50 ``Ticket`` entities (identity
    map, instance state, attribute instrumentation on every read) cost about twice what the
    rest of the list did. The list only reads, so it reads ``LIST_COLUMNS`` into these objects:
    the same attribute names and values as the entity's, and the entity's own ``number`` and
    ``unrouted`` properties (one definition of each)."""

    number = Ticket.__dict__["number"]
    unrouted = Ticket.__dict__["unrouted"]

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__ = values


def _as_read(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """An array column as psycopg reads it: already a ``list`` of ``uuid.UUID`` or ``str``,
    which SQLAlchemy's ``ARRAY`` would walk again in Python, item by item, for nothing."""
    if isinstance(column.type, ARRAY):
        return type_coerce(column, NullType()).label(column.key)
    return column


_LIST_SELECT = tuple(_as_read(Ticket.__table__.c[name]) for name in LIST_COLUMNS)


def tickets_query(
    viewer: User,
    filters: TicketFilters,
    *,
    now: datetime | None = None,
    at_risk_fraction: float = 0.75,
) -> Select[Any]:
    """Tickets ``viewer`` may see that match ``filters``, newest first, as ``LIST_COLUMNS``
    rows (make each a ``TicketRow``). Engineers only ever see their own assignments, whatever
    they ask for. ``now`` and ``at_risk_fraction`` are the instant and threshold of the ``sla``
    filter's clocks (as a report's ``generated_at``)."""
    t = Ticket.__table__.c
    stmt = select(*_LIST_SELECT)
    if not viewer.is_staff:
        stmt = stmt.where(t.assignee_id == viewer.id)
    if filters.status:
        stmt = stmt.where(t.status.in_(filters.status))
    if filters.priority:
        stmt = stmt.where(t.priority.in_(filters.priority))
    if filters.region_id is not None:
        stmt = stmt.where(t.region_ids.contains([filters.region_id]))
    if filters.assignee_id is not None:
        stmt = stmt.where(t.assignee_id == filters.assignee_id)
    if filters.unrouted is not None:
        empty = func.cardinality(t.region_ids) == 0
        stmt = stmt.where(empty if filters.unrouted else ~empty)
    if filters.bbox is not None:
        box = filters.bbox
        envelope = func.ST_MakeEnvelope(box.minlon, box.minlat, box.maxlon, box.maxlat, SRID)
        stmt = stmt.where(t.location.op("&&")(envelope))
    if filters.created_from is not None:
        stmt = stmt.where(t.created_at >= filters.created_from)
    if filters.created_to is not None:
        stmt = stmt.where(t.created_at < filters.created_to)
    if filters.unassigned is not None:
        stmt = stmt.where(
            t.assignee_id.is_(None) if filters.unassigned else t.assignee_id.is_not(None)
        )
    if filters.sla:
        at = now or utcnow()
        stmt = stmt.where(
            or_(*(sla_condition(s, now=at, at_risk_fraction=at_risk_fraction) for s in filters.sla))
        )
    for action in filters.reached:
        stmt = stmt.where(reached_condition(action))
    return stmt.order_by(t.created_at.desc(), t.id.desc())


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
