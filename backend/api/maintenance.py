"""Maintenance plans, their occurrences, and assets' meter readings and maintenance view
(dispatchers and admins; docs/maintenance.md)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from backend.accounts.permissions import current_user, require_staff
from backend.api.schemas_common import ApiBlueprint, operation, paginate
from backend.db import utcnow
from backend.maintenance import assets as asset_ops
from backend.maintenance import occurrences as occ
from backend.maintenance import plans as ops
from backend.maintenance.models import MaintenancePlan, MeterReading
from backend.maintenance.schemas import (
    AssetMaintenanceOut,
    MaintenanceOccurrenceOut,
    MaintenanceOccurrenceQuery,
    MaintenancePlanIn,
    MaintenancePlanOut,
    MaintenancePlanPatchIn,
    MaintenancePlanQuery,
    MeterReadingIn,
    MeterReadingOut,
    OccurrenceMoveIn,
    OccurrenceSkipIn,
)

blp = ApiBlueprint(
    "maintenance",
    __name__,
    url_prefix="/api/v1",
    description="Preventive maintenance: plans, their occurrences, meter readings",
)

DEFAULT_SPAN = timedelta(days=90)


@blp.route("/maintenance-plans")
class Plans(MethodView):
    @operation(blp, 201, MaintenancePlanOut, body=MaintenancePlanIn, errors=(404,))
    @require_staff
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Create a plan for one asset (``asset_id``), a site's assets (``site_id``) or a
        model's (``asset_model``), repeating by ``rrule`` from ``dtstart`` in ``timezone``,
        by ``meter_name`` every ``meter_every`` units, or both (whichever comes first). A
        wrong rule is a 422 naming its part; an unknown or archived job type is 404/422."""
        return ops.describe(ops.create_plan(current_user(), **args))

    @operation(
        blp,
        200,
        MaintenancePlanOut(many=True),
        query=MaintenancePlanQuery,
        paginate=True,
        errors=(404,),
    )
    @require_staff
    def get(
        self, query: dict[str, Any], pagination_parameters: PaginationParameters
    ) -> list[dict[str, Any]]:
        """Plans by name; ``state`` and ``asset_id`` (plans covering that asset) filter."""
        page: list[MaintenancePlan] = paginate(ops.plans_query(**query), pagination_parameters)
        return [ops.describe(p) for p in page]


@blp.route("/maintenance-plans/<uuid:plan_id>")
class PlanById(MethodView):
    @operation(blp, 200, MaintenancePlanOut, errors=(404,))
    @require_staff
    def get(self, plan_id: uuid.UUID) -> dict[str, Any]:
        """One plan."""
        return ops.describe(ops.get_plan(plan_id))

    @operation(blp, 200, MaintenancePlanOut, body=MaintenancePlanPatchIn, errors=(404, 409))
    @require_staff
    def patch(self, args: dict[str, Any], plan_id: uuid.UUID) -> dict[str, Any]:
        """Edit the rules (the scope stays). Tickets already created keep their dates; an
        ended plan is 409."""
        return ops.describe(ops.update_plan(ops.get_plan(plan_id, lock=True), args))


def _set_state(plan_id: uuid.UUID, action: str) -> dict[str, Any]:
    return ops.describe(ops.set_state(ops.get_plan(plan_id, lock=True), action))


@blp.route("/maintenance-plans/<uuid:plan_id>/pause", methods=["POST"])
@operation(blp, 200, MaintenancePlanOut, errors=(404, 409))
@require_staff
def pause_plan(plan_id: uuid.UUID) -> dict[str, Any]:
    """Pause: no tickets are generated until resumed (409 unless active)."""
    return _set_state(plan_id, "pause")


@blp.route("/maintenance-plans/<uuid:plan_id>/resume", methods=["POST"])
@operation(blp, 200, MaintenancePlanOut, errors=(404, 409))
@require_staff
def resume_plan(plan_id: uuid.UUID) -> dict[str, Any]:
    """Resume a paused plan; what fell due while it was paused is not caught up."""
    return _set_state(plan_id, "resume")


@blp.route("/maintenance-plans/<uuid:plan_id>/end", methods=["POST"])
@operation(blp, 200, MaintenancePlanOut, errors=(404, 409))
@require_staff
def end_plan(plan_id: uuid.UUID) -> dict[str, Any]:
    """End a plan for good: no occurrence from now on (tickets already created stay)."""
    return _set_state(plan_id, "end")


@blp.route("/maintenance-plans/<uuid:plan_id>/occurrences")
class Occurrences(MethodView):
    @operation(
        blp,
        200,
        MaintenanceOccurrenceOut(many=True),
        query=MaintenanceOccurrenceQuery,
        errors=(404,),
    )
    @require_staff
    def get(self, query: dict[str, Any], plan_id: uuid.UUID) -> list[dict[str, Any]]:
        """Occurrences planned to start in ``[from, to)`` (default: the next 90 days; at
        most 366 days), skipped and moved ones marked, with their tickets once created."""
        plan = ops.get_plan(plan_id)
        start = query.get("from_") or utcnow()
        end = query.get("to") or start + DEFAULT_SPAN
        return [d.as_dict() for d in occ.upcoming(plan, start, end, query.get("asset_id"))]


@blp.route("/maintenance-plans/<uuid:plan_id>/occurrences/skip", methods=["POST"])
@operation(blp, 200, MaintenanceOccurrenceOut, body=OccurrenceSkipIn, errors=(404, 409))
@require_staff
def skip_occurrence(args: dict[str, Any], plan_id: uuid.UUID) -> dict[str, Any]:
    """Skip the occurrence due at ``due_at`` (on ``asset_id``); its ticket, if created and
    not done, is cancelled with ``reason``."""
    plan = ops.get_plan(plan_id, lock=True)
    return occ.skip(plan, current_user(), **args).as_dict()


@blp.route("/maintenance-plans/<uuid:plan_id>/occurrences/move", methods=["POST"])
@operation(blp, 200, MaintenanceOccurrenceOut, body=OccurrenceMoveIn, errors=(404, 409))
@require_staff
def move_occurrence(args: dict[str, Any], plan_id: uuid.UUID) -> dict[str, Any]:
    """Move the occurrence due at ``due_at`` (on ``asset_id``) to start at ``to``; its
    ticket's arrival window moves with it."""
    plan = ops.get_plan(plan_id, lock=True)
    return occ.move(plan, current_user(), **args).as_dict()


@blp.route("/assets/<uuid:asset_id>/maintenance")
class AssetMaintenance(MethodView):
    @operation(blp, 200, AssetMaintenanceOut, errors=(404,))
    @require_staff
    def get(self, asset_id: uuid.UUID) -> dict[str, Any]:
        """The asset's plans with each one's next due time and last service, the asset's
        next due time and last service overall, and its latest meter readings."""
        return asset_ops.asset_maintenance(asset_id)


@blp.route("/assets/<uuid:asset_id>/meter-readings", methods=["POST"])
@operation(blp, 201, MeterReadingOut, body=MeterReadingIn, errors=(404,))
@require_staff
def post_reading(args: dict[str, Any], asset_id: uuid.UUID) -> MeterReading:
    """Record a meter reading; a meter plan whose due reading it reaches gets its ticket on
    the generation job's next run."""
    return asset_ops.record_reading(asset_id, current_user(), **args)
