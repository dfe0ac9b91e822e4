"""Maintenance plans, their occurrences and assets' meter readings (docs/maintenance.md).

A plan says what (a job type), where (one asset, every asset of a site, or every asset of a
model) and when (a recurrence rule in a time zone, a meter step, or both). An occurrence row
is one due point of one plan on one asset: written when the generation job makes its ticket,
or earlier when a planner skips or moves it. Its unique keys are what makes generation
idempotent: two runs that reach the same occurrence insert one row, and only the run whose
insert won creates the ticket (``INSERT ... ON CONFLICT DO NOTHING RETURNING``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, Timestamps, UUIDPk, utcnow

SCOPES = ("asset", "site", "model")
PLAN_STATES = ("active", "paused", "ended")
OCCURRENCE_STATES = ("scheduled", "skipped", "moved")
READING_SOURCES = ("manual", "telemetry")  # what a caller of the API may say
CHECKLIST_SOURCE = "checklist"  # written by a meter item's answer on a job (answer_id)


class MaintenancePlan(UUIDPk, Timestamps, Base):
    __tablename__ = "maintenance_plans"
    __table_args__ = (
        CheckConstraint("scope IN ('asset','site','model')", name="scope_known"),
        CheckConstraint(
            "(scope = 'asset') = (asset_id IS NOT NULL)"
            " AND (scope = 'site') = (site_id IS NOT NULL)"
            " AND (scope = 'model') = (asset_model IS NOT NULL)",
            name="scope_target",
        ),
        CheckConstraint("state IN ('active','paused','ended')", name="state_known"),
        CheckConstraint("rrule IS NOT NULL OR meter_name IS NOT NULL", name="has_rule"),
        CheckConstraint("(rrule IS NULL) = (starts_local IS NULL)", name="rule_has_start"),
        CheckConstraint("(meter_name IS NULL) = (meter_every IS NULL)", name="meter_has_step"),
        Index("ix_maintenance_plans_asset_id", "asset_id"),
        Index("ix_maintenance_plans_site_id", "site_id"),
        Index("ix_maintenance_plans_state", "state"),
    )

    name: Mapped[str] = mapped_column(String(200))
    job_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_types.id"))
    scope: Mapped[str] = mapped_column(String(8))
    asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assets.id"))
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sites.id"))
    asset_model: Mapped[str | None] = mapped_column(String(200))
    # Calendar: the rule (without "RRULE:"), its first local wall time, its IANA zone.
    rrule: Mapped[str | None] = mapped_column(String(500))
    starts_local: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Meter: due every ``meter_every`` units of ``meter_name`` since the last service.
    meter_name: Mapped[str | None] = mapped_column(String(64))
    meter_every: Mapped[float | None] = mapped_column(Float)
    # The arrival window of an occurrence's ticket: from the due instant, this long.
    window_minutes: Mapped[int] = mapped_column(Integer, default=120)
    # How far ahead tickets are created.
    horizon_days: Mapped[int] = mapped_column(Integer, default=14)
    state: Mapped[str] = mapped_column(String(8), default="active")
    # No occurrence at or after this instant (set by "end"; may be set ahead).
    ends_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class Occurrence(UUIDPk, Base):
    __tablename__ = "maintenance_occurrences"
    __table_args__ = (
        CheckConstraint("state IN ('scheduled','skipped','moved')", name="state_known"),
        CheckConstraint("(state = 'moved') = (moved_to IS NOT NULL)", name="moved_has_target"),
        # Calendar occurrences: one per plan, asset and due instant of the rule.
        Index(
            "uq_maintenance_occurrences_due",
            "plan_id",
            "asset_id",
            "due_at",
            unique=True,
            postgresql_where=text("due_reading IS NULL"),
        ),
        # Meter occurrences: one per plan, asset and due reading (the reading at the last
        # service plus the step), whenever it is reached.
        Index(
            "uq_maintenance_occurrences_reading",
            "plan_id",
            "asset_id",
            "due_reading",
            unique=True,
            postgresql_where=text("due_reading IS NOT NULL"),
        ),
        Index("ix_maintenance_occurrences_asset_id", "asset_id"),
        Index("ix_maintenance_occurrences_ticket_id", "ticket_id"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("maintenance_plans.id"))
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id"))
    # The rule's instant (calendar), or when the due reading was reached (meter).
    due_at: Mapped[datetime]
    due_reading: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(10), default="scheduled")
    moved_to: Mapped[datetime | None]
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def starts_at(self) -> datetime:
        """When the work is planned: the moved instant, or the due one."""
        return self.moved_to or self.due_at


class MeterReading(UUIDPk, Base):
    __tablename__ = "meter_readings"
    __table_args__ = (
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("source IN ('manual','telemetry','checklist')", name="source_known"),
        Index("ix_meter_readings_asset_meter_at", "asset_id", "meter", "at"),
    )

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id"))
    meter: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime]
    # manual: typed in by a person; telemetry: sent by a device or an integration; checklist:
    # a meter item answered on a job at the asset (``answer_id``, migration 0033).
    source: Mapped[str] = mapped_column(String(10), default="manual")
    answer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("checklist_answers.id", ondelete="CASCADE"), unique=True
    )
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
