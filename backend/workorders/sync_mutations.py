"""The sync mutations workorders owns: ticket transitions and edits, notes. Each one calls
the operation the REST API calls (no second implementation of any rule) and applies the merge
table of docs/sync-protocol.md on top: the server's state machine decides the status,
dispatcher-owned fields are never overwritten from a phone, and evidence is kept even when the job
moved on (``evidence_conflict``, used by every feature's evidence mutation).

Registered at start-up through ``backend.workorders.wiring``, like every feature's mutations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from backend.accounts.models import User
from backend.config import settings
from backend.db import db
from backend.errors import Invalid, InvalidTransition, NotFound, StaleVersion
from backend.geo import PointField
from backend.sync.apply import error_summary
from backend.sync.conflicts import record_conflict
from backend.sync.models import SyncConflict
from backend.sync.registry import (
    TICKET,
    Entity,
    MutationContext,
    MutationOutcome,
    mutation,
)
from backend.workorders import operations as ops
from backend.workorders.evidence import (
    LateEvidence,
    late_evidence,
    ticket_for_evidence,
    ticket_summary,
)
from backend.workorders.models import Note, Ticket

NOTE = Entity("notes", "id")


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
    documented largest size (``backend.sync.limits``). ``location`` is a GeoJSON Point, loaded
    to a ``Location``. The values are judged by ``update_ticket`` (staff) or recorded as a
    conflict (engineers); an unknown field is rejected (it could never be applied)."""

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


def evidence_conflict(
    ctx: MutationContext,
    ticket: Ticket,
    what: str,
    *,
    name: str,
    entity: str,
    entity_id: uuid.UUID,
    mine: dict[str, Any],
    occurred_at: datetime | None,
    recorded: bool = True,
) -> tuple[LateEvidence, uuid.UUID] | None:
    """Evidence was kept on ``ticket``; if the job had moved on (``late_evidence``), record
    the conflict that tells the dispatcher, and return why and its id. The one place every
    evidence mutation (notes, photos, parts, signatures) records it. ``recorded`` False: this
    push only repeated evidence already kept, whose conflict (if any) was noted then."""
    late = late_evidence(ticket, ctx.user, what) if recorded else None
    if late is None:
        return None
    conflict = record_conflict(
        actor=ctx.user,
        kind=late.kind,
        message=late.message,
        entity=entity,
        entity_id=entity_id,
        ticket_id=ticket.id,
        mine=mine,
        theirs=ticket_summary(ticket),
        mutation_id=ctx.mutation_id,
        mutation_name=name,
        occurred_at=occurred_at,
    )
    return late, conflict.id


def _ticket_conflict(
    ctx: MutationContext,
    ticket: Ticket,
    args: dict[str, Any],
    *,
    name: str,
    kind: str,
    message: str,
    mine: dict[str, Any],
    theirs: dict[str, Any],
) -> MutationOutcome:
    """A ticket mutation the server would not apply, recorded with both sides."""
    conflict = record_conflict(
        actor=ctx.user,
        kind=kind,
        message=message,
        entity="tickets",
        entity_id=ticket.id,
        ticket_id=ticket.id,
        mine=mine,
        theirs=theirs,
        base_version=args["base_version"],
        mutation_id=ctx.mutation_id,
        mutation_name=name,
        occurred_at=args["occurred_at"],
    )
    return MutationOutcome("conflict", ticket.version, conflict.id, message)


