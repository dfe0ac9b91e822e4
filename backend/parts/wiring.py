"""Registers the parts sync mutations; both call the operations the REST views call.

- ``part.consume {id, ticket_id, part_id, quantity, location_id?, occurred_at?}``
- ``part.none_used {id?, ticket_id, occurred_at?}`` (the "no parts used" statement)

Consumption is evidence: if the job was reassigned or cancelled while the phone was offline,
the usage is still recorded (stock really left the van) and a conflict tells the dispatcher.

It also checks that a job type's suggested parts are in the catalog
(``jobtypes.hooks.definition_checks``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, fields

from backend.jobtypes import hooks as job_type_hooks
from backend.parts import operations as ops
from backend.parts.schemas import StatementIn, UsageIn
from backend.sync.registry import TICKET, MutationContext, MutationOutcome, mutation
from backend.workorders.evidence import ticket_for_evidence
from backend.workorders.sync_mutations import evidence_conflict


class ConsumeArgs(UsageIn):
    """The REST body (``UsageIn``, the one owner of its fields and limits) as a phone queues
    it: naming the ticket, and with the client id it is replayed by."""

    class Meta:
        unknown = EXCLUDE  # newer apps may send fields this server ignores

    id = fields.UUID(required=True)
    ticket_id = fields.UUID(required=True)


class NoneUsedArgs(StatementIn):
    """The REST body (``StatementIn``) as a phone queues it, naming the ticket."""

    class Meta:
        unknown = EXCLUDE

    ticket_id = fields.UUID(required=True)


@mutation("part.consume", ConsumeArgs, entity=TICKET)
def part_consume(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    ticket = ticket_for_evidence(args["ticket_id"], ctx.user, lock=True)
    result = ops.consume_body(ticket, ctx.user, args, offline=True)
    usage = result.usage
    data = {"usage_id": str(usage.id), "negative_stock": usage.negative_stock}
    noted = evidence_conflict(
        ctx,
        ticket,
        "parts were recorded on ticket {number} after it was {why}",
        name="part.consume",
        entity="part_usages",
        entity_id=usage.id,
        mine={"part_id": str(usage.part_id), "quantity": str(usage.quantity)},
        occurred_at=args.get("occurred_at"),
        recorded=result.created,
    )
    if noted is None:
        return MutationOutcome("applied", data=data)
    late, conflict_id = noted
    return MutationOutcome("conflict", conflict_id=conflict_id, error=late.why, data=data)


@mutation("part.none_used", NoneUsedArgs, entity=TICKET)
def part_none_used(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    ticket = ticket_for_evidence(args["ticket_id"], ctx.user, lock=True)
    statement = ops.declare_no_parts(
        ticket,
        ctx.user,
        statement_id=args.get("id"),
        offline=True,
        occurred_at=args.get("occurred_at"),
    )
    return MutationOutcome("applied", data={"statement_id": str(statement.id)})


def job_type_parts_known(content: Mapping[str, Any]) -> None:
    ops.ensure_parts_exist([p["part_id"] for p in content["suggested_parts"]])


job_type_hooks.register(job_type_hooks.definition_checks, job_type_parts_known)
