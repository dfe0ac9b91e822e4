"""Small PostGIS helpers shared by tickets and other features."""

from __future__ import annotations

import uuid
from typing import Any

from geoalchemy2 import WKBElement
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point, mapping

from backend.workorders import hooks


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
    """Ids of every region whose area contains the point (regions may overlap), sorted.
    Regions belong to dispatch, which answers through the ``regions_at`` hook."""
    found = {region_id for locate in list(hooks.regions_at) for region_id in locate(geom)}
    return sorted(found)
