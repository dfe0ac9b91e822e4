"""Regions (territory polygons) and skills."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from marshmallow import Schema, fields, validate

from backend.accounts.permissions import current_user, require_login, require_staff
from backend.api.schemas_common import ApiBlueprint, document_errors, paginate
from backend.dispatch import regions as ops
from backend.dispatch.models import Region, Skill
from backend.geo import AreaField

blp = ApiBlueprint("regions", __name__, url_prefix="/api/v1", description="Regions and skills")


class RegionIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    area = AreaField(required=True)


class RegionOut(Schema):
    id = fields.UUID()
    name = fields.String()
    area = AreaField()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SkillIn(Schema):
    code = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
            error="1-64 letters, digits, '_', '-' or '.', starting with a letter or digit",
        ),
        metadata={"description": "Stable identifier, stored lower-case (e.g. `hvac`)"},
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class SkillOut(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()


@blp.route("/regions")
class Regions(MethodView):
    @blp.arguments(RegionIn)
    @blp.response(201, RegionOut)
    @require_staff
    def post(self, args: dict[str, Any]) -> Region:
        """Create a region from a GeoJSON Polygon or MultiPolygon (regions may overlap)."""
        return ops.create_region(actor=current_user(), **args)

    @blp.response(200, RegionOut(many=True))
    @blp.paginate()
    @require_login
    def get(self, pagination_parameters: PaginationParameters) -> list[Region]:
        """Regions by name."""
        return paginate(ops.regions_query(), pagination_parameters)


@blp.route("/regions/<uuid:region_id>")
class RegionById(MethodView):
    @blp.response(200, RegionOut)
    @document_errors(blp, 404)
    @require_login
    def get(self, region_id: uuid.UUID) -> Region:
        """One region with its area."""
        return ops.get_region(region_id)


@blp.route("/skills")
class Skills(MethodView):
    @blp.arguments(SkillIn)
    @blp.response(201, SkillOut)
    @document_errors(blp, 409)
    @require_staff
    def post(self, args: dict[str, Any]) -> Skill:
        """Create a skill; codes are unique (409 when taken)."""
        return ops.create_skill(actor=current_user(), **args)

    @blp.response(200, SkillOut(many=True))
    @blp.paginate()
    @require_login
    def get(self, pagination_parameters: PaginationParameters) -> list[Skill]:
        """Skills by code."""
        return paginate(ops.skills_query(), pagination_parameters)
