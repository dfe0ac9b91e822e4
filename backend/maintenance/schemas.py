"""marshmallow schemas for maintenance plans, occurrences and meter readings.

Shapes and bounds only; the rule itself (its parts, its zone, that it ever occurs) is
checked by ``recurrence.parse`` in the operations, so its 422 names the wrong part.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.maintenance.models import (
    CHECKLIST_SOURCE,
    OCCURRENCE_STATES,
    PLAN_STATES,
    READING_SOURCES,
    SCOPES,
)

MAX_WINDOW_MINUTES = 7 * 24 * 60
MAX_HORIZON_DAYS = 366
_STEP = validate.Range(min=0, min_inclusive=False, max=1e12)


class _RulesIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    job_type_id = fields.UUID()
    rrule = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "RFC 5545 RRULE, e.g. FREQ=MONTHLY;BYDAY=-1FR (null: none)"},
    )
    dtstart = fields.DateTime(
        allow_none=True,
        metadata={
            "description": "the first local start time (wall time in `timezone`; an offset, "
            "if given, is converted to it); required with rrule"
        },
    )
    timezone = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "IANA time zone the rule is evaluated in; default UTC"},
    )
    meter_name = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "due every meter_every units of this meter since the last "
            "service (null: no meter rule)"
        },
    )
    meter_every = fields.Float(allow_none=True, allow_nan=False, validate=_STEP)
    window_minutes = fields.Integer(
        validate=validate.Range(min=0, max=MAX_WINDOW_MINUTES),
        metadata={"description": "length of the tickets' arrival window from the due time"},
    )
    horizon_days = fields.Integer(
        validate=validate.Range(min=1, max=MAX_HORIZON_DAYS),
        metadata={"description": "how far ahead tickets are created"},
    )
    ends_at = fields.DateTime(
        allow_none=True, metadata={"description": "no occurrence at or after this instant"}
    )


class MaintenancePlanIn(_RulesIn):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    job_type_id = fields.UUID(required=True)
    asset_id = fields.UUID(metadata={"description": "scope: one asset (or site_id, asset_model)"})
    site_id = fields.UUID(metadata={"description": "scope: every asset of a site"})
    asset_model = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "scope: every asset of this model"},
    )


class MaintenancePlanPatchIn(_RulesIn):
    pass


class MaintenancePlanQuery(Schema):
    state = fields.String(validate=validate.OneOf(PLAN_STATES))
    asset_id = fields.UUID(metadata={"description": "only plans covering this asset"})


class MaintenancePlanOut(Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    job_type_id = fields.UUID(required=True)
    scope = fields.String(required=True, metadata={"enum": list(SCOPES)})
    asset_id = fields.UUID(required=True, allow_none=True)
    site_id = fields.UUID(required=True, allow_none=True)
    asset_model = fields.String(required=True, allow_none=True)
    rrule = fields.String(required=True, allow_none=True)
    dtstart = fields.NaiveDateTime(
        required=True, allow_none=True, metadata={"description": "local wall time in timezone"}
    )
    timezone = fields.String(required=True)
    meter_name = fields.String(required=True, allow_none=True)
    meter_every = fields.Float(required=True, allow_none=True)
    window_minutes = fields.Integer(required=True)
    horizon_days = fields.Integer(required=True)
    state = fields.String(required=True, metadata={"enum": list(PLAN_STATES)})
    ends_at = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class MaintenanceOccurrenceQuery(Schema):
    from_ = fields.DateTime(
        data_key="from", metadata={"description": "from this instant (default: now)"}
    )
    to = fields.DateTime(metadata={"description": "before this instant (default: from + 90 days)"})
    asset_id = fields.UUID()


class MaintenanceOccurrenceOut(Schema):
    plan_id = fields.UUID(required=True)
    asset_id = fields.UUID(required=True)
    due_at = fields.DateTime(required=True, metadata={"description": "the rule's instant"})
    starts_at = fields.DateTime(
        required=True, metadata={"description": "when the work is planned (moved_to or due_at)"}
    )
    state = fields.String(required=True, metadata={"enum": list(OCCURRENCE_STATES)})
    kind = fields.String(required=True, metadata={"enum": ["calendar", "meter"]})
    due_reading = fields.Float(required=True, allow_none=True)
    moved_to = fields.DateTime(required=True, allow_none=True)
    ticket_id = fields.UUID(required=True, allow_none=True)


class _OccurrenceRef(Schema):
    due_at = fields.DateTime(
        required=True, metadata={"description": "the occurrence's instant by the rule"}
    )
    asset_id = fields.UUID(metadata={"description": "required when the plan covers several"})


class OccurrenceSkipIn(_OccurrenceRef):
    reason = fields.String(
        load_default="occurrence skipped",
        validate=validate.Length(min=1, max=500),
        metadata={"description": "why; the reason its ticket, if any, is cancelled with"},
    )


class OccurrenceMoveIn(_OccurrenceRef):
    to = fields.DateTime(required=True, metadata={"description": "the new start instant"})


class MeterReadingIn(Schema):
    meter = fields.String(required=True, validate=validate.Length(min=1, max=64))
    value = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, max=1e12))
    at = fields.DateTime(metadata={"description": "when the meter showed it (default: now)"})
    source = fields.String(load_default="manual", validate=validate.OneOf(READING_SOURCES))


class MeterReadingOut(Schema):
    id = fields.UUID(required=True)
    asset_id = fields.UUID(required=True)
    meter = fields.String(required=True)
    value = fields.Float(required=True)
    at = fields.DateTime(required=True)
    source = fields.String(required=True, metadata={"enum": [*READING_SOURCES, CHECKLIST_SOURCE]})
    answer_id = fields.UUID(
        required=True,
        allow_none=True,
        metadata={"description": "the checklist answer it came from (source checklist)"},
    )
    recorded_by_id = fields.UUID(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class PlanMeterStateOut(Schema):
    meter = fields.String(required=True)
    baseline = fields.Float(required=True, allow_none=True)
    due_reading = fields.Float(required=True)
    reached = fields.Boolean(required=True)
    estimated_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "from the rate of use"}
    )


class AssetMaintenancePlanOut(Schema):
    plan = fields.Nested(MaintenancePlanOut, required=True)
    next_due = fields.DateTime(required=True, allow_none=True)
    meter = fields.Nested(PlanMeterStateOut, required=True, allow_none=True)
    last_service = fields.DateTime(required=True, allow_none=True)


class AssetMaintenanceOut(Schema):
    asset_id = fields.UUID(required=True)
    plans = fields.List(fields.Nested(AssetMaintenancePlanOut), required=True)
    next_due = fields.DateTime(required=True, allow_none=True)
    last_service = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "last plan ticket completed"}
    )
    readings = fields.List(
        fields.Nested(MeterReadingOut), required=True, metadata={"description": "newest first"}
    )
