"""Regions (territory polygons), skills, engineer profiles and stored dispatch decisions."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, Timestamps, UUIDPk, utcnow


class Region(UUIDPk, Timestamps, Base):
    __tablename__ = "regions"
    __table_args__ = (
        Index("ix_regions_area", "area", postgresql_using="gist"),
        CheckConstraint(
            "GeometryType(area) IN ('POLYGON', 'MULTIPOLYGON') AND ST_IsValid(area)",
            name="area_valid_polygon",
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    area: Mapped[WKBElement] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False))


class Skill(UUIDPk, Timestamps, Base):
    __tablename__ = "skills"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


ENGINEER_STATUSES = ("available", "busy", "off_duty")


class EngineerProfile(Timestamps, Base):
    """What the dispatcher knows about an engineer. The primary key IS the user's id, so every
    ``engineer_id`` in the API is a user id and needs no translation.

    Positions are stored as geometry (SRID 4326, the wire format) with two kinds of GiST index:
    plain ones for bounding-box filters (the map) and ones on ``geography(...)`` so the KNN
    operator ``<->`` orders by metres on the sphere - degrees would rank a candidate 20 km east
    of a ticket in Tromso ahead of one 15 km north.
    """

    __tablename__ = "engineer_profiles"
    __table_args__ = (
        Index("ix_engineer_profiles_home", "home", postgresql_using="gist"),
        Index("ix_engineer_profiles_last_location", "last_location", postgresql_using="gist"),
        Index(
            "ix_engineer_profiles_home_geog",
            text("(geography(home))"),
            postgresql_using="gist",
        ),
        Index(
            "ix_engineer_profiles_last_location_geog",
            text("(geography(last_location))"),
            postgresql_using="gist",
        ),
        Index("ix_engineer_profiles_region_ids", "region_ids", postgresql_using="gin"),
        CheckConstraint("status IN ('available', 'busy', 'off_duty')", name="status_known"),
        CheckConstraint("max_open_jobs >= 0", name="max_open_jobs_non_negative"),
        CheckConstraint("shift_days <@ ARRAY[0,1,2,3,4,5,6]::smallint[]", name="shift_days_range"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    region_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    home: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    shift_timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Weekdays the shift STARTS on, Monday = 0 (an overnight shift belongs to its start day).
    shift_days: Mapped[list[int]] = mapped_column(
        ARRAY(SmallInteger), default=lambda: [0, 1, 2, 3, 4]
    )
    shift_start: Mapped[time] = mapped_column(Time, default=time(8, 0))
    # end < start means the shift runs overnight into the next day.
    shift_end: Mapped[time] = mapped_column(Time, default=time(17, 0))
    status: Mapped[str] = mapped_column(String(12), default="available")
    max_open_jobs: Mapped[int] = mapped_column(Integer, default=6)
    last_location: Mapped[WKBElement | None] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=False)
    )
    last_location_accuracy_m: Mapped[float | None] = mapped_column(Float)
    last_location_at: Mapped[datetime | None]

    @property
    def id(self) -> uuid.UUID:
        return self.user_id


class DispatchDecision(UUIDPk, Base):
    """One answer of the dispatcher, kept for explanation and audit: every candidate with its
    verdict and terms, the weights version used, who was chosen and, for an override, by whom
    and why. Never updated."""

    __tablename__ = "dispatch_decisions"
    __table_args__ = (Index("ix_dispatch_decisions_ticket_created", "ticket_id", "created_at"),)

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    # auto (job) | manual (dispatcher, no engineer given) | pick (dispatcher chose one)
    mode: Mapped[str] = mapped_column(String(12), default="manual")
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    weights_version: Mapped[str] = mapped_column(String(40))
    recommended_engineer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    chosen_engineer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    runner_up_engineer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    override_reason: Mapped[str | None] = mapped_column(Text)
    broken_rules: Mapped[list[str]] = mapped_column(ARRAY(String(80)), default=list)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
