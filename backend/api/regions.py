"""Regions (territory polygons) and skills."""

from __future__ import annotations

from backend.accounts.permissions import require_login
from backend.api.records import Create, Listing, collection, record
from backend.api.schemas_common import ApiBlueprint
from backend.dispatch import regions as ops
from backend.dispatch.schemas import RegionIn, RegionOut, SkillIn, SkillOut

blp = ApiBlueprint("regions", __name__, url_prefix="/api/v1", description="Regions and skills")


collection(
    blp,
    "/regions",
    "Regions",
    RegionOut,
    create=Create(
        RegionIn,
        ops.create_region,
        "Create a region from a GeoJSON Polygon or MultiPolygon (regions may overlap).",
    ),
    listing=Listing(ops.regions_query, "Regions by name.", access=require_login),
)
record(
    blp,
    "/regions/<uuid:region_id>",
    "RegionById",
    RegionOut,
    ops.get_region,
    "One region with its area.",
    access=require_login,
)
collection(
    blp,
    "/skills",
    "Skills",
    SkillOut,
    create=Create(
        SkillIn,
        ops.create_skill,
        "Create a skill; codes are unique (409 when taken).",
        errors=(409,),
    ),
    listing=Listing(ops.skills_query, "Skills by code.", access=require_login),
)
