"""marshmallow schemas for checklist answers; inputs and outputs kept apart."""

from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from backend.jobtypes import checklist
from backend.jobtypes.schemas import JobChecklistOut, SuggestedPartOut

_VALUE_DOC = (
    "the answer, typed by the item: yes_no 'yes'|'no'|'na'; number and meter a number; "
    "single_choice a choice; multi_choice a list of choices; text a string; photo the id of "
    "a photo of this job; signature {signer_name, strokes}; null clears the answer"
)


# The largest JSON a phone writes: "\u0001" for one character, a number in 26 characters.
_CHAR, _NUMBER = 6, 26


class AnswerValue(fields.Raw):
    """Any JSON value (its type is the item's; ``checklist.check_answer`` judges it), bounded
    by the checklist's own limits so the sync push cap (``backend.sync.limits``) knows its
    largest legal size; anything larger is refused here."""

    @staticmethod
    def max_encoded_bytes() -> int:
        text = 2 + _CHAR * checklist.TEXT_MAX
        choices = 2 + checklist.MAX_CHOICES * (3 + _CHAR * 100)
        point = 4 + 2 * _NUMBER
        strokes = 2 + 3 * checklist.MAX_STROKES + point * checklist.MAX_POINTS
        signature = 40 + _CHAR * 200 + strokes
        return max(text, choices, signature)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        size = len(json.dumps(value, separators=(",", ":"), default=str).encode())
        if size > self.max_encoded_bytes():
            raise ValidationError(f"an answer is at most {self.max_encoded_bytes()} bytes")
        return value


class AnswerIn(Schema):
    id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "client id of this answer; resending it is idempotent"},
    )
    value = AnswerValue(
        required=True,
        allow_none=True,
        metadata={"description": _VALUE_DOC, "x-free-form": _VALUE_DOC},
    )
    occurred_at = fields.AwareDateTime(load_default=None, allow_none=True)


class AnswerOut(Schema):
    id = fields.UUID(required=True)
    ticket_id = fields.UUID(required=True)
    job_type_version_id = fields.UUID(required=True)
    item_key = fields.String(required=True)
    value = fields.Raw(required=True, allow_none=True, metadata={"x-free-form": _VALUE_DOC})
    failed = fields.Boolean(
        required=True, metadata={"description": "accepted, but outside the allowed range"}
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf(("current", "superseded", "late")),
        metadata={"description": "late: given after the job moved on, kept as evidence"},
    )
    answered_by_id = fields.UUID(required=True, allow_none=True)
    answered_at = fields.DateTime(required=True)
    occurred_at = fields.DateTime(required=True, allow_none=True)


class FailedItemOut(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)


class TicketChecklistOut(Schema):
    job_type_id = fields.UUID(required=True)
    job_type_version_id = fields.UUID(required=True)
    version = fields.Integer(required=True, metadata={"description": "the version's number"})
    name = fields.String(required=True)
    description = fields.String(required=True)
    suggested_parts = fields.List(fields.Nested(SuggestedPartOut), required=True)
    checklist = fields.Nested(JobChecklistOut, required=True)
    answers = fields.List(fields.Nested(AnswerOut), required=True)
    visible = fields.List(fields.String(), required=True)
    missing = fields.List(
        fields.String(), required=True, metadata={"description": "required items unanswered"}
    )
    failed = fields.List(fields.Nested(FailedItemOut), required=True)


class PhoneJobTypeOut(Schema):
    """What the phone needs to render a ticket's checklist offline: the definition (with its
    ranges and conditions: the app evaluates them with the rules the server sends, never a
    copy), the job type's description and suggested parts."""

    job_type_version_id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    estimated_minutes = fields.Integer(required=True, allow_none=True)
    suggested_parts = fields.List(fields.Nested(SuggestedPartOut), required=True)
    checklist = fields.Nested(JobChecklistOut, required=True)


class PhoneChecklistOut(Schema):
    job_type = fields.Nested(PhoneJobTypeOut, required=True, allow_none=True)
