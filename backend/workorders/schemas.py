"""Ticket, event and note schemas for the REST API (input and output kept apart)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from webargs.fields import DelimitedList

from backend.config import settings
from backend.db import utcnow
from backend.fastdump import FastDumpSchema
from backend.geo import BBoxField, PointField
from backend.workorders.models import PRIORITIES, Ticket
from backend.workorders.sla import ticket_state
from backend.workorders.sla_filters import MILESTONES, SLA_FILTERS
from backend.workorders.states import ACTIONS, Actor, Status, allowed_actions

STATUSES = [s.value for s in Status]
_SKILL = fields.String(validate=validate.Length(min=1, max=64))


class TicketCreateIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=20_000))
    priority = fields.String(
        validate=validate.OneOf(
            PRIORITIES, error="unknown priority {input!r}; use one of {choices}"
        ),
        metadata={"description": "Required unless job_type_id gives a default"},
    )
    required_skills = fields.List(
        _SKILL,
        validate=validate.Length(max=50),
        metadata={"description": "Default: the job type's, else none"},
    )
    job_type_id = fields.UUID(
        metadata={
            "description": "Planned work: the ticket keeps this job type's current version "
            "(checklist, completion rules, service time)"
        }
    )

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _priority_or_job_type(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        # Named with the other missing fields in one answer, as a required field would be.
        given = original if isinstance(original, dict) else {}
        if "priority" not in given and "job_type_id" not in given:
            raise ValidationError(
                "Missing data for required field (unless job_type_id gives a default).",
                field_name="priority",
            )

    asset_id = fields.UUID(allow_none=True)
    site_id = fields.UUID(allow_none=True)
    location = PointField(
        allow_none=True,
        metadata={"description": "Where the work is; defaults to the asset's or site's location"},
    )


class TicketPatchIn(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=20_000))
    priority = fields.String(
        validate=validate.OneOf(
            PRIORITIES, error="unknown priority {input!r}; use one of {choices}"
        )
    )
    required_skills = fields.List(_SKILL, validate=validate.Length(max=50))
    location = PointField()
    assignee_id = fields.UUID(
        allow_none=True,
        metadata={"description": "Engineer's user id; null unassigns. Uses the assign operation."},
    )
    reason = fields.String(
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Recorded in the audit trail of an (re/un)assignment"},
    )
    version = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "The version you edited; alternative to the If-Match header"},
    )


class TicketQuery(Schema):
    status = DelimitedList(
        fields.String(validate=validate.OneOf(STATUSES)),
        metadata={"description": "One status, or several comma-separated"},
    )
    priority = DelimitedList(
        fields.String(validate=validate.OneOf(PRIORITIES)),
        metadata={"description": "One priority, or several comma-separated"},
    )
    region_id = fields.UUID()
    assignee_id = fields.UUID()
    unrouted = fields.Boolean()
    bbox = BBoxField()
    # The drill-down behind a KPI number (docs/kpis.md): the report's cohort is the tickets
    # created in [created_from, created_to); ``sla`` and ``reached`` name what the number counts.
    created_from = fields.AwareDateTime(
        default_timezone=UTC, metadata={"description": "Created at or after (UTC if no offset)"}
    )
    created_to = fields.AwareDateTime(
        default_timezone=UTC, metadata={"description": "Created before (UTC if no offset)"}
    )
    unassigned = fields.Boolean(metadata={"description": "true: no assignee; false: assigned"})
    sla = DelimitedList(
        fields.String(validate=validate.OneOf(SLA_FILTERS)),
        metadata={
            "description": "Tickets a SLA report number counts, now (docs/kpis.md): breached, "
            "at_risk, or a clock's due/met/late (respond_due, ..., resolve_late); several "
            "comma-separated match any"
        },
    )
    reached = DelimitedList(
        fields.String(validate=validate.OneOf(MILESTONES)),
        metadata={"description": "Tickets whose audit trail has each of these actions"},
    )

    @validates_schema
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("created_from"), data.get("created_to")
        if start is not None and end is not None and end <= start:
            raise ValidationError("must be after created_from", field_name="created_to")


class SlaOut(FastDumpSchema):
    respond_by = fields.DateTime()
    resolve_by = fields.DateTime()
    breached = fields.Boolean()
    state = fields.String(metadata={"enum": ["ok", "at_risk", "breached", "met"]})


def sla_of(ticket: Ticket) -> dict[str, Any]:
    """Live SLA state (the periodic job stores ``sla_state`` for alerts; reads compute it so a
    deadline passed a second ago already shows)."""
    state = ticket_state(
        utcnow(),
        ticket.created_at,
        ticket.respond_by,
        ticket.resolve_by,
        ticket.responded_at,
        ticket.resolved_at,
        settings().SLA_AT_RISK_FRACTION,
    )
    return {
        "respond_by": ticket.respond_by,
        "resolve_by": ticket.resolve_by,
        "breached": state == "breached",
        "state": state.value,
    }


class _SlaField(fields.Nested):
    """Computed from the ticket (not an attribute), documented as ``SlaOut``. ``fast_value``
    lets ``FastDumpSchema`` compute it without marshmallow's per-field path."""

    @staticmethod
    def fast_value(obj: Any) -> dict[str, Any]:
        return sla_of(obj)

    def serialize(self, attr: str, obj: Any, accessor: Any = None, **kwargs: Any) -> Any:
        # marshmallow 3's Nested._serialize is unannotated.
        return self._serialize(sla_of(obj), attr, obj, **kwargs)  # type: ignore[no-untyped-call]


