"""marshmallow schemas for job types and their versions; inputs and outputs kept apart.

The schemas check each field's shape and bounds; the rules between fields of a checklist
(unique keys, ranges, conditions pointing back) are ``checklist.definition_errors``'s, run by
the operations so every path that writes a definition gets them.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.jobtypes.checklist import (
    ITEM_TYPES,
    KEY_PATTERN,
    MAX_CHOICES,
    MAX_ITEMS,
    MAX_SECTIONS,
    NUMBER_LIMIT,
)
from backend.jobtypes.models import PRIORITIES

_PRIORITY = validate.OneOf(PRIORITIES, error="unknown priority {input!r}; use one of {choices}")
_SKILL = fields.String(validate=validate.Length(min=1, max=64))
_LIMIT = validate.Range(min=-NUMBER_LIMIT, max=NUMBER_LIMIT)
MAX_MINUTES = 7 * 24 * 60
COMPLETION_RULES_DOC = (
    "a layer of the completion rules for this job type, applied after the deployment's "
    'default, priority and category layers: {"signature": bool, "photos": int >= 0, '
    '"parts": bool}, each optional'
)


# ---- checklist definitions (input) ------------------------------------------------------


class ChecklistConditionIn(Schema):
    item = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the key of an earlier yes/no or choice item"},
    )
    any_of = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        required=True,
        validate=validate.Length(min=1, max=MAX_CHOICES),
        metadata={"description": "shown when that item's answer is one of these"},
    )


class ChecklistItemIn(Schema):
    key = fields.String(
        required=True,
        validate=validate.Regexp(KEY_PATTERN, error="lower-case letters, digits and _, 1-64"),
        metadata={"description": "stable within the checklist; answers name it"},
    )
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(
        required=True,
        validate=validate.OneOf(
            ITEM_TYPES, error="unknown item type {input!r}; use one of {choices}"
        ),
    )
    required = fields.Boolean(load_default=False)
    help = fields.String(load_default="", validate=validate.Length(max=1000))
    unit = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=20)
    )
    min = fields.Float(load_default=None, allow_none=True, allow_nan=False, validate=_LIMIT)
    max = fields.Float(load_default=None, allow_none=True, allow_nan=False, validate=_LIMIT)
    choices = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=MAX_CHOICES),
    )
    show_if = fields.Nested(ChecklistConditionIn, load_default=None, allow_none=True)


class ChecklistSectionIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    items = fields.List(
        fields.Nested(ChecklistItemIn),
        required=True,
        validate=validate.Length(min=1, max=MAX_ITEMS),
    )


class JobChecklistIn(Schema):
    sections = fields.List(
        fields.Nested(ChecklistSectionIn), required=True, validate=validate.Length(max=MAX_SECTIONS)
    )


class SuggestedPartIn(Schema):
    part_id = fields.UUID(required=True)
    quantity = fields.Float(
        required=True,
        allow_nan=False,
        validate=validate.Range(min=0, min_inclusive=False, max=1_000_000),
    )


class _ContentIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    description = fields.String(validate=validate.Length(max=20_000))
    default_priority = fields.String(validate=_PRIORITY)
    required_skills = fields.List(_SKILL, validate=validate.Length(max=50))
    estimated_minutes = fields.Integer(
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_MINUTES),
        metadata={"description": "service time for dispatch and the optimizer; null: default"},
    )
    suggested_parts = fields.List(fields.Nested(SuggestedPartIn), validate=validate.Length(max=50))
    completion_rules = fields.Dict(
        keys=fields.String(),
        metadata={"description": COMPLETION_RULES_DOC, "x-free-form": COMPLETION_RULES_DOC},
    )
    checklist = fields.Nested(JobChecklistIn)
    active = fields.Boolean(metadata={"description": "false: new tickets may not use it"})


class JobTypeCreateIn(_ContentIn):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    default_priority = fields.String(required=True, validate=_PRIORITY)


class JobTypePatchIn(_ContentIn):
    version = fields.Integer(
        required=True,
        validate=validate.Range(min=1),
        metadata={"description": "the version you edited (current_version); a stale one is a 409"},
    )


class JobTypeQuery(Schema):
    active = fields.Boolean(metadata={"description": "only active (true) or archived (false)"})


# ---- outputs --------------------------------------------------------------------------


class ChecklistConditionOut(Schema):
    item = fields.String(required=True)
    any_of = fields.List(fields.String(), required=True)


class ChecklistItemOut(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    type = fields.String(required=True, metadata={"enum": list(ITEM_TYPES)})
    required = fields.Boolean(required=True)
    help = fields.String(required=True)
    unit = fields.String(required=True, allow_none=True)
    min = fields.Float(required=True, allow_none=True)
    max = fields.Float(required=True, allow_none=True)
    choices = fields.List(fields.String(), required=True, allow_none=True)
    show_if = fields.Nested(ChecklistConditionOut, required=True, allow_none=True)


class ChecklistSectionOut(Schema):
    title = fields.String(required=True)
    items = fields.List(fields.Nested(ChecklistItemOut), required=True)


class JobChecklistOut(Schema):
    sections = fields.List(fields.Nested(ChecklistSectionOut), required=True)


class SuggestedPartOut(Schema):
    part_id = fields.UUID(required=True)
    quantity = fields.Float(required=True)


class _ContentOut(Schema):
    name = fields.String(required=True)
    description = fields.String(required=True)
    default_priority = fields.String(required=True, metadata={"enum": list(PRIORITIES)})
    required_skills = fields.List(fields.String(), required=True)
    estimated_minutes = fields.Integer(required=True, allow_none=True)
    suggested_parts = fields.List(fields.Nested(SuggestedPartOut), required=True)
    completion_rules = fields.Dict(required=True, metadata={"x-free-form": COMPLETION_RULES_DOC})
    checklist = fields.Nested(JobChecklistOut, required=True)


class JobTypeOut(_ContentOut):
    id = fields.UUID(required=True)
    active = fields.Boolean(required=True)
    current_version = fields.Integer(
        required=True, metadata={"description": "number of the version new tickets get"}
    )
    current_version_id = fields.UUID(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class JobTypeVersionOut(_ContentOut):
    id = fields.UUID(required=True)
    job_type_id = fields.UUID(required=True)
    number = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    created_by_id = fields.UUID(required=True, allow_none=True)
