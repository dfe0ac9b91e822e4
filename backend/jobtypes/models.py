"""A job type and its versions.

Editing a job type never changes what an existing ticket asks for: every edit that changes
its content writes a new ``JobTypeVersion`` (numbered 1, 2, ...), and a ticket keeps the
version it was created with (``tickets.job_type_version_id``). The ``JobType`` row is the
identity (its name is unique), whether new tickets may use it, and which version is current.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, Timestamps, UUIDPk, utcnow

# The ticket priorities (workorders.states.Priority is above this package).
PRIORITIES = ("P1", "P2", "P3", "P4")

# What a version holds besides its number: an edit that changes none of these is no new version.
CONTENT_FIELDS = (
    "name",
    "description",
    "default_priority",
    "required_skills",
    "estimated_minutes",
    "suggested_parts",
    "completion_rules",
    "checklist",
)


class JobType(UUIDPk, Timestamps, Base):
    __tablename__ = "job_types"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class JobTypeVersion(UUIDPk, Base):
    __tablename__ = "job_type_versions"
    __table_args__ = (
        UniqueConstraint("job_type_id", "number"),
        CheckConstraint("default_priority IN ('P1','P2','P3','P4')", name="priority_known"),
    )

    job_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_types.id"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    default_priority: Mapped[str] = mapped_column(String(2))
    required_skills: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    # Service time for the dispatcher and the optimizer; None: their default.
    estimated_minutes: Mapped[int | None] = mapped_column(Integer)
    # [{"part_id": "<uuid>", "quantity": 2}]
    suggested_parts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # A layer of signoff's completion rules ({"signature": true, "photos": 2, "parts": false}).
    completion_rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # {"sections": [{"title": ..., "items": [...]}]}, see jobtypes.checklist.
    checklist: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
