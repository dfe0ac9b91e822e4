"""Mutations for what workorders owns: ticket transitions and edits, notes. Each one calls
the operation the REST API calls (no second implementation of any rule) and applies the merge
table of docs/sync-protocol.md on top: the server's state machine decides the status,
dispatcher-owned fields are never overwritten from a phone, and evidence is kept even when the job
moved on."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import select

from backend.accounts.models import User
from backend.config import settings
from backend.db import db
from backend.errors import InvalidTransition, NotFound, StaleVersion
from backend.geo import PointField
from backend.sync.conflicts import record_conflict
from backend.sync.registry import MutationContext, MutationOutcome, mutation
from backend.workorders import operations as ops
from backend.workorders.models import Note, Ticket, TicketEvent


class _Args(Schema):
    class Meta:
        unknown = EXCLUDE  # newer apps may send fields this server ignores


class TransitionArgs(_Args):
    ticket_id = fields.UUID(required=True)
    action = fields.String(required=True, validate=validate.Length(min=1, max=40))
    base_version = fields.Integer(load_default=None)
    occurred_at = fields.DateTime(load_default=None)
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class NoteAddArgs(_Args):
    id = fields.UUID(required=True)
    ticket_id = fields.UUID(required=True)
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    occurred_at = fields.DateTime(load_default=None)
    customer_visible = fields.Boolean(load_default=False)  # older apps omit it: internal


class NoteEditArgs(_Args):
    id = fields.UUID(required=True)
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    base_version = fields.Integer(required=True)
    occurred_at = fields.DateTime(load_default=None)


class TicketChangesArgs(Schema):
    """The fields ``update_ticket`` edits, with the REST maxima, so a ``ticket.update`` has a
    documented largest size (``backend.sync.limits``). The values are judged by
    ``update_ticket`` (staff) or recorded as a conflict (engineers), as before; an unknown
    field is rejected (it could never be applied)."""

    title = fields.String(validate=validate.Length(max=200))
    description = fields.String(validate=validate.Length(max=20_000))
    priority = fields.String(validate=validate.Length(max=10))
    required_skills = fields.List(
        fields.String(validate=validate.Length(max=64)), validate=validate.Length(max=50)
    )
    location = PointField(allow_none=True)


class TicketUpdateArgs(_Args):
    ticket_id = fields.UUID(required=True)
    changes = fields.Nested(TicketChangesArgs, required=True)
    base_version = fields.Integer(load_default=None)
    occurred_at = fields.DateTime(load_default=None)


def was_assigned(ticket: Ticket, user: User) -> bool:
    """The engineer holds the job now or held it before (reassigned/cancelled while offline):
    their evidence is accepted; anyone else's id-guessing gets a plain 'not found'."""
    if user.is_staff or ticket.assignee_id == user.id:
        return True
    stmt = select(TicketEvent.id).where(
        TicketEvent.ticket_id == ticket.id,
        TicketEvent.data["to_assignee"].astext == str(user.id),
    )
    return db.session.scalars(stmt.limit(1)).first() is not None


def _ticket_for(user: User, ticket_id: Any, *, lock: bool = False) -> Ticket:
    ticket = ops.get_ticket(ticket_id, lock=lock)
    if not was_assigned(ticket, user):
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket


def _server_side(ticket: Ticket) -> dict[str, Any]:
    return {
        "status": ticket.status,
        "assignee_id": ticket.assignee_id,
        "version": ticket.version,
        "priority": ticket.priority,
    }


