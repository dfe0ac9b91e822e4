"""Regions (territory polygons) and skills."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from backend.accounts.permissions import current_user, require_login, require_staff
from backend.api.schemas_common import ApiBlueprint, operation, paginate
from backend.dispatch import regions as ops
from backend.dispatch.models import Region, Skill
from backend.dispatch.schemas import RegionIn, RegionOut, SkillIn, SkillOut

blp = ApiBlueprint("regions", __name__, url_prefix="/api/v1", description="Regions and skills")


@blp.route("/regions")
class Regions(MethodView):
    @operation(blp, 201, RegionOut, body=RegionIn)
    @require_staff
    def post(self, args: dict[str, Any]) -> Region:
        """Create a region from a GeoJSON Polygon or MultiPolygon (regions may overlap)."""
        return ops.create_region(actor=current_user(), **args)

    @operation(blp, 200, RegionOut(many=True), paginate=True)
    @require_login
    def get(self, pagination_parameters: PaginationParameters) -> list[Region]:
        """Regions by name."""
        return paginate(ops.regions_query(), pagination_parameters)


@blp.route("/regions/<uuid:region_id>")
class RegionById(MethodView):
    @operation(blp, 200, RegionOut, errors=(404,))
    @require_login
    def get(self, region_id: uuid.UUID) -> Region:
        """One region with its area."""
        return ops.get_region(region_id)


@blp.route("/skills")
class Skills(MethodView):
    @operation(blp, 201, SkillOut, body=SkillIn, errors=(409,))
    @require_staff
    def post(self, args: dict[str, Any]) -> Skill:
        """Create a skill; codes are unique (409 when taken)."""
        return ops.create_skill(actor=current_user(), **args)

    @operation(blp, 200, SkillOut(many=True), paginate=True)
    @require_login
    def get(self, pagination_parameters: PaginationParameters) -> list[Skill]:
        """Skills by code."""
        return paginate(ops.skills_query(), pagination_parameters)
