"""Marshmallow schemas for sign-off (input and output kept apart)."""

from __future__ import annotations

import math

from marshmallow import Schema, fields, validate

from backend.geo import PointField
from backend.signoff import signature
from backend.sync.limits import NUMBER_BYTES, member_bytes


class SignatureIn(Schema):
    strokes = fields.List(
        fields.Raw(),
        metadata={"description": "pen strokes: [[[x, y], ...], ...] in any coordinate space"},
    )
    png_base64 = fields.String(metadata={"description": "a PNG image, base64 (max 1 MiB)"})

    @staticmethod
    def max_encoded_bytes() -> int:
        """The largest legal value as a phone encodes it (``{"strokes": ...}`` or
        ``{"png_base64": ...}``, whichever can be larger), from the signature rules: what the
        sync push cap (``backend.sync.limits``) allows for this field."""
        point = 4 + 2 * NUMBER_BYTES  # [x,y],
        strokes = 2 + 3 * signature.MAX_STROKES + point * signature.MAX_POINTS
        png = 2 + 4 * math.ceil(signature.MAX_PNG_BYTES / 3)
        return 2 + max(member_bytes("strokes", strokes), member_bytes("png_base64", png))


class SignoffIn(Schema):
    id = fields.UUID(
        load_default=None, allow_none=True, metadata={"description": "client id (idempotency)"}
    )
    signer_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    signature = fields.Nested(SignatureIn, required=True)
    rating = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=5)
    )
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    location = PointField(load_default=None, allow_none=True)
    occurred_at = fields.AwareDateTime(load_default=None, allow_none=True)


class SignoffOut(Schema):
    id = fields.UUID()
    ticket_id = fields.UUID()
    status = fields.String(metadata={"description": "accepted | conflict"})
    conflict_of_id = fields.UUID(allow_none=True)
    signer_name = fields.String()
    signed_at = fields.DateTime()
    occurred_at = fields.DateTime(allow_none=True)
    location = PointField(allow_none=True)
    rating = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    signature_sha256 = fields.String()
    signature_url = fields.String(metadata={"description": "the rendered PNG"})
    captured_by_id = fields.UUID(allow_none=True)
    via = fields.String()


class SignoffResultOut(Schema):
    signoff = fields.Nested(SignoffOut)
    result = fields.String(metadata={"description": "applied | duplicate"})
    completed = fields.Boolean(metadata={"description": "the job was completed by this call"})
    missing = fields.List(fields.String(), metadata={"description": "still missing to complete"})
    ticket_status = fields.String()
    ticket_version = fields.Integer()


class RequirementsOut(Schema):
    """What completing this job needs (``signoff.rules``)."""

    signature = fields.Boolean(required=True)
    photos = fields.Integer(required=True, metadata={"description": "at least this many"})
    parts = fields.Boolean(required=True, metadata={"description": "parts or 'none used'"})


class EvidenceOut(Schema):
    """What the job has so far, in the same terms as ``RequirementsOut``."""

    signature = fields.Boolean(required=True)
    photos = fields.Integer(required=True)
    parts = fields.Boolean(required=True)


class PhoneCompletionOut(Schema):
    """What sign-off adds to each ticket a phone pulls (``operations.requirements_for_phone``):
    the checklist the phone shows offline."""

    completion = fields.Nested(
        Schema.from_dict(
            {"requirements": fields.Nested(RequirementsOut, required=True)},
            name="PhoneCompletionRequirementsOut",
        ),
        required=True,
    )


class ChecklistOut(Schema):
    requirements = fields.Nested(RequirementsOut, required=True)
    evidence = fields.Nested(EvidenceOut, required=True)
    missing = fields.List(fields.String())
    signoffs = fields.List(fields.Nested(SignoffOut))
