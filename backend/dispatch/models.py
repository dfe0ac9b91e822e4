"""Regions (territory polygons) and skills. Engineer profiles live beside them."""

from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, Timestamps, UUIDPk


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
