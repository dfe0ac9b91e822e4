"""Marshmallow schemas of the inbound email endpoint's answer (its body is raw MIME, read by
``backend.mail.parse``, not a schema)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.mail.models import INBOUND_OUTCOMES


class SkippedAttachmentOut(Schema):
    filename = fields.String(required=True, metadata={"description": "or its content type"})
    reason = fields.String(required=True)


class InboundEmailOut(Schema):
    id = fields.UUID(required=True)
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(INBOUND_OUTCOMES),
        metadata={
            "description": "created: a new ticket; note: a customer-visible note on the ticket "
            "the message answers; unmatched: kept for a dispatcher (docs/email.md)."
        },
    )
    duplicate = fields.Boolean(
        required=True,
        metadata={"description": "This Message-ID was received before; nothing was changed."},
    )
    ticket_number = fields.String(required=True, allow_none=True)
    photos = fields.Integer(required=True, metadata={"description": "Photos attached."})
    skipped = fields.List(
        fields.Nested(SkippedAttachmentOut),
        required=True,
        metadata={"description": "Attachments not taken as photos, and why."},
    )
