"""Checklist answers, append-only per item.

Every answer is a row (its id is the client's, so a retry is idempotent). The row an item is
answered by now is the one with ``status = 'current'`` (at most one per ticket and item, a
partial unique index); the answer it replaced becomes ``superseded`` (kept: who answered what,
when). An answer that arrives from an engineer after the job was reassigned or cancelled is
kept as ``late`` evidence, never current, and a conflict tells the dispatcher.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from marshmallow import fields
from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, SyncTracked, UUIDPk, utcnow

ANSWER_STATUSES = ("current", "superseded", "late")


class ChecklistAnswer(UUIDPk, SyncTracked, Base):
    __tablename__ = "checklist_answers"
    __sync_entity__ = "checklist_answers"
    __table_args__ = (
        Index(
            "uq_checklist_answers_current",
            "ticket_id",
            "item_key",
            unique=True,
            postgresql_where=text("status = 'current'"),
        ),
        Index("ix_checklist_answers_ticket_id", "ticket_id"),
    )

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id"))
    # The job type version whose item this answers (the ticket's, when it was given).
    job_type_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_type_versions.id"))
    item_key: Mapped[str] = mapped_column(String(64))
    # The answer as checklist.check_answer accepted it; null clears the item.
    value: Mapped[Any] = mapped_column(
        JSONB(none_as_null=True),
        nullable=True,
        info={
            "wire": fields.Raw(
                allow_none=True,
                metadata={
                    "description": "the answer; its type is the item's (null: cleared)",
                    "x-free-form": "an answer's JSON type is its checklist item's type "
                    "(docs/planned-work.md)",
                },
            )
        },
    )
    failed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="current")
    answered_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The device's claim of when it was answered: stored and shown, never used to order.
    occurred_at: Mapped[datetime | None]
