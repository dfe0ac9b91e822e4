"""marshmallow schemas for engineers and dispatch; inputs and outputs kept apart."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from backend.dispatch.engineers import ShiftSpec
from backend.dispatch.models import ENGINEER_STATUSES
from backend.geo import GEOMETRY_SCHEMA, AreaField, BBoxField, PointField

HHMM = "%H:%M"


# ---- engineers: input ----------------------------------------------------------------------


class EngineerShiftIn(Schema):
    timezone = fields.String(
        required=True, metadata={"description": "IANA time zone", "example": "Europe/Berlin"}
    )
    days = fields.List(
        fields.Integer(validate=validate.Range(0, 6)),
        required=True,
        validate=validate.Length(min=1, max=7),
        metadata={"description": "Weekdays the shift starts on, Monday = 0"},
    )
    start = fields.Time(required=True, format=HHMM, metadata={"example": "08:00"})
    end = fields.Time(
        required=True,
        format=HHMM,
        metadata={"example": "17:00", "description": "Earlier than start = overnight shift"},
    )

    @post_load
    def _spec(self, data: dict[str, Any], **_: Any) -> ShiftSpec:
        return ShiftSpec(**data)


class EngineerIn(Schema):
    user_id = fields.UUID(required=True)
    skills = fields.List(fields.String(validate=validate.Length(1, 64)), load_default=list)
    region_ids = fields.List(fields.UUID(), load_default=list)
    home = PointField(required=True)
    shift = fields.Nested(EngineerShiftIn, required=True)
    max_open_jobs = fields.Integer(load_default=6, validate=validate.Range(0, 100))
    status = fields.String(load_default="available", validate=validate.OneOf(ENGINEER_STATUSES))


class EngineerPatch(Schema):
    skills = fields.List(fields.String(validate=validate.Length(1, 64)))
    region_ids = fields.List(fields.UUID())
    home = PointField()
    shift = fields.Nested(EngineerShiftIn)
    max_open_jobs = fields.Integer(validate=validate.Range(0, 100))
    status = fields.String(validate=validate.OneOf(ENGINEER_STATUSES))

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("send at least one field to change")


class EngineerQuery(Schema):
    region_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(ENGINEER_STATUSES))
    skill = fields.String()


class EngineerLocationIn(Schema):
    location = PointField(required=True)
    accuracy_m = fields.Float(validate=validate.Range(min=0, max=100_000))
    recorded_at = fields.AwareDateTime(
        required=True, metadata={"description": "When the device took the fix (UTC ISO 8601)"}
    )


# ---- engineers: output ---------------------------------------------------------------------


class EngineerShiftOut(Schema):
    timezone = fields.String()
    days = fields.List(fields.Integer())
    start = fields.Time(format=HHMM)
    end = fields.Time(format=HHMM)


class EngineerOut(Schema):
    id = fields.UUID(metadata={"description": "The engineer's user id"})
    user_id = fields.UUID()
    name = fields.String()
    email = fields.String()
    skills = fields.List(fields.String())
    region_ids = fields.List(fields.UUID())
    home = PointField()
    shift = fields.Nested(EngineerShiftOut)
    status = fields.String()
    max_open_jobs = fields.Integer()
    open_jobs = fields.Integer()
    location = PointField(metadata={"description": "Fresh reported position, else home"})
    location_source = fields.String(metadata={"description": "reported | home"})
    last_location = PointField(allow_none=True)
    last_location_accuracy_m = fields.Float(allow_none=True)
    last_location_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


# ---- dispatch ------------------------------------------------------------------------------


class DispatchAssignIn(Schema):
    engineer_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "Omit to let the dispatcher pick the best eligible engineer"},
    )
    reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Required to override a hard rule"},
    )


class DispatchUnassignIn(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ScoreTermOut(Schema):
    value = fields.Float()
    grade = fields.Float(metadata={"description": "0 best .. 1 worst"})
    weight = fields.Float()


class CandidateWindowOut(Schema):
    start = fields.String(metadata={"description": "Earliest start on site, UTC ISO 8601"})
    end = fields.String(metadata={"description": "Latest start on site, UTC ISO 8601"})
    wait_min = fields.Float(metadata={"description": "Minutes waited for the window to open"})
    late_min = fields.Float(
        metadata={"description": "Minutes the start would be after the window (0: in it)"}
    )


class DispatchCandidateOut(Schema):
    engineer_id = fields.UUID()
    name = fields.String()
    eligible = fields.Boolean()
    reasons = fields.List(
        fields.String(),
        metadata={
            "description": "Hard rules broken: off_shift, not_in_region, missing_skill:<code>, "
            "at_capacity (max open jobs reached), shift_full (planned work would run past the "
            "shift end), status:<status>, too_far, rejected, outside_window (would start "
            "after the ticket's arrival window ends)"
        },
    )
    score = fields.Float(metadata={"description": "100 x (1 - weighted cost); higher is better"})
    sla_lateness = fields.Float(
        metadata={"description": "Minutes late x priority weight; compared before score"}
    )
    terms = fields.Dict(keys=fields.String(), values=fields.Nested(ScoreTermOut))
    eta = fields.String(metadata={"description": "Estimated arrival on site, UTC ISO 8601"})
    travel_min = fields.Float()
    distance_m = fields.Float()
    location_source = fields.String()
    open_jobs = fields.Integer()
    window = fields.Nested(
        CandidateWindowOut,
        allow_none=True,
        metadata={"description": "The ticket's arrival window for this engineer; null: none"},
    )


class DispatchCandidatesQuery(Schema):
    engineer_id = fields.List(
        fields.UUID(), metadata={"description": "Also evaluate these engineers"}
    )


class DispatchDecisionOut(Schema):
    id = fields.UUID()
    ticket_id = fields.UUID()
    mode = fields.String(metadata={"description": "auto | best | pick | plan"})
    candidates = fields.List(fields.Nested(DispatchCandidateOut))
    weights_version = fields.String()
    recommended_engineer_id = fields.UUID(allow_none=True)
    chosen_engineer_id = fields.UUID(allow_none=True)
    runner_up_engineer_id = fields.UUID(allow_none=True)
    override = fields.Boolean()
    override_reason = fields.String(allow_none=True)
    broken_rules = fields.List(fields.String())
    actor_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()
    ticket_status = fields.String()
    assignee_id = fields.UUID(allow_none=True)


class DispatchMapQuery(Schema):
    bbox = BBoxField(required=True)
    include = fields.List(
        fields.String(validate=validate.OneOf(("tickets", "engineers", "regions"))),
        load_default=lambda: ["tickets", "engineers", "regions"],
    )


class DispatchUnassignOut(Schema):
    ticket_id = fields.UUID()
    ticket_status = fields.String()
    assignee_id = fields.UUID(allow_none=True)


# What each kind of map feature carries in ``properties`` (``dispatch.mapdata`` builds them as
# plain dicts, dumped as they are; these schemas are their documented shape).


class TicketFeatureOut(Schema):
    kind = fields.String(required=True, metadata={"enum": ["ticket"]})
    id = fields.String(required=True)
    number = fields.String(required=True)
    title = fields.String(required=True)
    priority = fields.String(required=True)
    status = fields.String(required=True)
    sla_state = fields.String(required=True)
    assignee_id = fields.String(required=True, allow_none=True)
    eta = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    respond_by = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    responded_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    resolve_by = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    flags = fields.List(fields.String(), required=True)
    chosen_engineer_id = fields.String(required=True, allow_none=True)
    runner_up_engineer_id = fields.String(required=True, allow_none=True)


class EngineerFeatureOut(Schema):
    kind = fields.String(required=True, metadata={"enum": ["engineer"]})
    id = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)
    skills = fields.List(fields.String(), required=True)
    open_jobs = fields.Integer(required=True)
    max_open_jobs = fields.Integer(required=True)
    location_source = fields.String(required=True, metadata={"enum": ["reported", "home"]})
    location_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class RegionFeatureOut(Schema):
    kind = fields.String(required=True, metadata={"enum": ["region"]})
    id = fields.String(required=True)
    name = fields.String(required=True)


class MapFeatureOut(Schema):
    type = fields.String()
    id = fields.String()
    geometry = fields.Dict(metadata=GEOMETRY_SCHEMA)
    properties = fields.Dict(
        metadata={"document_as": [TicketFeatureOut, EngineerFeatureOut, RegionFeatureOut]}
    )


class MapFeatureCollectionOut(Schema):
    type = fields.String()
    features = fields.List(fields.Nested(MapFeatureOut))
    truncated = fields.Dict(keys=fields.String(), values=fields.Boolean())


# ---- regions and skills ---------------------------------------------------------------------


class RegionIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    area = AreaField(required=True)


class RegionOut(Schema):
    id = fields.UUID()
    name = fields.String()
    area = AreaField()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SkillIn(Schema):
    code = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
            error="1-64 letters, digits, '_', '-' or '.', starting with a letter or digit",
        ),
        metadata={"description": "Stable identifier, stored lower-case (e.g. `hvac`)"},
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class SkillOut(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()


class TimelineQuery(Schema):
    date = fields.Date(
        load_default=None,
        metadata={
            "description": "The engineers' local day to show, e.g. 2026-12-03; default today (UTC)"
        },
    )


class TimelineJobOut(Schema):
    ticket_id = fields.String(required=True)
    number = fields.String(required=True)
    title = fields.String(required=True)
    priority = fields.String(required=True)
    status = fields.String(required=True)
    sla_state = fields.String(required=True)
    resolve_by = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    skills = fields.List(fields.String(), required=True)
    region_ids = fields.List(fields.String(), required=True)
    start = fields.String(required=True, metadata={"format": "date-time"})
    end = fields.String(required=True, metadata={"format": "date-time"})
    travel_min = fields.Float(metadata={"description": "travel before the job (assigned jobs)"})
    travel_km = fields.Float()
    ongoing = fields.Boolean(
        metadata={
            "description": "assigned jobs: started on an earlier day and still open; drawn on "
            "today from now for the time it still needs"
        }
    )


class TimelineEngineerOut(Schema):
    engineer_id = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)
    skills = fields.List(fields.String(), required=True)
    region_ids = fields.List(fields.String(), required=True)
    timezone = fields.String(required=True)
    shift_start = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    shift_end = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    jobs = fields.List(fields.Nested(TimelineJobOut), required=True)


class TimelineOut(Schema):
    date = fields.String(required=True, metadata={"format": "date"})
    service_min = fields.Float(required=True)
    engineers = fields.List(fields.Nested(TimelineEngineerOut), required=True)
    unassigned = fields.List(fields.Nested(TimelineJobOut), required=True)
    truncated = fields.Boolean(required=True)
