"""Small PostGIS helpers shared by tickets and other features."""

from __future__ import annotations

import uuid
from typing import Any

from geoalchemy2 import WKBElement
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point, mapping
from sqlalchemy import func, select

from backend.db import db
from backend.dispatch.models import Region


def point(lon: float, lat: float) -> WKBElement:
    return from_shape(Point(lon, lat), srid=4326)


def lonlat(geom: WKBElement | None) -> tuple[float, float] | None:
    if geom is None:
        return None
    p = to_shape(geom)
    return (p.x, p.y)


def to_geojson(geom: WKBElement | None) -> dict[str, Any] | None:
    if geom is None:
        return None
    return dict(mapping(to_shape(geom)))


def regions_containing(geom: WKBElement) -> list[uuid.UUID]:
    """Ids of every region whose area contains the point (regions may overlap)."""
    stmt = select(Region.id).where(func.ST_Contains(Region.area, geom)).order_by(Region.id)
    return list(db.session.scalars(stmt))
