"""Engineer profiles (staff) and the engineer's own location reports."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from backend.accounts.models import Role
from backend.accounts.permissions import current_user, require_login, require_roles, require_staff
from backend.api.schemas_common import ApiBlueprint, operation
from backend.db import utcnow
from backend.dispatch import engineers as ops
from backend.dispatch.models import EngineerProfile
from backend.dispatch.schemas import (
    EngineerIn,
    EngineerLocationIn,
    EngineerOut,
    EngineerPatch,
    EngineerQuery,
)
from backend.dispatch.settings import current_settings

blp = ApiBlueprint(
    "engineers", __name__, url_prefix="/api/v1", description="Engineer profiles and locations"
)


def _one(profile: EngineerProfile) -> dict[str, Any]:
    return ops.describe([profile], now=utcnow(), stale_after=current_settings().stale_location)[0]


@blp.route("/engineers")
class Engineers(MethodView):
    @operation(blp, 201, EngineerOut, body=EngineerIn, errors=(404, 409))
    @require_staff
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Create the profile of a user whose role is engineer (its id is the user's id)."""
        return _one(ops.create_profile(actor=current_user(), **args))

    @operation(blp, 200, EngineerOut(many=True), query=EngineerQuery, paginate=True)
    @require_staff
    def get(
        self, query: dict[str, Any], pagination_parameters: PaginationParameters
    ) -> list[dict[str, Any]]:
        """Engineer profiles, optionally by region, status or skill (paginated)."""
        items, total = ops.list_profiles(
            **query,
            offset=pagination_parameters.first_item,
            limit=pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return ops.describe(items, now=utcnow(), stale_after=current_settings().stale_location)


@blp.route("/engineers/<uuid:engineer_id>")
class EngineerById(MethodView):
    @operation(blp, 200, EngineerOut, errors=(404,))
    @require_login
    def get(self, engineer_id: uuid.UUID) -> dict[str, Any]:
        """One profile (staff, or the engineer themself)."""
        return _one(ops.get_profile(engineer_id, for_user=current_user()))

    @operation(blp, 200, EngineerOut, body=EngineerPatch, errors=(403, 404))
    @require_login
    def patch(self, changes: dict[str, Any], engineer_id: uuid.UUID) -> dict[str, Any]:
        """Change a profile (staff), or one's own ``status`` (engineer)."""
        user = current_user()
        profile = ops.get_profile(engineer_id, for_user=user)
        return _one(ops.update_profile(profile, actor=user, changes=changes))


@blp.route("/me/location")
class MyLocation(MethodView):
    @operation(blp, 200, EngineerOut, body=EngineerLocationIn, errors=(404,))
    @require_roles(Role.ENGINEER)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Report the engineer's position. Older fixes than the stored one are ignored; a
        position older than the configured age counts as stale and dispatch uses home."""
        return _one(ops.report_location(current_user(), **args))