@mutation("ticket.transition", TransitionArgs, entity=TICKET)
def ticket_transition(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    ticket = ticket_for_evidence(args["ticket_id"], ctx.user, lock=True)
    mine = {k: args.get(k) for k in ("action", "reason", "occurred_at")}
    why = ops.moved_on(ticket, ctx.user)
    if why is not None:
        message = f"ticket {ticket.number} was {why} before your {args['action']} arrived"
        return _ticket_conflict(
            ctx,
            ticket,
            args,
            name="ticket.transition",
            kind=why,
            message=message,
            mine=mine,
            theirs=ticket_summary(ticket),
        )
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
        return _ticket_conflict(
            ctx,
            ticket,
            args,
            name="ticket.transition",
            kind="invalid_transition",
            message=exc.message,
            mine=mine,
            theirs={**ticket_summary(ticket), **exc.extra},
        )
    base = args["base_version"]
    # Valid from the current server state although the job changed meanwhile: merged.
    status = "merged" if base is not None and base != version_before else "applied"
    return MutationOutcome(status, ticket.version)


@dataclass(frozen=True)
class _NotesRead:
    """What ``note.add`` reads for a whole chunk of a push at once: its tickets (held here so
    the session's weak identity map keeps them for each handler's lookup) and which note ids
    are not in the database yet (each handler would otherwise ask, one query per note)."""

    tickets: list[Ticket]
    new_note_ids: frozenset[uuid.UUID]


def _read_for_notes(all_args: list[dict[str, Any]]) -> _NotesRead:
    ids = {a["id"] for a in all_args}
    tickets = ops.load_tickets({a["ticket_id"] for a in all_args})
    return _NotesRead(tickets, frozenset(ids - ops.existing_note_ids(ids)))


@mutation("note.add", NoteAddArgs, entity=NOTE, prefetch=_read_for_notes, batched=True)
def note_add(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    ticket = ticket_for_evidence(args["ticket_id"], ctx.user)
    read = ctx.prefetched
    note = ops.add_note(
        ticket,
        author=ctx.user,
        body=args["body"],
        note_id=args["id"],
        occurred_at=args["occurred_at"],
        via="sync",
        customer_visible=args["customer_visible"],
        known_new=isinstance(read, _NotesRead) and args["id"] in read.new_note_ids,
        flush=False,  # batched: the push flushes its chunk's notes together
    )
    noted = evidence_conflict(
        ctx,
        ticket,
        "a note was added to ticket {number} after it was {why}",
        name="note.add",
        entity="notes",
        entity_id=note.id,
        mine={"body": args["body"], "note_id": note.id},
        occurred_at=args["occurred_at"],
    )
    if noted is None:
        return MutationOutcome("applied", note.version)
    late, conflict_id = noted
    return MutationOutcome("conflict", note.version, conflict_id, late.message)


def _reapply_note_edit(
    conflict: SyncConflict, actor: User, sla_policy: dict[str, tuple[float, float]]
) -> bool:
    """``apply_engineer`` on a stale note edit: the engineer's body over the current one."""
    if not conflict.entity_id:
        return False
    note = db.session.get(Note, conflict.entity_id)
    if note is None:
        raise NotFound(f"note {conflict.entity_id} no longer exists")
    ops.edit_note(
        note, author=actor, body=str(conflict.mine.get("body")), base_version=note.version
    )
    return True


@mutation("note.edit", NoteEditArgs, entity=NOTE, reapply=_reapply_note_edit)
def note_edit(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    note = db.session.get(Note, args["id"])
    if note is None:
        raise NotFound(f"note {args['id']} not found")
    ticket_for_evidence(note.ticket_id, ctx.user)
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


def _reapply_update(
    conflict: SyncConflict, actor: User, sla_policy: dict[str, tuple[float, float]]
) -> bool:
    """``apply_engineer`` on a ``server_owned_field`` conflict: the engineer's changes, loaded
    again through ``TicketChangesArgs`` (the conflict stores them as JSON, a location as
    GeoJSON), applied by ``update_ticket`` over the current version. Changes that do not load
    are refused with the reason (422)."""
    if not conflict.ticket_id:
        return False
    try:
        changes = TicketChangesArgs().load(conflict.mine.get("changes") or {})
    except ValidationError as exc:
        raise Invalid(
            f"the engineer's changes cannot be applied: {error_summary(exc.messages)}",
            errors={"changes": exc.messages},
        ) from None
    ticket = ops.get_ticket(conflict.ticket_id, lock=True)
    ops.update_ticket(
        ticket, actor=actor, changes=changes, version=ticket.version, sla_policy=sla_policy
    )
    return True


@mutation("ticket.update", TicketUpdateArgs, entity=TICKET, reapply=_reapply_update)
def ticket_update(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    """Priority, schedule and job details belong to the dispatcher: from an engineer's phone
    they become a conflict with both values; staff edits go through ``update_ticket``."""
    ticket = ticket_for_evidence(args["ticket_id"], ctx.user, lock=True)
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
    return _ticket_conflict(
        ctx,
        ticket,
        args,
        name="ticket.update",
        kind="server_owned_field",
        message=f"{', '.join(sorted(changes))} on ticket {ticket.number} are set by dispatch",
        mine={"changes": changes},
        theirs={**theirs, "version": ticket.version},
    )
