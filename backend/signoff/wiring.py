"""Hooks the sign-off feature into workorders and sync.

- the completion guard: ``complete`` is refused (409, listing what is missing) until the
  completion rules are met; a job type's own completion rules are checked as a layer of them;
- the service report: rendered by a job once a job is completed (``tasks``);
- the phone context: each synced ticket carries ``completion.requirements`` from those rules,
  so the offline checklist shows what the server will ask for;
- the ``signoff.submit {id, ticket_id, signer_name, signature, rating?, comment?, location?,
  occurred_at?}`` sync mutation, calling the same operation as the REST endpoint.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, fields, validate

from backend.jobtypes import hooks as job_type_hooks
from backend.signoff import operations as ops
from backend.signoff import tasks
from backend.signoff.schemas import PhoneCompletionOut, SignoffIn
from backend.sync.registry import TICKET, MutationContext, MutationOutcome, mutation
from backend.workorders import hooks
from backend.workorders.evidence import ticket_for_evidence
from backend.workorders.sync_mutations import evidence_conflict

hooks.register(hooks.completion_guards, ops.missing_for_completion)
job_type_hooks.register(job_type_hooks.definition_checks, ops.check_job_type_rules)
hooks.register(hooks.phone_context, ops.requirements_for_phone)
hooks.register(hooks.phone_context_schemas, PhoneCompletionOut)
hooks.register(hooks.after_transition, tasks.on_transition)


class SubmitArgs(SignoffIn):
    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(required=True)
    ticket_id = fields.UUID(required=True)
    signer_name = fields.String(required=True, validate=validate.Length(min=1, max=200))


def _render_and_store(args: dict[str, Any]) -> ops.PreparedSignature:
    return ops.prepare_signature(args["signature"])


@mutation("signoff.submit", SubmitArgs, entity=TICKET, prepare=_render_and_store)
def signoff_submit(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    ticket = ticket_for_evidence(args["ticket_id"], ctx.user, lock=True)
    result = ops.submit_body(
        ticket, ctx.user, args, prepared=ctx.prepared, offline=True, mutation_id=ctx.mutation_id
    )
    data = {"signoff_id": str(result.signoff.id), "completed": result.completed}
    if result.status == "conflict":
        return MutationOutcome(
            "conflict",
            conflict_id=result.conflict_id,
            error="the job was already signed; this signature is kept as a conflict",
            data=data,
        )
    noted = evidence_conflict(
        ctx,
        ticket,
        "a signature was taken for ticket {number} after it was {why}",
        name="signoff.submit",
        entity="signoffs",
        entity_id=result.signoff.id,
        mine=ops.summary(result.signoff),
        occurred_at=args.get("occurred_at"),
        recorded=result.status != "duplicate",
    )
    if noted is None:
        return MutationOutcome("applied", entity_version=ticket.version, data=data)
    late, conflict_id = noted
    return MutationOutcome("conflict", conflict_id=conflict_id, error=late.why, data=data)
