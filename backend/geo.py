"""GeoJSON in and out of the API: marshmallow fields and validators shared by every feature.

Geometry arrives from phones, integrations and hand-written requests, so each check names
exactly what is wrong and where (``coordinates[0][3]: latitude 95.0 is out of range``): a
dispatcher drawing a territory must be able to fix it from the message alone. Validation is
done here, before the database, because PostGIS would otherwise either accept nonsense (a
longitude of 400) or refuse it with an opaque constraint error that becomes a 500.

- ``PointField``: GeoJSON Point -> ``Location(lon, lat)`` (or a ``(lon, lat)`` tuple).
- ``AreaField``: GeoJSON Polygon | MultiPolygon -> shapely geometry (valid, non-empty);
  ``area_to_wkb`` turns it into the value to store.
- ``BBoxField``: ``minlon,minlat,maxlon,maxlat`` query strings -> ``BBox``.

All of them dump a ``WKBElement`` (or shapely geometry, ``Location``, tuple) as GeoJSON.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from geoalchemy2 import WKBElement
from geoalchemy2.shape import from_shape, to_shape
from marshmallow import ValidationError, fields
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from backend.jsonio import json_tree
from backend.wkb import wkb_point_xy

SRID = 4326
MAX_POSITIONS = 100_000  # a territory outline with more vertices than this is a mistake


@dataclass(frozen=True)
class Location:
    """A point as plain values, what operations take for a ticket's, an asset's or an
    engineer's position (WGS 84)."""

    lon: float
    lat: float


class BBox(NamedTuple):
    minlon: float
    minlat: float
    maxlon: float
    maxlat: float


@dataclass(frozen=True)
class _Path:
    """Where in the document a problem is, e.g. ``coordinates[0][3]``."""

    text: str = "coordinates"

    def __getitem__(self, index: int) -> _Path:
        return _Path(f"{self.text}[{index}]")


# ---------------------------------------------------------------------------------------------
# Validators (usable without marshmallow: they raise ValidationError with a precise message)


def _number(value: Any, what: str, where: _Path) -> float:
    # bool is an int subclass in Python; true/false are not coordinates.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{where.text}: {what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(f"{where.text}: {what} must be a finite number, got {value!r}")
    return number


def check_position(value: Any, where: _Path | None = None) -> tuple[float, float]:
    """One GeoJSON position ``[lon, lat]`` with both numbers finite and in range."""
    where = where or _Path()
    if not isinstance(value, list | tuple):
        raise ValidationError(f"{where.text}: a position must be [longitude, latitude]")
    if len(value) != 2:
        raise ValidationError(
            f"{where.text}: a position must have exactly 2 numbers [longitude, latitude], "
            f"got {len(value)}"
        )
    lon = _number(value[0], "longitude", where)
    lat = _number(value[1], "latitude", where)
    if not -180.0 <= lon <= 180.0:
        raise ValidationError(f"{where.text}: longitude {lon:g} is out of range [-180, 180]")
    if not -90.0 <= lat <= 90.0:
        raise ValidationError(f"{where.text}: latitude {lat:g} is out of range [-90, 90]")
    return lon, lat


def _geojson_object(value: Any, allowed: tuple[str, ...]) -> Any:
    if not isinstance(value, dict):
        raise ValidationError(
            f'must be a GeoJSON object like {{"type": "{allowed[0]}", "coordinates": ...}}'
        )
    kind = value.get("type")
    if kind not in allowed:
        expected = " or ".join(allowed)
        got = "no type" if kind is None else f"type {kind!r}"
        raise ValidationError(f"must be a GeoJSON {expected}, got {got}")
    if "coordinates" not in value:
        raise ValidationError(f"GeoJSON {kind} is missing 'coordinates'")
    return value["coordinates"]


def check_point(value: Any) -> Location:
    """A GeoJSON Point -> ``Location``."""
    coords = _geojson_object(value, ("Point",))
    lon, lat = check_position(coords)
    return Location(lon=lon, lat=lat)


def _ring(value: Any, where: _Path) -> list[tuple[float, float]]:
    if not isinstance(value, list):
        raise ValidationError(f"{where.text}: a linear ring must be a list of positions")
    if len(value) < 4:
        raise ValidationError(
            f"{where.text}: a linear ring needs at least 4 positions (first repeated as last), "
            f"got {len(value)}"
        )
    ring = [check_position(p, where[i]) for i, p in enumerate(value)]
    if ring[0] != ring[-1]:
        raise ValidationError(
            f"{where.text}: ring is not closed: the first position {list(ring[0])} must equal "
            f"the last {list(ring[-1])}"
        )
    return ring


