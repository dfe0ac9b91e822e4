from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from marshmallow import Schema, fields
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Sequence,
    SmallInteger,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, SyncTracked, Timestamps, UUIDPk, Versioned, str_enum, utcnow
from backend.workorders.states import OPEN_STATUSES, Priority, Status

ticket_number_seq = Sequence("ticket_number_seq", start=1001)


# The priorities' values, for validation messages and schemas.
PRIORITIES = tuple(p.value for p in Priority)


def ticket_number(seq: int) -> str:
    """The number people quote (``T-000042``), from the ticket's sequence value: also for
    readers of raw rows (the dispatcher's map and timeline), which have no ``Ticket``."""
    return f"T-{seq:06d}"


class Ticket(UUIDPk, Timestamps, Versioned, SyncTracked, Base):
    __tablename__ = "tickets"
    __sync_entity__ = "tickets"
    # The phone shows the human number; the customer's tracking token is not its business.
    __sync_extra__ = ("number",)
    __sync_exclude__ = ("tracking_token", "contact_language")
    __table_args__ = (
        Index("ix_tickets_location", "location", postgresql_using="gist"),
        # Open tickets only: the board/map query (status + bbox); migration 0010.
        Index(
            "ix_tickets_open_location",
            "location",
            postgresql_using="gist",
            postgresql_where=text(
                "status IN (" + ",".join(f"'{st.value}'" for st in OPEN_STATUSES) + ")"
            ),
        ),
        Index("ix_tickets_region_ids", "region_ids", postgresql_using="gin"),
        Index("ix_tickets_status_priority", "status", "priority"),
        # First-time fix: the next ticket on an asset after a resolution, one probe (0022).
        Index("ix_tickets_asset_created", "asset_id", "created_at"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        # The reports' period (backend/reports, docs/kpis.md); migration 0016.
        Index("ix_tickets_created_at", "created_at"),
        CheckConstraint("priority IN ('P1','P2','P3','P4')", name="priority_known"),
        CheckConstraint(
            "(window_start IS NULL) = (window_end IS NULL) AND window_start <= window_end",
            name="arrival_window_whole",
        ),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger, ticket_number_seq, server_default=ticket_number_seq.next_value(), unique=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, 2))
    status: Mapped[Status] = mapped_column(str_enum(Status, 20), default=Status.NEW)
    held_from: Mapped[Status | None] = mapped_column(str_enum(Status, 20))
    required_skills: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)

    asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assets.id"), index=True)
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sites.id"), index=True)
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    # Regions containing the location (ST_Contains at write time); empty means unrouted.
    region_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)

    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(20), default="staff")  # staff | public

    # SLA clocks: responding is accepting; resolving is completing.
    respond_by: Mapped[datetime]
    resolve_by: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    sla_state: Mapped[str] = mapped_column(String(12), default="ok")
    eta: Mapped[datetime | None]
    # Arrival window (planned work, booked appointments): when the engineer should arrive,
    # earliest and latest start; both or neither (docs/planned-work.md).
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]

    # Customer-facing intake (public QR report).
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(50))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # The language the customer used (the report page's, or guessed from their email): the
    # language of the status emails they get (backend/mail). Not the phone's business.
    contact_language: Mapped[str | None] = mapped_column(String(10))
    tracking_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]

    # Planned work: the job type and the version of it (checklist, completion rules, service
    # time) the ticket was created with; later edits of the type make new versions.
    job_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("job_types.id"))
    job_type_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("job_type_versions.id")
    )

    # Dispatch bookkeeping: why nobody could take it, who rejected it.
    dispatch_flags: Mapped[dict[str, Any]] = mapped_column(
        default=dict,
        info={
            "wire": fields.Dict(
                metadata={"x-free-form": "why dispatch wants a human, keyed by flag"}
            )
        },
    )
    rejected_by: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)

    @property
    def number(self) -> str:
        return ticket_number(self.seq)

    @property
    def unrouted(self) -> bool:
        return not self.region_ids

    @classmethod
    def sync_context(cls, tickets: list[Ticket]) -> dict[uuid.UUID, dict[str, Any]]:
        """Customer, site, asset and status history for the phone (see ``phone.py``)."""
        from backend.workorders.phone import context

        return context(tickets)

    @classmethod
    def sync_context_schemas(cls) -> list[type[Schema]]:
        """What ``sync_context`` adds, for the document (``backend.sync.wire``)."""
        from backend.workorders.phone import context_schemas

        return context_schemas()


# The audit actions that move a ticket between engineers (their ``data`` names both sides).
ASSIGNING_ACTIONS = ("assign", "reassign", "unassign")


class TicketEvent(UUIDPk, Base):
    """Audit trail: one row per change to a ticket, never updated."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        Index("ix_ticket_events_ticket_at", "ticket_id", "at"),
        # Time sheets find an engineer's tickets of a period by who acted and who was assigned
        # (backend/timesheets/queries.py), without reading the whole trail.
        Index("ix_ticket_events_actor_at", "actor_id", "at"),
        *(
            Index(
                f"ix_ticket_events_{side}_assignee_at",
                text(f"(data->>'{side}_assignee')"),
                "at",
                postgresql_where=text(f"action IN {ASSIGNING_ACTIONS}"),
            )
            for side in ("to", "from")
        ),
    )

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[Status | None] = mapped_column(str_enum(Status, 20))
    to_status: Mapped[Status | None] = mapped_column(str_enum(Status, 20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    via: Mapped[str] = mapped_column(String(10), default="api")  # api | sync | system | automation
    reason: Mapped[str | None] = mapped_column(Text)
    # The device's claim of when it happened (sync); stored and shown, never used to order.
    occurred_at: Mapped[datetime | None]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Note(UUIDPk, Timestamps, Versioned, SyncTracked, Base):
    __tablename__ = "notes"
    __sync_entity__ = "notes"

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id"), index=True)
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    # Shown on the customer's copy of the service report; notes are internal unless the
    # engineer says otherwise (a remark for colleagues must not reach the customer by default).
    customer_visible: Mapped[bool] = mapped_column(default=False, server_default=false())
    occurred_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