@mutation("ticket.transition", TransitionArgs)
def ticket_transition(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    ticket = _ticket_for(ctx.user, args["ticket_id"], lock=True)
    mine = {k: args.get(k) for k in ("action", "reason", "occurred_at")}
    why = ops.moved_on(ticket, ctx.user)
    if why is not None:
        conflict = record_conflict(
            actor=ctx.user,
            kind=why,
            message=f"ticket {ticket.number} was {why} before your {args['action']} arrived",
            entity="tickets",
            entity_id=ticket.id,
            ticket_id=ticket.id,
            mine=mine,
            theirs=_server_side(ticket),
            base_version=args["base_version"],
            mutation_id=ctx.mutation_id,
            mutation_name="ticket.transition",
            occurred_at=args["occurred_at"],
        )
        return MutationOutcome("conflict", ticket.version, conflict.id, conflict.message)
    version_before = ticket.version
    try:
        ops.transition(
            ticket,
            ctx.user,
            args["action"],
            reason=args["reason"],
            via="sync",
            occurred_at=args["occurred_at"],
        )
    except InvalidTransition as exc:  # raised before any change: record it with both sides
        conflict = record_conflict(
            actor=ctx.user,
            kind="invalid_transition",
            message=exc.message,
            entity="tickets",
            entity_id=ticket.id,
            ticket_id=ticket.id,
            mine=mine,
            theirs={**_server_side(ticket), **exc.extra},
            base_version=args["base_version"],
            mutation_id=ctx.mutation_id,
            mutation_name="ticket.transition",
            occurred_at=args["occurred_at"],
        )
        return MutationOutcome("conflict", ticket.version, conflict.id, exc.message)
    base = args["base_version"]
    # Valid from the current server state although the job changed meanwhile: merged.
    status = "merged" if base is not None and base != version_before else "applied"
    return MutationOutcome(status, ticket.version)


@mutation("note.add", NoteAddArgs)
def note_add(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    ticket = _ticket_for(ctx.user, args["ticket_id"])
    note = ops.add_note(
        ticket,
        author=ctx.user,
        body=args["body"],
        note_id=args["id"],
        occurred_at=args["occurred_at"],
        via="sync",
        customer_visible=args["customer_visible"],
    )
    why = ops.moved_on(ticket, ctx.user)
    if why is None:
        return MutationOutcome("applied", note.version)
    # Evidence is kept and attached; the dispatcher is told the job had moved on.
    conflict = record_conflict(
        actor=ctx.user,
        kind=f"evidence_after_{'cancel' if why == 'cancelled' else 'reassign'}",
        message=f"a note was added to ticket {ticket.number} after it was {why}",
        entity="notes",
        entity_id=note.id,
        ticket_id=ticket.id,
        mine={"body": args["body"], "note_id": note.id},
        theirs=_server_side(ticket),
        mutation_id=ctx.mutation_id,
        mutation_name="note.add",
        occurred_at=args["occurred_at"],
    )
    return MutationOutcome("conflict", note.version, conflict.id, conflict.message)


@mutation("note.edit", NoteEditArgs)
def note_edit(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    note = db.session.get(Note, args["id"])
    if note is None:
        raise NotFound(f"note {args['id']} not found")
    _ticket_for(ctx.user, note.ticket_id)
    try:
        ops.edit_note(note, author=ctx.user, body=args["body"], base_version=args["base_version"])
    except StaleVersion as exc:
        conflict = record_conflict(
            actor=ctx.user,
            kind="stale_version",
            message=exc.message,
            entity="notes",
            entity_id=note.id,
            ticket_id=note.ticket_id,
            mine={"body": args["body"]},
            theirs={"body": note.body, "version": note.version},
            base_version=args["base_version"],
            mutation_id=ctx.mutation_id,
            mutation_name="note.edit",
            occurred_at=args["occurred_at"],
        )
        return MutationOutcome("conflict", note.version, conflict.id, exc.message)
    return MutationOutcome("applied", note.version)


@mutation("ticket.update", TicketUpdateArgs)
def ticket_update(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    """Priority, schedule and job details belong to the dispatcher: from an engineer's phone
    they become a conflict with both values; staff edits go through ``update_ticket``."""
    ticket = _ticket_for(ctx.user, args["ticket_id"], lock=True)
    changes = args["changes"]
    if ctx.user.is_staff:
        ops.update_ticket(
            ticket,
            actor=ctx.user,
            changes=changes,
            version=args["base_version"],
            sla_policy=settings().SLA_POLICY,
            via="sync",
        )
        return MutationOutcome("applied", ticket.version)
    theirs = {k: getattr(ticket, k, None) for k in changes if k in ops.EDITABLE_FIELDS}
    if changes.get("location") is not None:  # a Location: record it as GeoJSON
        loc = changes["location"]
        changes = {**changes, "location": {"type": "Point", "coordinates": [loc.lon, loc.lat]}}
    conflict = record_conflict(
        actor=ctx.user,
        kind="server_owned_field",
        message=f"{', '.join(sorted(changes))} on ticket {ticket.number} are set by dispatch",
        entity="tickets",
        entity_id=ticket.id,
        ticket_id=ticket.id,
        mine={"changes": changes},
        theirs={**theirs, "version": ticket.version},
        base_version=args["base_version"],
        mutation_id=ctx.mutation_id,
        mutation_name="ticket.update",
        occurred_at=args["occurred_at"],
    )
    return MutationOutcome("conflict", ticket.version, conflict.id, conflict.message)


class LocationReportArgs(_Args):
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    recorded_at = fields.AwareDateTime(required=True)
    accuracy_m = fields.Float(load_default=None, allow_none=True)


@mutation("location.report", LocationReportArgs)
def location_report(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    """The engineer's position fix, through dispatch's ``report_location`` (which ignores a
    fix older than the stored one: phones send them late and out of order)."""
    from backend.dispatch.engineers import report_location

    report_location(
        ctx.user,
        location=ops.Location(args["lon"], args["lat"]),
        recorded_at=args["recorded_at"],
        accuracy_m=args["accuracy_m"],
    )
    return MutationOutcome("applied")
