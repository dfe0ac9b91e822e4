"""The email feature's records: one row per outbound message (its sent state, so a retried
job never sends twice) and one per inbound message (its Message-ID, so a mail service that
delivers again opens no second ticket)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UUIDPk, utcnow

OUTBOUND_STATUSES = ("pending", "sending", "sent", "failed")
INBOUND_OUTCOMES = ("created", "note", "unmatched")


class OutboundEmail(UUIDPk, Base):
    """A message rendered and recorded in the transaction of its cause (a ticket event, a
    notification), sent later by ``mail.tasks.send_email``. ``message_id`` is derived from the
    event (``<kind.event-id@domain>``), so it is unique per event: the same event can never
    queue two messages, and a message sent twice (a worker that died between the SMTP answer
    and recording it) carries the same Message-ID both times, which mail clients collapse."""

    __tablename__ = "outbound_emails"
    __table_args__ = (
        Index("ix_outbound_emails_status_created", "status", "created_at"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status_known"),
    )

    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(30))  # received | assigned | completed | staff
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    to_addr: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # pending -> sending (claimed, committed) -> sent | failed | pending (transient, retried)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class InboundEmail(UUIDPk, Base):
    """One accepted inbound message. ``message_key`` is its Message-ID (or, without one, the
    sha256 of its bytes): unique, so a delivery retried by the mail service finds this row
    and is answered with the first outcome. An unmatched message keeps its bytes (``raw``) for
    a dispatcher: accepted mail is never dropped silently."""

    __tablename__ = "inbound_emails"
    __table_args__ = (
        CheckConstraint("outcome IN ('created', 'note', 'unmatched')", name="outcome_known"),
    )

    message_key: Mapped[str] = mapped_column(String(300), unique=True)
    sender: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(10))
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    note_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notes.id"))
    photo_ids: Mapped[list[str]] = mapped_column(JSONB, default=list)
    # Why attachments were not taken: [{"filename", "reason"}].
    skipped: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