class _EngineerActionsField(fields.List[str]):
    """Computed from the ticket's status (not an attribute): the same list the pulled ticket
    carries, so an engineer's client offers what the state machine allows, never a copy."""

    def serialize(self, attr: str, obj: Any, accessor: Any = None, **kwargs: Any) -> Any:
        return allowed_actions(obj.status, Actor.ENGINEER)


class TicketOut(FastDumpSchema):
    id = fields.UUID()
    number = fields.String(metadata={"example": "T-001001"})
    title = fields.String()
    description = fields.String()
    priority = fields.String(metadata={"enum": list(PRIORITIES)})
    status = fields.String(metadata={"enum": STATUSES})
    region_ids = fields.List(fields.UUID())
    unrouted = fields.Boolean(metadata={"description": "Outside every region (kept, not refused)"})
    assignee_id = fields.UUID(allow_none=True)
    asset_id = fields.UUID(allow_none=True)
    site_id = fields.UUID(allow_none=True)
    location = PointField()
    required_skills = fields.List(fields.String())
    job_type_id = fields.UUID(allow_none=True)
    job_type_version_id = fields.UUID(
        allow_none=True, metadata={"description": "The job type version it was created with"}
    )
    source = fields.String(metadata={"enum": ["staff", "public"]})
    window_start = fields.DateTime(
        allow_none=True, metadata={"description": "Arrival window: earliest start, UTC"}
    )
    window_end = fields.DateTime(
        allow_none=True, metadata={"description": "Arrival window: latest start, UTC"}
    )
    sla = _SlaField(SlaOut)
    allowed_actions = _EngineerActionsField(
        fields.String(metadata={"enum": list(ACTIONS)}),
        metadata={
            "description": "What the assigned engineer may do now, from the state machine "
            "(staff may also close, cancel and reopen)"
        },
    )
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class TransitionIn(Schema):
    action = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"enum": list(ACTIONS), "description": "Unknown actions are refused with 422"},
    )
    reason = fields.String(allow_none=True, validate=validate.Length(max=2000))
    version = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "Optional: refuse (409) if the ticket changed since"},
    )


class ArrivalWindowIn(Schema):
    start = fields.AwareDateTime(
        required=True,
        allow_none=True,
        metadata={"description": "Earliest arrival (with a time zone); null with end: clear"},
    )
    end = fields.AwareDateTime(
        required=True,
        allow_none=True,
        metadata={"description": "Latest arrival, not before start; null with start: clear"},
    )
    reason = fields.String(
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Why: kept in the audit trail"},
    )
    version = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "Optional: refuse (409) if the ticket changed since"},
    )


class EventOut(FastDumpSchema):
    id = fields.UUID()
    actor_id = fields.UUID(allow_none=True)
    action = fields.String()
    from_status = fields.String(data_key="from", allow_none=True)
    to_status = fields.String(data_key="to", allow_none=True)
    at = fields.DateTime()
    via = fields.String(metadata={"enum": ["api", "sync", "system", "automation"]})
    reason = fields.String(allow_none=True)
    occurred_at = fields.DateTime(allow_none=True)
    data = fields.Dict(
        metadata={"x-free-form": "what this action recorded (its own keys per action)"}
    )


class NoteIn(Schema):
    id = fields.UUID(metadata={"description": "Client-generated id; resending it is idempotent"})
    body = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    customer_visible = fields.Boolean(
        load_default=False,
        metadata={"description": "Shown on the customer's copy of the service report"},
    )


class NoteOut(FastDumpSchema):
    id = fields.UUID()
    ticket_id = fields.UUID()
    author_id = fields.UUID(allow_none=True)
    body = fields.String()
    customer_visible = fields.Boolean()
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


# ---- what a phone gets beside each synced ticket (``workorders.phone.context``) ----------


class PhoneCustomerOut(Schema):
    name = fields.String(required=True)
    phone = fields.String(required=True, allow_none=True)


class PhoneSiteOut(Schema):
    name = fields.String(required=True)
    address = fields.String(required=True, allow_none=True)


class PhoneAssetOut(Schema):
    name = fields.String(required=True)
    model = fields.String(required=True, allow_none=True)
    serial = fields.String(required=True, allow_none=True)


class PhoneHistoryOut(Schema):
    action = fields.String(required=True)
    from_status = fields.String(required=True, allow_none=True)
    to_status = fields.String(required=True, allow_none=True)
    at = fields.DateTime(required=True)
    via = fields.String(required=True)
    reason = fields.String(required=True, allow_none=True)


class PhoneContextOut(Schema):
    customer = fields.Nested(PhoneCustomerOut, required=True, allow_none=True)
    site = fields.Nested(PhoneSiteOut, required=True, allow_none=True)
    asset = fields.Nested(PhoneAssetOut, required=True, allow_none=True)
    history = fields.List(fields.Nested(PhoneHistoryOut), required=True)
    allowed_actions = fields.List(
        fields.String(metadata={"enum": list(ACTIONS)}),
        required=True,
        metadata={"description": "What the engineer may do from the ticket's status"},
    )
