"""Batch plan: ``POST /dispatch/optimize`` and ``GET /dispatch/optimize/<job_id>``.

Small plans (at most ``FIELDOPS_OPTIMIZE_SYNC_MAX_TICKETS`` tickets, default 60, a fraction of
a second of solving) are answered in the request (200 with the plan); larger ones, or any with
``"async": true``, become an rq job (202 with ``job_id``) whose result is read with GET.
Without Redis everything is synchronous. ``apply: true`` assigns through the dispatcher's
normal assign operation in the same transaction (the request's, or the job's).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backend.accounts.permissions import current_user, require_staff
from backend.api.schemas_common import ApiBlueprint, document_errors
from backend.dispatch import optimize_tasks as tasks
from backend.dispatch.optimize_ops import OptimizeRequest, plan, plannable_count
from backend.dispatch.settings import current_settings

blp = ApiBlueprint(
    "optimize", __name__, url_prefix="/api/v1/dispatch", description="Batch dispatch plans"
)


class OptimizeIn(Schema):
    region_id = fields.UUID(
        load_default=None, metadata={"description": "Plan the open tickets of this region"}
    )
    ticket_ids = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(max=2000),
        metadata={"description": "Plan exactly these tickets (overrides region_id)"},
    )
    apply = fields.Boolean(load_default=False)
    date = fields.Date(
        load_default=None,
        metadata={"description": "Plan the shifts of this (local) day; default: today, now"},
    )
    run_async = fields.Boolean(
        data_key="async",
        load_default=None,
        metadata={"description": "Force a job (true) or an inline answer (false)"},
    )

    @validates_schema
    def _scope(self, data: dict[str, Any], **kwargs: Any) -> None:
        if len(set(data.get("ticket_ids") or [])) != len(data.get("ticket_ids") or []):
            raise ValidationError("ticket ids must be unique", field_name="ticket_ids")


class StopOut(Schema):
    ticket_id = fields.String()
    eta = fields.String(metadata={"description": "Arrival, ISO 8601 UTC"})
    start = fields.String()
    finish = fields.String()
    travel_km = fields.Float()
    travel_min = fields.Float()
    breach_min = fields.Float(metadata={"description": "Minutes past the SLA deadline (0: met)"})
    pinned = fields.Boolean()


class RouteOut(Schema):
    engineer_id = fields.String()
    travel_km = fields.Float()
    travel_min = fields.Float()
    tickets = fields.List(fields.Nested(StopOut))


class UnassignedOut(Schema):
    ticket_id = fields.String()
    reason = fields.String(
        metadata={
            "description": "outside_all_regions | not_in_region | missing_skill:<code> | "
            "status:off_duty | off_shift | at_capacity | shift | capacity"
        }
    )
    detail = fields.String()


class SummaryOut(Schema):
    assigned = fields.Integer()
    unassigned = fields.Integer()
    breaches = fields.Integer()
    travel_km = fields.Float()
    solve_s = fields.Float()
    passes = fields.Integer()


class AppliedOut(Schema):
    ticket_id = fields.String()
    engineer_id = fields.String()
    action = fields.String()


class PlanOut(Schema):
    routes = fields.List(fields.Nested(RouteOut))
    unassigned = fields.List(fields.Nested(UnassignedOut))
    summary = fields.Nested(SummaryOut)
    applied = fields.List(fields.Nested(AppliedOut))
    planned_at = fields.String()


class OptimizeOut(Schema):
    status = fields.String(metadata={"description": "finished (inline) or queued (job)"})
    job_id = fields.String(allow_none=True)
    plan = fields.Nested(PlanOut, allow_none=True)


class JobOut(Schema):
    job_id = fields.String()
    status = fields.String(
        metadata={"description": "queued | started | deferred | scheduled | finished | failed"}
    )
    plan = fields.Nested(PlanOut, allow_none=True)
    error = fields.String(allow_none=True)


@blp.route("/optimize")
class Optimize(MethodView):
    # Every field has a default: no body plans the whole backlog for today.
    @blp.arguments(OptimizeIn, required=False)
    @blp.response(200, OptimizeOut, description="Plan computed in the request")
    @blp.alt_response(202, schema=OptimizeOut, description="Plan queued; poll the job")
    @document_errors(blp, 404, 409)
    @require_staff
    def post(self, args: dict[str, Any]) -> dict[str, Any] | tuple[dict[str, Any], int]:
        """Plan open tickets with VROOM: preview (``apply: false``) or assign (``apply: true``)."""
        req = OptimizeRequest(
            region_id=args["region_id"],
            ticket_ids=tuple(args["ticket_ids"]),
            apply=args["apply"],
            day=args["date"],
        )
        actor = current_user()
        force = args["run_async"]
        queued = tasks.queued_available() and (
            force is True or (force is None and plannable_count(req) > tasks.sync_max())
        )
        if queued:
            # Validate ids now so a typo is a 404/422 here, not a failed job later.
            plannable_count(req, validate=True)
            return {"status": "queued", "job_id": tasks.enqueue(req, actor), "plan": None}, 202
        body = plan(
            req,
            actor=actor,
            settings=current_settings(),
            timeout_s=tasks.solver_timeout(),
            budget_s=tasks.plan_budget(),
        )
        return {"status": "finished", "job_id": None, "plan": body}


@blp.route("/optimize/<string:job_id>")
class OptimizeJob(MethodView):
    @blp.response(200, JobOut)
    @document_errors(blp, 404)
    @require_staff
    def get(self, job_id: str) -> dict[str, Any]:
        """State of a queued plan; the plan once finished."""
        return tasks.job_state(job_id)
