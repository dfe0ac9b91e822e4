"""marshmallow schemas of the rules' API; inputs and outputs kept apart. The rule body's
inner shape (conditions and actions) is checked by ``catalog.check_rule``, which names each
problem by its path; the schemas give the document its outline and enums."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.automation.catalog import EVENTS, MATCHES, MAX_ACTIONS, MAX_CONDITIONS, MAX_NAME

_CONDITION = (
    "a condition: {field, op, value} (time_of_day also takes zone); see GET "
    "/api/v1/automation/catalog for the fields and their operators"
)
_ACTION = "an action: {type, ...parameters}; see GET /api/v1/automation/catalog"


class RuleIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=MAX_NAME))
    event = fields.String(required=True, validate=validate.OneOf(list(EVENTS)))
    match = fields.String(load_default="all", validate=validate.OneOf(MATCHES))
    conditions = fields.List(
        fields.Dict(keys=fields.String(), metadata={"description": _CONDITION}),
        load_default=list,
        validate=validate.Length(max=MAX_CONDITIONS),
    )
    actions = fields.List(
        fields.Dict(keys=fields.String(), metadata={"description": _ACTION}),
        required=True,
        validate=validate.Length(min=1, max=MAX_ACTIONS),
    )
    enabled = fields.Boolean(load_default=True)


class RuleUpdateIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=MAX_NAME))
    event = fields.String(validate=validate.OneOf(list(EVENTS)))
    match = fields.String(validate=validate.OneOf(MATCHES))
    conditions = fields.List(
        fields.Dict(keys=fields.String(), metadata={"description": _CONDITION}),
        validate=validate.Length(max=MAX_CONDITIONS),
    )
    actions = fields.List(
        fields.Dict(keys=fields.String(), metadata={"description": _ACTION}),
        validate=validate.Length(min=1, max=MAX_ACTIONS),
    )
    enabled = fields.Boolean()
    version = fields.Integer(
        metadata={"description": "the version you edited; a rule saved since is a 409"}
    )


class ConditionOut(Schema):
    field = fields.String(required=True)
    op = fields.String(required=True)
    value = fields.Raw(
        allow_none=True,
        metadata={
            "x-free-form": "by the field's kind: a text, a number, a UUID, a list of them, "
            "or two clock times; absent for is_set and the like",
        },
    )
    zone = fields.String(metadata={"description": "time_of_day only: an IANA time zone"})


class ActionOut(Schema):
    type = fields.String(required=True)
    priority = fields.String()
    skill = fields.String()
    region_id = fields.String()
    role = fields.String()
    user_id = fields.String()
    title = fields.String()
    body = fields.String()
    subject = fields.String()
    reason = fields.String()


class RuleOut(Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    event = fields.String(required=True)
    match = fields.String(required=True)
    conditions = fields.List(fields.Nested(ConditionOut), required=True)
    actions = fields.List(fields.Nested(ActionOut), required=True)
    position = fields.Integer(required=True)
    enabled = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    created_by_id = fields.UUID(allow_none=True, required=True)
    updated_by_id = fields.UUID(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class ReorderIn(Schema):
    rule_ids = fields.List(
        fields.UUID(),
        required=True,
        validate=validate.Length(max=1000),
        metadata={"description": "every rule's id, in the order they should run"},
    )


class DryRunIn(Schema):
    rule_id = fields.UUID(metadata={"description": "a saved rule (or give rule)"})
    rule = fields.Nested(RuleIn, metadata={"description": "an unsaved rule body"})


class DryRunAction(Schema):
    type = fields.String(required=True)
    would = fields.String(required=True)


class DryRunMatch(Schema):
    ticket_id = fields.UUID(required=True)
    number = fields.String(required=True)
    title = fields.String(required=True)
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    at = fields.DateTime(required=True)
    actions = fields.List(fields.Nested(DryRunAction), required=True)


class DryRunOut(Schema):
    since = fields.DateTime(required=True)
    until = fields.DateTime(required=True)
    events_scanned = fields.Integer(required=True)
    truncated = fields.Boolean(required=True)
    matched_events = fields.Integer(required=True)
    matched_tickets = fields.Integer(required=True)
    matches = fields.List(fields.Nested(DryRunMatch), required=True)


class RunOutcome(Schema):
    type = fields.String(required=True)
    ok = fields.Boolean(required=True)
    detail = fields.String(required=True)


class RunOut(Schema):
    id = fields.UUID(required=True)
    rule_id = fields.UUID(required=True)
    ticket_id = fields.UUID(required=True)
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    depth = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    outcome = fields.List(fields.Nested(RunOutcome), required=True)


class CatalogEvent(Schema):
    type = fields.String(required=True)
    description = fields.String(required=True)


class CatalogField(Schema):
    name = fields.String(required=True)
    kind = fields.String(required=True)
    description = fields.String(required=True)
    operators = fields.List(fields.String(), required=True)
    values = fields.List(fields.String(), required=True)


class CatalogParam(Schema):
    name = fields.String(required=True)
    kind = fields.String(required=True)
    required = fields.Boolean(required=True)


class CatalogAction(Schema):
    type = fields.String(required=True)
    description = fields.String(required=True)
    parameters = fields.List(fields.Nested(CatalogParam), required=True)


class CatalogOut(Schema):
    events = fields.List(fields.Nested(CatalogEvent), required=True)
    fields_ = fields.List(
        fields.Nested(CatalogField), required=True, data_key="fields", attribute="fields"
    )
    actions = fields.List(fields.Nested(CatalogAction), required=True)
