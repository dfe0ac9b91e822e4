"""Registers the ``photo.register`` sync mutation: the phone announces a photo (id, hash,
type, size) while offline and uploads the bytes later with the same id (SYNC.md, Photos).
It calls the same ``register_photo`` operation the rest of the app uses."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from backend.media.operations import register_photo
from backend.media.processing import CONTENT_TYPES
from backend.media.storage import MediaSettings
from backend.sync.registry import MutationContext, MutationOutcome, mutation


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


@mutation("photo.register", PhotoRegisterArgs)
def photo_register(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    photo, _created = register_photo(
        actor=ctx.user,
        ticket_id=args["ticket_id"],
        photo_id=args["id"],
        sha256=args["sha256"],
        content_type=args["content_type"],
        size=args["size"],
        settings=MediaSettings.from_config(),
        via="sync",
    )
    return MutationOutcome(
        status="applied",
        entity_version=photo.version,
        data={"photo_id": str(photo.id), "status": photo.status},
    )
