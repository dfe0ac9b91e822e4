"""Hooks the checklists into workorders and sync.

- the phone context: each synced ticket carries ``job_type`` (the version it keeps: checklist
  definition, description, suggested parts, estimated minutes), so the app renders and
  validates the checklist offline from what the server sends;
- the ``checklist.answer {id, ticket_id, item_key, value, occurred_at?}`` sync mutation,
  calling the operation the REST endpoint calls. Merge rule: per item, the latest answer
  applied wins; an answer after the job was reassigned or cancelled is kept as ``late``
  evidence and raises the evidence conflict, as notes, photos and parts do;
- the customer's tracking page: the labels of the failed items (``public.operations``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from marshmallow import EXCLUDE, fields, validate

from backend.checklists import operations as ops
from backend.checklists.schemas import AnswerIn, PhoneChecklistOut
from backend.hooks import register
from backend.jobtypes.operations import versions_by_id
from backend.public import operations as public_ops
from backend.sync.registry import TICKET, MutationContext, MutationOutcome, mutation
from backend.workorders import hooks
from backend.workorders.evidence import ticket_for_evidence
from backend.workorders.models import Ticket
from backend.workorders.sync_mutations import evidence_conflict


def job_type_for_phone(tickets: Sequence[Ticket]) -> dict[uuid.UUID, dict[str, Any]]:
    """One query for the page's versions."""
    versions = versions_by_id({t.job_type_version_id for t in tickets if t.job_type_version_id})
    out: dict[uuid.UUID, dict[str, Any]] = {}
    for t in tickets:
        v = versions.get(t.job_type_version_id) if t.job_type_version_id else None
        out[t.id] = {
            "job_type": None
            if v is None
            else {
                "job_type_version_id": v.id,
                "version": v.number,
                "name": v.name,
                "description": v.description,
                "estimated_minutes": v.estimated_minutes,
                "suggested_parts": v.suggested_parts,
                "checklist": v.checklist,
            }
        }
    return out


def failed_for_customer(ticket: Ticket) -> list[str]:
    """The tracking page's failed checks: labels only."""
    found = ops.checklists_of([ticket]).get(ticket.id)
    return [f["label"] for f in found.failed_items()] if found is not None else []


hooks.register(hooks.phone_context, job_type_for_phone)
register(public_ops.failed_checks, failed_for_customer)
hooks.register(hooks.phone_context_schemas, PhoneChecklistOut)


class AnswerArgs(AnswerIn):
    class Meta:
        unknown = EXCLUDE  # newer apps may send fields this server ignores

    id = fields.UUID(required=True)
    ticket_id = fields.UUID(required=True)
    item_key = fields.String(required=True, validate=validate.Length(min=1, max=64))


@mutation("checklist.answer", AnswerArgs, entity=TICKET)
def checklist_answer(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    ticket = ticket_for_evidence(args["ticket_id"], ctx.user, lock=True)
    result = ops.answer(
        ticket,
        ctx.user,
        args["item_key"],
        args["value"],
        answer_id=args["id"],
        occurred_at=args.get("occurred_at"),
        offline=True,
    )
    row = result.answer
    data = {"answer_id": str(row.id), "failed": row.failed, "status": row.status}
    noted = evidence_conflict(
        ctx,
        ticket,
        "a checklist answer was given on ticket {number} after it was {why}",
        name="checklist.answer",
        entity="checklist_answers",
        entity_id=row.id,
        mine={"item_key": row.item_key, "value": row.value},
        occurred_at=args.get("occurred_at"),
        recorded=result.recorded,
    )
    if noted is None:
        return MutationOutcome("applied", entity_version=ticket.version, data=data)
    late, conflict_id = noted
    return MutationOutcome("conflict", conflict_id=conflict_id, error=late.why, data=data)
