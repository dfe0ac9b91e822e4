"""Dispatch: ranked candidates, assign (best or picked, with overrides), unassign, decisions,
and the dispatcher's map."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from backend.accounts.permissions import current_user, require_staff
from backend.api.replica_routing import reads_replica
from backend.api.schemas_common import ApiBlueprint, operation
from backend.config import settings
from backend.db import utcnow
from backend.dispatch import mapdata, timeline
from backend.dispatch import operations as ops
from backend.dispatch.schemas import (
    DispatchAssignIn,
    DispatchCandidateOut,
    DispatchCandidatesQuery,
    DispatchDecisionOut,
    DispatchMapQuery,
    DispatchUnassignIn,
    DispatchUnassignOut,
    MapFeatureCollectionOut,
    TimelineOut,
    TimelineQuery,
)
from backend.dispatch.settings import DispatchSettings, current_settings
from backend.workorders.operations import get_ticket

blp = ApiBlueprint(
    "dispatch", __name__, url_prefix="/api/v1/dispatch", description="Dispatcher: who, and where"
)


@blp.record_once
def _check_settings(state: Any) -> None:
    """Check the region ids and the weights version when the app is built (the numbers are
    checked with every setting): a typo stops the start instead of the first auto-dispatch."""
    DispatchSettings.from_config(state.app.config)


@blp.route("/tickets/<uuid:ticket_id>/candidates")
class Candidates(MethodView):
    @operation(
        blp, 200, DispatchCandidateOut(many=True), query=DispatchCandidatesQuery, errors=(404,)
    )
    @require_staff
    def get(self, query: dict[str, Any], ticket_id: uuid.UUID) -> list[dict[str, Any]]:
        """Every engineer worth considering, ranked: eligible first (score, terms, ETA), then
        ineligible with machine-readable reasons."""
        ticket = get_ticket(ticket_id)
        verdicts = ops.candidates_for(
            ticket, settings=current_settings(), also=tuple(query.get("engineer_id") or ())
        )
        return [v.to_dict() for v in verdicts]


@blp.route("/tickets/<uuid:ticket_id>/assign")
class Assign(MethodView):
    @operation(blp, 200, DispatchDecisionOut, body=DispatchAssignIn, errors=(404, 409))
    @require_staff
    def post(self, args: dict[str, Any], ticket_id: uuid.UUID) -> dict[str, Any]:
        """Assign the best eligible engineer, or ``engineer_id``. A pick that breaks hard
        rules is 409 (listing ``broken_rules``) unless a ``reason`` is given; then it is
        stored as an override. Returns the stored decision."""
        ticket = get_ticket(ticket_id, lock=True)
        decision = ops.dispatch_ticket(
            ticket, actor=current_user(), settings=current_settings(), **args
        )
        return ops.decision_view(decision, ticket)


@blp.route("/tickets/<uuid:ticket_id>/unassign")
class Unassign(MethodView):
    @operation(blp, 200, DispatchUnassignOut, body=DispatchUnassignIn, errors=(404, 409))
    @require_staff
    def post(self, args: dict[str, Any], ticket_id: uuid.UUID) -> dict[str, object]:
        """Take the ticket off its engineer; it returns to ``new``."""
        ticket = get_ticket(ticket_id, lock=True)
        ops.unassign_ticket(ticket, actor=current_user(), reason=args.get("reason"))
        return {"ticket_id": ticket.id, "ticket_status": ticket.status, "assignee_id": None}


@blp.route("/tickets/<uuid:ticket_id>/decisions")
class Decisions(MethodView):
    @operation(blp, 200, DispatchDecisionOut(many=True), errors=(404,))
    @require_staff
    def get(self, ticket_id: uuid.UUID) -> list[dict[str, Any]]:
        """Stored decisions for the ticket, newest first (at most 20)."""
        ticket = get_ticket(ticket_id)
        return [ops.decision_view(d, ticket) for d in ops.decisions_for(ticket.id)]


@blp.route("/map")
class Map(MethodView):
    @reads_replica
    @operation(blp, 200, MapFeatureCollectionOut, query=DispatchMapQuery)
    @require_staff
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """GeoJSON FeatureCollection of open tickets, engineers and regions in ``bbox``;
        each feature has ``properties.kind`` (ticket | engineer | region)."""
        return mapdata.feature_collection(
            query["bbox"],
            now=utcnow(),
            stale_after=current_settings().stale_location,
            at_risk_fraction=settings().SLA_AT_RISK_FRACTION,
            include=tuple(query["include"]),
        )


@blp.route("/timeline")
class Timeline(MethodView):
    @reads_replica
    @operation(blp, 200, TimelineOut, query=TimelineQuery)
    @require_staff
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The day on a timeline: every engineer's shift that (local) day and their jobs in
        ETA order with the travel before each, and the unassigned tickets."""
        now = utcnow()
        return timeline.day_timeline(
            query["date"] or now.date(),
            now=now,
            settings=current_settings(),
            at_risk_fraction=settings().SLA_AT_RISK_FRACTION,
        )