def _polygon(value: Any, where: _Path) -> Polygon:
    if not isinstance(value, list) or not value:
        raise ValidationError(
            f"{where.text}: a polygon must be a non-empty list of linear rings "
            "(exterior first, then holes)"
        )
    rings = [_ring(r, where[i]) for i, r in enumerate(value)]
    return Polygon(rings[0], rings[1:])


_LOCATED = re.compile(r"^(?P<reason>[^\[]+)\[(?P<x>\S+) (?P<y>\S+)\]$")


def _why_invalid(geom: BaseGeometry) -> str:
    """GEOS's reason, with its location made readable: ``self-intersection at (lon, lat)``."""
    explanation: str = explain_validity(geom)
    match = _LOCATED.match(explanation)
    if not match:
        return explanation
    reason = match["reason"].strip().lower()
    try:
        x, y = float(match["x"]), float(match["y"])
    except ValueError:
        return explanation
    return f"{reason} at (lon {x:.6g}, lat {y:.6g})"


def check_area(value: Any) -> Polygon | MultiPolygon:
    """A GeoJSON Polygon or MultiPolygon -> valid, non-empty shapely geometry: rings closed with
    at least 4 positions, coordinates in range, no self-intersection (GEOS validity, the same
    test PostGIS's ``ST_IsValid`` applies)."""
    coords = _geojson_object(value, ("Polygon", "MultiPolygon"))
    _count_positions(coords)
    root = _Path()
    geom: Polygon | MultiPolygon
    if value["type"] == "Polygon":
        geom = _polygon(coords, root)
    else:
        if not isinstance(coords, list) or not coords:
            raise ValidationError(
                "coordinates: a MultiPolygon must be a non-empty list of polygons"
            )
        geom = MultiPolygon([_polygon(p, root[i]) for i, p in enumerate(coords)])
    if not geom.is_valid:
        raise ValidationError(f"{value['type']} is not valid: {_why_invalid(geom)}")
    if geom.is_empty or geom.area <= 0:
        raise ValidationError(f"{value['type']} encloses no area")
    return geom


def _count_positions(coords: Any) -> None:
    """Refuse absurdly large outlines before walking them position by position."""
    total = 0
    stack = [coords]
    while stack:
        item = stack.pop()
        if isinstance(item, list) and item and isinstance(item[0], list):
            stack.extend(item)
        else:
            total += 1
            if total > MAX_POSITIONS:
                raise ValidationError(f"too many positions: at most {MAX_POSITIONS} allowed")


def parse_bbox(value: Any) -> BBox:
    """``"minlon,minlat,maxlon,maxlat"`` -> ``BBox``; min must not exceed max."""
    if not isinstance(value, str):
        raise ValidationError("bbox must be a string minlon,minlat,maxlon,maxlat")
    parts = value.split(",")
    if len(parts) != 4:
        raise ValidationError(
            f"bbox must be 4 comma-separated numbers minlon,minlat,maxlon,maxlat; "
            f"got {len(parts)} part(s)"
        )
    numbers: list[float] = []
    for name, part in zip(("minlon", "minlat", "maxlon", "maxlat"), parts, strict=True):
        try:
            number = float(part)
        except ValueError:
            raise ValidationError(f"bbox {name} {part.strip()!r} is not a number") from None
        if not math.isfinite(number):
            raise ValidationError(f"bbox {name} must be a finite number")
        numbers.append(number)
    box = BBox(*numbers)
    for name in ("minlon", "maxlon"):
        if not -180 <= getattr(box, name) <= 180:
            raise ValidationError(f"bbox {name} {getattr(box, name):g} is out of range [-180, 180]")
    for name in ("minlat", "maxlat"):
        if not -90 <= getattr(box, name) <= 90:
            raise ValidationError(f"bbox {name} {getattr(box, name):g} is out of range [-90, 90]")
    if box.minlon > box.maxlon:
        raise ValidationError(f"bbox minlon {box.minlon:g} is greater than maxlon {box.maxlon:g}")
    if box.minlat > box.maxlat:
        raise ValidationError(f"bbox minlat {box.minlat:g} is greater than maxlat {box.maxlat:g}")
    return box


# ---------------------------------------------------------------------------------------------
# Output


