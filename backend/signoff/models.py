"""The customer's sign-off of a job: who signed, when, where, and the signature image.

Write-once: at most one ``accepted`` sign-off per ticket (a partial unique index enforces it
even against concurrent requests). A later, different signature is not thrown away: it is
stored as a row with ``status = 'conflict'`` pointing at the accepted one (and a sync
conflict record when the sync feature is installed), so nothing a phone captured vanishes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from marshmallow import fields
from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, SyncTracked, Timestamps, UUIDPk, utcnow

STATUSES = ("accepted", "conflict")


class Signoff(UUIDPk, Timestamps, SyncTracked, Base):
    __tablename__ = "signoffs"
    __sync_entity__ = "signoffs"
    __table_args__ = (
        Index(
            "uq_signoffs_ticket_accepted",
            "ticket_id",
            unique=True,
            postgresql_where=text("status = 'accepted'"),
        ),
        CheckConstraint("status IN ('accepted', 'conflict')", name="status_known"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
    )

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="accepted")
    # For a conflicting second signature: the accepted sign-off it collided with.
    conflict_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("signoffs.id"))
    sync_conflict_id: Mapped[uuid.UUID | None]

    signer_name: Mapped[str] = mapped_column(String(200))
    # Server time of recording; ``occurred_at`` is the phone's claim (shown, never trusted).
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    occurred_at: Mapped[datetime | None]
    location: Mapped[WKBElement | None] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=False), nullable=True
    )
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)

    signature_sha256: Mapped[str] = mapped_column(String(64))
    signature_key: Mapped[str] = mapped_column(String(300))
    signature_width: Mapped[int] = mapped_column(SmallInteger)
    signature_height: Mapped[int] = mapped_column(SmallInteger)
    # The raw pen strokes when the phone sent strokes (kept for audit and re-rendering).
    strokes: Mapped[list[Any] | None] = mapped_column(
        JSONB,
        nullable=True,
        info={"wire": fields.List(fields.List(fields.List(fields.Float())))},  # [[[x, y]]]
    )

    captured_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    via: Mapped[str] = mapped_column(String(10), default="api")
