"""Rules (as data) and their runs (one row per rule that matched one audit event: the
idempotency key of a run and what its actions did)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, Timestamps, UUIDPk, Versioned, utcnow


class AutomationRule(UUIDPk, Timestamps, Versioned, Base):
    __tablename__ = "automation_rules"
    __table_args__ = (
        CheckConstraint("match IN ('all', 'any')", name="match_known"),
        Index("ix_automation_rules_event_position", "event", "position"),
    )

    name: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(40))
    match: Mapped[str] = mapped_column(String(3), default="all")
    # [{"field", "op", "value"?, "zone"?}] and [{"type", ...parameters}]: catalog.py says which.
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # Rules run in ascending position (then creation); reorder rewrites them 0..n-1.
    position: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # The admin who last saved the rule: its actions act as them (operations need a user).
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class AutomationRun(UUIDPk, Base):
    __tablename__ = "automation_runs"
    __table_args__ = (
        UniqueConstraint("rule_id", "event_id", name="uq_automation_runs_rule_event"),
        Index("ix_automation_runs_ticket", "ticket_id", "at"),
    )

    rule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("automation_rules.id", ondelete="CASCADE")
    )
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID]  # the audit line that triggered it (no FK: written in batches)
    event_type: Mapped[str] = mapped_column(String(40))
    depth: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # [{"type", "ok", "detail"}], one per action, in order.
    outcome: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