def to_geojson(value: Any) -> dict[str, Any] | None:
    """GeoJSON dict from a ``WKBElement``, shapely geometry, ``Location``, ``(lon, lat)`` or an
    already-GeoJSON dict."""
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    if isinstance(value, Location):
        return {"type": "Point", "coordinates": [value.lon, value.lat]}
    if isinstance(value, tuple) and len(value) == 2:
        return {"type": "Point", "coordinates": [float(value[0]), float(value[1])]}
    if isinstance(value, WKBElement):
        xy = wkb_point_xy(value)
        if xy is not None:
            return {"type": "Point", "coordinates": [xy[0], xy[1]]}
        value = to_shape(value)
    # shapely's ``mapping`` uses tuples; JSON clients (and equality in tests) want lists.
    shape: dict[str, Any] = json_tree(dict(mapping(value)))
    return shape


def area_to_wkb(geom: BaseGeometry) -> WKBElement:
    return from_shape(geom, srid=SRID)


def location_to_wkb(location: Location | tuple[float, float]) -> WKBElement:
    from shapely.geometry import Point

    lon, lat = (location.lon, location.lat) if isinstance(location, Location) else location
    return from_shape(Point(lon, lat), srid=SRID)


# ---------------------------------------------------------------------------------------------
# marshmallow fields


# The document's shapes of GeoJSON geometries (OpenAPI 3.0 schema objects), so a generated
# client types ``coordinates`` instead of seeing a bare object.
_POSITION: dict[str, Any] = {
    "type": "array",
    "items": {"type": "number"},
    "minItems": 2,
    "maxItems": 2,
    "description": "[longitude, latitude]",
}
_RING: dict[str, Any] = {"type": "array", "items": _POSITION}


def _geometry(kind: str, coordinates: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": [kind]},
            "coordinates": coordinates,
        },
        "required": ["type", "coordinates"],
    }


POINT_SCHEMA = _geometry("Point", _POSITION)
POLYGON_SCHEMA = _geometry("Polygon", {"type": "array", "items": _RING})
MULTIPOLYGON_SCHEMA = _geometry(
    "MultiPolygon", {"type": "array", "items": {"type": "array", "items": _RING}}
)
AREA_SCHEMA: dict[str, Any] = {"oneOf": [POLYGON_SCHEMA, MULTIPOLYGON_SCHEMA]}
GEOMETRY_SCHEMA: dict[str, Any] = {"oneOf": [POINT_SCHEMA, POLYGON_SCHEMA, MULTIPOLYGON_SCHEMA]}


class _GeoField(fields.Field[Any]):
    _type_doc: dict[str, Any] = {}

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return to_geojson(value)


class PointField(_GeoField):
    """GeoJSON Point. Loads to ``Location`` (``as_tuple=True``: ``(lon, lat)``)."""

    def __init__(self, *, as_tuple: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {
            **POINT_SCHEMA,
            "description": "GeoJSON Point, coordinates [longitude, latitude] (WGS 84)",
            "example": {"type": "Point", "coordinates": [13.405, 52.52]},
            **kwargs["metadata"],
        }
        super().__init__(**kwargs)
        self.as_tuple = as_tuple

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        location = check_point(value)
        return (location.lon, location.lat) if self.as_tuple else location


class AreaField(_GeoField):
    """GeoJSON Polygon or MultiPolygon. Loads to valid shapely geometry."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {
            **AREA_SCHEMA,
            "description": (
                "GeoJSON Polygon or MultiPolygon (WGS 84): closed rings of at least 4 "
                "positions, no self-intersection"
            ),
            "example": {
                "type": "Polygon",
                "coordinates": [
                    [[13.3, 52.45], [13.5, 52.45], [13.5, 52.6], [13.3, 52.6], [13.3, 52.45]]
                ],
            },
            **kwargs.get("metadata", {}),
        }
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return check_area(value)


class BBoxField(fields.Field[BBox]):
    """Query-string bounding box ``minlon,minlat,maxlon,maxlat`` -> ``BBox``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {
            "type": "string",
            "description": "Bounding box minlon,minlat,maxlon,maxlat (WGS 84)",
            "example": "13.3,52.45,13.5,52.6",
            **kwargs.get("metadata", {}),
        }
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> BBox:
        return parse_bbox(value)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else ",".join(f"{v:g}" for v in value)


__all__ = [
    "AREA_SCHEMA",
    "GEOMETRY_SCHEMA",
    "POINT_SCHEMA",
    "SRID",
    "AreaField",
    "BBox",
    "BBoxField",
    "PointField",
    "area_to_wkb",
    "check_area",
    "check_point",
    "check_position",
    "location_to_wkb",
    "parse_bbox",
    "to_geojson",
]
