"""Registers the parts sync mutations; both call the operations the REST views call.

- ``part.consume {id, ticket_id, part_id, quantity, location_id?, occurred_at?}``
- ``part.none_used {id?, ticket_id, occurred_at?}`` (the "no parts used" statement)

Consumption is evidence: if the job was reassigned or cancelled while the phone was offline,
the usage is still recorded (stock really left the van) and a conflict tells the dispatcher.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields

from backend.errors import NotFound
from backend.parts import operations as ops
from backend.parts.schemas import quantity_field
from backend.sync.evidence import record_conflict, server_side
from backend.sync.registry import MutationContext, MutationOutcome, mutation
from backend.workorders.models import Ticket
from backend.workorders.operations import get_ticket, moved_on


class _Args(Schema):
    class Meta:
        unknown = EXCLUDE  # newer apps may send fields this server ignores


class ConsumeArgs(_Args):
    id = fields.UUID(required=True)
    ticket_id = fields.UUID(required=True)
    part_id = fields.UUID(required=True)
    quantity = quantity_field(required=True)
    location_id = fields.UUID(load_default=None, allow_none=True)
    occurred_at = fields.AwareDateTime(load_default=None, allow_none=True)


class NoneUsedArgs(_Args):
    id = fields.UUID(load_default=None, allow_none=True)
    ticket_id = fields.UUID(required=True)
    occurred_at = fields.AwareDateTime(load_default=None, allow_none=True)


def ticket_for_evidence(ctx: MutationContext, ticket_id: Any) -> Ticket:
    """The ticket, if this user holds or held it; others get 'not found' (no probing)."""
    ticket = get_ticket(ticket_id, lock=True)
    user = ctx.user
    if not (user.is_staff or ticket.assignee_id == user.id or ops.was_assigned(ticket, user)):
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket


@mutation("part.consume", ConsumeArgs)
def part_consume(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    ticket = ticket_for_evidence(ctx, args["ticket_id"])
    result = ops.consume_part(
        ticket,
        ctx.user,
        part_id=args["part_id"],
        quantity=args["quantity"],
        location_id=args.get("location_id"),
        usage_id=args["id"],
        via="sync",
        occurred_at=args.get("occurred_at"),
    )
    usage = result.usage
    data = {"usage_id": str(usage.id), "negative_stock": usage.negative_stock}
    why = moved_on(ticket, ctx.user)
    if why is None or not result.created:
        return MutationOutcome("applied", data=data)
    conflict_id = record_conflict(
        actor=ctx.user,
        ticket_id=ticket.id,
        entity="part_usages",
        entity_id=usage.id,
        kind=f"evidence_after_{'cancel' if why == 'cancelled' else 'reassign'}",
        message=f"parts were recorded on ticket {ticket.number} after it was {why}",
        mine={"part_id": str(usage.part_id), "quantity": str(usage.quantity)},
        theirs=server_side(ticket),
        mutation_id=ctx.mutation_id,
        mutation_name="part.consume",
        occurred_at=args.get("occurred_at"),
    )
    return MutationOutcome("conflict", conflict_id=conflict_id, error=why, data=data)


@mutation("part.none_used", NoneUsedArgs)
def part_none_used(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    ticket = ticket_for_evidence(ctx, args["ticket_id"])
    statement = ops.declare_no_parts(
        ticket,
        ctx.user,
        statement_id=args.get("id"),
        via="sync",
        occurred_at=args.get("occurred_at"),
    )
    return MutationOutcome("applied", data={"statement_id": str(statement.id)})
