"""Batch plan: ``POST /dispatch/optimize`` and ``GET /dispatch/optimize/<job_id>``.

Small plans (at most ``FIELDOPS_OPTIMIZE_SYNC_MAX_TICKETS`` tickets, default 60, a fraction of
a second of solving) are answered in the request (200 with the plan); larger ones, or any with
``"async": true``, become an rq job (202 with ``job_id``) whose result is read with GET.
Without Redis everything is synchronous. ``apply: true`` carries out exactly the preview it
echoes (no solving, so always in the request), through the dispatcher's normal assign
operation, or answers 409 ``plan_changed`` naming the inputs that changed since. A second
queued plan for a region while one is queued or running is a 409 ``plan_running`` naming
it; DELETE cancels a queued or running plan.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from backend.accounts.permissions import current_user, require_staff
from backend.api.schemas_common import ApiBlueprint, document_errors
from backend.dispatch.optimize import tasks
from backend.dispatch.optimize.ops import Approved, OptimizeRequest, plan, plannable_count
from backend.dispatch.optimize.schemas import JobOut, OptimizeIn, OptimizeOut
from backend.dispatch.settings import current_settings

blp = ApiBlueprint(
    "optimize", __name__, url_prefix="/api/v1/dispatch", description="Batch dispatch plans"
)


@blp.route("/optimize")
class Optimize(MethodView):
    # Every field has a default: no body plans the whole backlog for today.
    @blp.arguments(OptimizeIn, required=False)
    @blp.response(200, OptimizeOut, description="Plan computed in the request")
    @blp.alt_response(202, schema=OptimizeOut, description="Plan queued; poll the job")
    @document_errors(blp, 404, 409)
    @require_staff
    def post(self, args: dict[str, Any]) -> dict[str, Any] | tuple[dict[str, Any], int]:
        """Plan open tickets: preview (``apply: false``), or apply exactly a preview."""
        shown = args["preview"] if args["apply"] else None
        req = OptimizeRequest(
            region_id=args["region_id"],
            ticket_ids=tuple(args["ticket_ids"]),
            day=args["date"],
            unpin=tuple(args["unpin"]),
            approved=Approved(
                fingerprint=shown["fingerprint"],
                inputs=shown["inputs"],
                moves=tuple(
                    (c["ticket_id"], c["to_engineer_id"], c["eta"]) for c in shown["changes"]
                ),
            )
            if shown
            else None,
        )
        actor = current_user()
        force = args["run_async"]
        queued = (
            not req.apply
            and tasks.queued_available()
            and (force is True or (force is None and plannable_count(req) > tasks.sync_max()))
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
            memory_mb=tasks.memory_budget(),
        )
        return {"status": "finished", "job_id": None, "plan": body}


@blp.route("/optimize/<string:job_id>")
class OptimizeJob(MethodView):
    @blp.response(200, JobOut)
    @document_errors(blp, 404)
    @require_staff
    def get(self, job_id: str) -> dict[str, Any]:
        """State of a queued plan and its progress; the plan once finished."""
        return tasks.job_state(job_id)

    @blp.response(200, JobOut)
    @document_errors(blp, 404)
    @require_staff
    def delete(self, job_id: str) -> dict[str, Any]:
        """Cancel a queued or running plan (its region may be planned again at once)."""
        return tasks.cancel(job_id)
