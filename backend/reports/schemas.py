"""The reports' query string and answers (docs/kpis.md defines every number)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema
from webargs.fields import DelimitedList

from backend.reports.filters import GROUP_BY, MAX_SPAN
from backend.reports.unassigned import LIST_MAX, REASONS
from backend.workorders.models import PRIORITIES
from backend.workorders.states import OPEN_STATUSES, Status

STATUSES = [s.value for s in Status]


class ReportQuery(Schema):
    period_from = fields.AwareDateTime(
        data_key="from",
        required=True,
        default_timezone=UTC,
        metadata={"description": "Tickets created at or after this instant (UTC if no offset)"},
    )
    period_to = fields.AwareDateTime(
        data_key="to",
        required=True,
        default_timezone=UTC,
        metadata={"description": "Tickets created before this instant; at most 366 days later"},
    )
    region_id = fields.UUID(load_default=None, metadata={"description": "Tickets in this region"})
    engineer_id = fields.UUID(
        load_default=None, metadata={"description": "Tickets now assigned to this engineer"}
    )
    priority = fields.String(load_default=None, validate=validate.OneOf(PRIORITIES))
    status = DelimitedList(
        fields.String(validate=validate.OneOf(STATUSES)),
        validate=validate.Length(min=1),
        metadata={
            "description": "Tickets whose current status is this one; several comma-separated "
            "match any"
        },
    )
    customer_id = fields.UUID(
        load_default=None, metadata={"description": "Tickets at this customer's sites"}
    )
    asset_model = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Tickets on assets of this model (exact text)"},
    )
    group_by = fields.String(load_default="none", validate=validate.OneOf(GROUP_BY))

    @post_load
    def _statuses(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        # One status named twice is still that status; the filter is a set, in a fixed order.
        if data.get("status") is not None:
            data["status"] = tuple(sorted(set(data["status"])))
        return data

    @validates_schema
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("period_from"), data.get("period_to")
        if start is None or end is None:
            return
        if end <= start:
            raise ValidationError("must be after from", field_name="to")
        if end - start > MAX_SPAN:
            raise ValidationError(
                f"a report covers at most {MAX_SPAN.days} days; split the period",
                field_name="to",
            )


_KEY = fields.String(
    required=True,
    allow_none=True,
    metadata={
        "description": "The group: a priority, region, engineer or customer id, a status or "
        "asset model, or the first day (YYYY-MM-DD, UTC) of the day/week/month; null when "
        "ungrouped, unrouted, unassigned or without customer/model"
    },
)


class ReportPeriodOut(Schema):
    period_from = fields.AwareDateTime(data_key="from", required=True)
    period_to = fields.AwareDateTime(data_key="to", required=True)
    group_by = fields.String(required=True)
    generated_at = fields.AwareDateTime(
        required=True, metadata={"description": "The instant 'now' of the clocks and ages"}
    )


class SlaClockOut(Schema):
    due = fields.Integer(required=True, metadata={"description": "Clocks stopped or overdue"})
    met = fields.Integer(required=True, metadata={"description": "Stopped by their deadline"})
    met_pct = fields.Float(required=True, allow_none=True, metadata={"description": "met/due"})
    late_median_min = fields.Float(required=True, allow_none=True)
    late_p90_min = fields.Float(required=True, allow_none=True)


class _GroupOut(Schema):
    key = _KEY
    tickets = fields.Integer(required=True, metadata={"description": "Tickets in the group"})


class SlaGroupOut(_GroupOut):
    respond = fields.Nested(SlaClockOut, required=True)
    resolve = fields.Nested(SlaClockOut, required=True)
    at_risk = fields.Integer(required=True)
    breached = fields.Integer(required=True)


class SlaReportOut(ReportPeriodOut):
    groups = fields.List(fields.Nested(SlaGroupOut), required=True)


class DurationStatsOut(Schema):
    n = fields.Integer(required=True, metadata={"description": "Tickets with this time"})
    median_min = fields.Float(required=True, allow_none=True)
    p90_min = fields.Float(required=True, allow_none=True)


class TimesGroupOut(_GroupOut):
    to_assign = fields.Nested(DurationStatsOut, required=True)
    to_accept = fields.Nested(DurationStatsOut, required=True)
    to_arrive = fields.Nested(DurationStatsOut, required=True)
    to_complete = fields.Nested(DurationStatsOut, required=True)


class AgeBucketsOut(Schema):
    lt_4h = fields.Integer(required=True)
    lt_1d = fields.Integer(required=True)
    lt_3d = fields.Integer(required=True)
    lt_7d = fields.Integer(required=True)
    older = fields.Integer(required=True)


class BacklogGroupOut(Schema):
    key = _KEY
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in OPEN_STATUSES]))
    total = fields.Integer(required=True)
    ages = fields.Nested(AgeBucketsOut, required=True)


class UnassignedTicketOut(Schema):
    id = fields.UUID(required=True)
    number = fields.String(required=True)
    priority = fields.String(required=True)
    status = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    age_min = fields.Float(required=True, metadata={"description": "Minutes since created"})


class UnassignedReasonOut(Schema):
    reason = fields.String(
        required=True,
        validate=validate.OneOf(REASONS),
        metadata={"description": "Why these tickets are unassigned (docs/kpis.md)"},
    )
    count = fields.Integer(required=True)
    tickets = fields.List(
        fields.Nested(UnassignedTicketOut),
        required=True,
        metadata={"description": f"Oldest first, at most {LIST_MAX}"},
    )


class BacklogReportOut(ReportPeriodOut):
    groups = fields.List(fields.Nested(BacklogGroupOut), required=True)
    unassigned = fields.List(
        fields.Nested(UnassignedReasonOut),
        required=True,
        metadata={
            "description": "The open unassigned tickets of the whole filtered cohort (not "
            "grouped) by reason, in the order the reasons are tested; reasons with none absent"
        },
    )


class TimesReportOut(ReportPeriodOut):
    groups = fields.List(fields.Nested(TimesGroupOut), required=True)


class ExportJobOut(Schema):
    job_id = fields.String(required=True, metadata={"description": "Follow it at /exports/{id}"})
    status = fields.String(required=True, metadata={"description": "queued"})


class ExportProgressOut(Schema):
    phase = fields.String(
        required=True, metadata={"description": "computing | writing | storing | done"}
    )
    done = fields.Integer(required=True, metadata={"description": "Rows written"})
    total = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Rows to write; null while computing"},
    )
    percent = fields.Integer(required=True, metadata={"description": "done / total (100: done)"})
    seconds = fields.Float(required=True, metadata={"description": "Since the export started"})


class ExportStateOut(Schema):
    job_id = fields.String(required=True)
    status = fields.String(
        required=True,
        metadata={"description": "queued | started | deferred | scheduled | finished | failed"},
    )
    progress = fields.Nested(
        ExportProgressOut,
        required=True,
        allow_none=True,
        metadata={"description": "Null until it starts"},
    )
    filename = fields.String(required=True, allow_none=True)
    download_url = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "Once finished: a time-limited link to the file (no login needed; "
            "ask again for a fresh one)"
        },
    )
    error = fields.String(required=True, allow_none=True)
