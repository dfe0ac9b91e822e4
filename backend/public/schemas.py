"""Marshmallow schemas of the public endpoints; input and output kept apart.

Output schemas are the allow-list of what an anonymous caller may see, and the tests assert
their exact key sets.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from backend.fastdump import FastDumpSchema
from backend.pgtext import storable

OPTIONAL_TEXT = (
    "contact_phone",
    "contact_email",
    "contact_language",
    "client_report_id",
    "comment",
)
# The customer page's languages: the language of the status emails (backend/mail).
LANGUAGES = ("en", "zh-CN")

DESCRIPTION_MAX = 4000
NAME_MAX = 200
PHONE_MAX = 50
EMAIL_MAX = 254
COMMENT_MAX = 2000


class Text(fields.String):
    """Free text as typed, stored verbatim, except what PostgreSQL cannot store (NUL, a lone
    UTF-16 surrogate: ``backend.pgtext``) and other control characters no keyboard produces:
    refused with a 422 naming the field, instead of failing in the database."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
            raise ValidationError("control characters (such as NUL) are not allowed")
        storable(text)
        return text


class _BlankIsMissing(Schema):
    @pre_load
    def _blank_optional(self, data: Any, **_: Any) -> Any:
        """HTML forms send empty strings for untouched optional inputs: treat them as absent."""
        if isinstance(data, dict):
            return {
                k: v
                for k, v in data.items()
                if not (k in OPTIONAL_TEXT and isinstance(v, str) and not v.strip())
            }
        return data


class ReportIn(_BlankIsMissing):
    description = Text(
        required=True,
        validate=validate.Length(1, DESCRIPTION_MAX),
        metadata={"description": "What is wrong, in the customer's words (stored verbatim)."},
    )
    contact_name = Text(required=True, validate=validate.Length(1, NAME_MAX))
    contact_phone = fields.String(
        validate=[
            validate.Length(max=PHONE_MAX),
            validate.Regexp(
                r"^[0-9+()./\- ]+$",
                error="a phone number may contain digits, spaces and + ( ) - . / only",
            ),
        ]
    )
    contact_email = fields.Email(validate=validate.Length(max=EMAIL_MAX))
    contact_language = fields.String(
        validate=validate.OneOf(LANGUAGES),
        metadata={
            "description": "The page's language: status emails to contact_email are written "
            "in it. Absent: the browser's Accept-Language, else English."
        },
    )
    client_report_id = fields.String(
        validate=[
            validate.Length(1, 64),
            validate.Regexp(r"^[A-Za-z0-9._:-]+$", error="letters, digits and . _ : - only"),
        ],
        metadata={
            "description": "Idempotency key chosen by the client (e.g. a UUID): re-sending the "
            "same id returns the ticket the first send opened."
        },
    )


class ReportOut(FastDumpSchema):
    ticket_number = fields.String(required=True)
    tracking_token = fields.String(required=True)
    tracking_url = fields.String(required=True)


class AssetPublicOut(FastDumpSchema):
    asset_name = fields.String(required=True)
    site_name = fields.String(required=True)


class TrackingOut(FastDumpSchema):
    ticket_number = fields.String(required=True)
    status = fields.String(required=True)
    updated_at = fields.DateTime(required=True)
    eta = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "Expected arrival, while the engineer is on the way."},
    )
    report_url = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The service report (PDF), once the work is done."},
    )
    can_rate = fields.Boolean(required=True, metadata={"description": "A rating is welcome."})
    rated = fields.Boolean(required=True, metadata={"description": "The customer has rated."})
    failed_checks = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Labels of the checklist items the work failed (no answers)."},
    )
    window_start = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "Booked arrival window: earliest arrival (null: none)."},
    )
    window_end = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "Latest arrival."}
    )
    can_book = fields.Boolean(
        required=True,
        metadata={"description": "The customer may pick (or change) the window: see .../slots."},
    )


class SlotOut(FastDumpSchema):
    start = fields.DateTime(required=True, metadata={"description": "Earliest arrival"})
    end = fields.DateTime(required=True, metadata={"description": "Latest arrival"})


class SlotsOut(FastDumpSchema):
    timezone = fields.String(required=True, metadata={"description": "Show times in this zone"})
    slot_minutes = fields.Integer(required=True)
    slots = fields.List(
        fields.Nested(SlotOut),
        required=True,
        metadata={"description": "Arrival windows an engineer can keep, soonest first"},
    )
    window_start = fields.DateTime(required=True, allow_none=True)
    window_end = fields.DateTime(required=True, allow_none=True)


class BookingIn(Schema):
    start = fields.AwareDateTime(
        required=True, metadata={"description": "The start of one of the offered slots"}
    )


class BookingOut(FastDumpSchema):
    ticket_number = fields.String(required=True)
    window_start = fields.DateTime(required=True)
    window_end = fields.DateTime(required=True)


class RatingIn(_BlankIsMissing):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    comment = Text(validate=validate.Length(max=COMMENT_MAX))


class RatingOut(Schema):
    ticket_number = fields.String(required=True)
    score = fields.Integer(required=True)
    rated_at = fields.DateTime(required=True)
