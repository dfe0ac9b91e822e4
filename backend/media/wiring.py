"""Registers the ``photo.register`` sync mutation: the phone announces a photo (id, hash,
type, size) while offline and uploads the bytes later with the same id (docs/sync-protocol.md,
Photos). It calls the same ``register_photo`` operation the rest of the app uses.

A photo registered for a job that was cancelled or reassigned while the phone was offline is
kept and attached (evidence never vanishes) and a conflict is recorded for the dispatcher."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from backend.db import db
from backend.media.operations import register_photo
from backend.media.processing import CONTENT_TYPES
from backend.media.storage import MediaSettings
from backend.sync.registry import TICKET, MutationContext, MutationOutcome, mutation
from backend.workorders.models import Ticket
from backend.workorders.sync_mutations import evidence_conflict


class PhotoRegisterArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(required=True)
    ticket_id = fields.UUID(required=True)
    sha256 = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[0-9a-fA-F]{64}$", error="sha256 must be 64 hexadecimal characters"
        ),
    )
    content_type = fields.String(required=True, validate=validate.OneOf(CONTENT_TYPES))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(load_default=None)


@mutation("photo.register", PhotoRegisterArgs, entity=TICKET)
def photo_register(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    photo, created = register_photo(
        actor=ctx.user,
        ticket_id=args["ticket_id"],
        photo_id=args["id"],
        sha256=args["sha256"],
        content_type=args["content_type"],
        size=args["size"],
        settings=MediaSettings.from_config(),
        via="sync",
    )
    data = {"photo_id": str(photo.id), "status": photo.status}
    ticket = db.session.get(Ticket, photo.ticket_id)
    noted = None
    if ticket is not None:
        noted = evidence_conflict(
            ctx,
            ticket,
            "a photo was added to ticket {number} after it was {why}; it is kept",
            name="photo.register",
            entity="photos",
            entity_id=photo.id,
            mine={"photo_id": str(photo.id), "sha256": photo.sha256},
            occurred_at=args.get("occurred_at"),
            recorded=created,
        )
    if noted is None:
        return MutationOutcome(status="applied", entity_version=photo.version, data=data)
    late, conflict_id = noted
    return MutationOutcome(
        status="conflict",
        entity_version=photo.version,
        conflict_id=conflict_id,
        error=late.why,
        data=data,
    )
