"""Stored parts of a time sheet: the corrections and the approved days. The entries themselves
are never stored (they are derived from the tickets' status events, see ``derive.py``), except
as the snapshot an approval freezes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, SyncTracked, Timestamps, UUIDPk, Versioned


class TimesheetCorrection(UUIDPk, Timestamps, SyncTracked, Base):
    """One correction of one entry (or a manual entry when ``entry_id`` is null). The id is the
    phone's, so recording is idempotent; every correction is kept (the history), the latest by
    device time wins (``derive.winning``). ``day_from``/``day_to`` are the local days the entry
    and its correction touch, so a day's sheet finds its corrections by an index range."""

    __tablename__ = "timesheet_corrections"
    __sync_entity__ = "timesheet_corrections"
    __sync_scope__ = "engineer:engineer_id"  # the engineer's phones mirror their own
    __table_args__ = (
        CheckConstraint(
            "kind IS NULL OR kind IN ('travel', 'on_site', 'work', 'pause')", name="kind_known"
        ),
        CheckConstraint("start_at IS NULL OR end_at IS NULL OR start_at <= end_at", name="ordered"),
        Index("ix_timesheet_corrections_engineer_days", "engineer_id", "day_from", "day_to"),
    )

    engineer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    entry_id: Mapped[uuid.UUID | None]
    kind: Mapped[str | None] = mapped_column(String(10))
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tickets.id"))
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    removed: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime | None]
    via: Mapped[str] = mapped_column(String(10), default="api")
    day_from: Mapped[date] = mapped_column(Date)
    day_to: Mapped[date] = mapped_column(Date)


class TimesheetDay(UUIDPk, Timestamps, Versioned, SyncTracked, Base):
    """A day a dispatcher approved (``status`` approved) or reopened (open). Approval freezes
    the day's entries in ``snapshot``: events synced late from an offline phone cannot change an
    approved sheet, they show as ``changed_since_approval`` until the day is reopened."""

    __tablename__ = "timesheet_days"
    __sync_entity__ = "timesheet_days"
    __sync_scope__ = "engineer:engineer_id"
    # The phone needs the day's status (locked or not), not the frozen copy of its entries.
    __sync_exclude__ = ("snapshot",)
    __table_args__ = (
        UniqueConstraint("engineer_id", "day", name="uq_timesheet_days_engineer_day"),
        CheckConstraint("status IN ('open', 'approved')", name="status_known"),
    )

    engineer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="approved")
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
