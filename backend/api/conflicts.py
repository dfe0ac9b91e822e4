"""Sync conflicts for dispatchers: list them, resolve them (engineers get them via pull)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from backend.accounts.permissions import current_user, require_staff
from backend.api.schemas_common import ApiBlueprint, operation, paginate
from backend.config import settings
from backend.sync import conflicts as ops
from backend.sync.models import SyncConflict
from backend.sync.schemas import ConflictOut, ConflictQuery, ConflictResolveIn

blp = ApiBlueprint(
    "conflicts", __name__, url_prefix="/api/v1/conflicts", description="Sync conflicts"
)


@blp.route("")
class Conflicts(MethodView):
    @operation(blp, 200, ConflictOut(many=True), query=ConflictQuery, paginate=True)
    @require_staff
    def get(
        self, query: dict[str, Any], pagination_parameters: PaginationParameters
    ) -> list[SyncConflict]:
        """Conflicts, newest first; ``status`` open (default), resolved or all."""
        stmt = ops.conflicts_query(**query)
        return paginate(stmt, pagination_parameters)


@blp.route("/<uuid:conflict_id>/resolve")
class Resolve(MethodView):
    @operation(blp, 200, ConflictOut, body=ConflictResolveIn, errors=(404, 409))
    @require_staff
    def post(self, args: dict[str, Any], conflict_id: uuid.UUID) -> SyncConflict:
        """Record the decision: ``keep_server``, ``apply_engineer`` (re-applies the engineer's
        field edit through the normal operation) or ``acknowledged``."""
        conflict = ops.get_conflict(conflict_id)
        return ops.resolve_conflict(
            conflict,
            actor=current_user(),
            resolution=args["resolution"],
            note=args["note"],
            sla_policy=settings().SLA_POLICY,
        )
