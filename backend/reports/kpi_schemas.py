"""Query strings and answers of the KPI reports beyond SLA, times and backlog, and of the
exports (docs/kpis.md defines every number)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.reports import consumption, customers, first_fix, workload
from backend.reports.schemas import ReportPeriodOut, ReportQuery

EXPORT_FORMATS = ("csv", "xlsx")


def _group_by(groups: tuple[str, ...]) -> fields.String:
    return fields.String(load_default="none", validate=validate.OneOf(groups))


class _KpiQuery(ReportQuery):
    pass


class _WorkQuery(_KpiQuery):
    engineer_id = fields.UUID(
        load_default=None, metadata={"description": "Work done by this engineer"}
    )


class FirstFixQuery(_KpiQuery):
    group_by = _group_by(first_fix.GROUPS)


class CustomersQuery(_KpiQuery):
    group_by = _group_by(customers.GROUPS)


class WorkloadQuery(_WorkQuery):
    group_by = _group_by(workload.GROUPS)


class PartsQuery(_WorkQuery):
    group_by = _group_by(consumption.GROUPS)


class ExportFormat(Schema):
    format = fields.String(
        load_default="csv",
        validate=validate.OneOf(EXPORT_FORMATS),
        metadata={"description": "csv (streamed, UTF-8) or xlsx (one sheet)"},
    )


# One export query per report: the report's own filters plus the file format.
class SlaExportQuery(ReportQuery, ExportFormat):
    pass


class TimesExportQuery(ReportQuery, ExportFormat):
    pass


class BacklogExportQuery(ReportQuery, ExportFormat):
    pass


class FirstFixExportQuery(FirstFixQuery, ExportFormat):
    pass


class CustomersExportQuery(CustomersQuery, ExportFormat):
    pass


class WorkloadExportQuery(WorkloadQuery, ExportFormat):
    pass


class PartsExportQuery(PartsQuery, ExportFormat):
    pass


_KEY = fields.String(
    required=True,
    allow_none=True,
    metadata={
        "description": "The group: a priority, region, engineer, customer, asset or part id, "
        "an asset model, or the first day (YYYY-MM-DD, UTC) of the day/week/month; null when "
        "ungrouped or the row has none"
    },
)


def _maybe(description: str = "") -> fields.Float:
    """A rate or average: null when there is nothing to divide."""
    return fields.Float(
        required=True, allow_none=True, metadata={"description": description} if description else {}
    )


class FirstFixGroupOut(Schema):
    key = _KEY
    completed = fields.Integer(required=True, metadata={"description": "Completed or closed"})
    one_visit = fields.Integer(required=True, metadata={"description": "Exactly one arrival"})
    repeat_faults = fields.Integer(
        required=True, metadata={"description": "A new ticket on the asset within the window"}
    )
    first_time_fix = fields.Integer(required=True)
    first_time_fix_pct = _maybe()
    repeat_fault_pct = _maybe()
    window_open = fields.Integer(
        required=True, metadata={"description": "Completions whose window has not ended yet"}
    )


class FirstFixReportOut(ReportPeriodOut):
    window_days = fields.Integer(required=True)
    groups = fields.List(fields.Nested(FirstFixGroupOut), required=True)


class ScoresOut(Schema):
    s1 = fields.Integer(required=True, data_key="1")
    s2 = fields.Integer(required=True, data_key="2")
    s3 = fields.Integer(required=True, data_key="3")
    s4 = fields.Integer(required=True, data_key="4")
    s5 = fields.Integer(required=True, data_key="5")


class CustomersGroupOut(Schema):
    key = _KEY
    tickets = fields.Integer(required=True)
    qr_reports = fields.Integer(required=True, metadata={"description": "Reported by QR code"})
    staff_created = fields.Integer(required=True)
    qr_pct = _maybe()
    finished = fields.Integer(required=True, metadata={"description": "Completed or closed"})
    rated = fields.Integer(required=True, metadata={"description": "Finished and rated"})
    rated_on_tracking = fields.Integer(required=True)
    rated_at_signoff = fields.Integer(required=True)
    response_pct = _maybe()
    csat_avg = _maybe()
    scores = fields.Nested(
        ScoresOut, required=True, metadata={"description": "Finished jobs rated 1 ... 5"}
    )


class CustomersReportOut(ReportPeriodOut):
    groups = fields.List(fields.Nested(CustomersGroupOut), required=True)


class MinutesOut(Schema):
    travel = fields.Float(required=True)
    on_site = fields.Float(required=True)
    work = fields.Float(required=True)
    paused = fields.Float(required=True)


class SharesOut(Schema):
    travel = _maybe()
    on_site = _maybe()
    work = _maybe()


class PlansOut(Schema):
    applies = fields.Integer(required=True, metadata={"description": "Plans applied"})
    assignments = fields.Integer(required=True, metadata={"description": "Assignments made"})
    overridden = fields.Integer(required=True, metadata={"description": "Changed by a person"})
    kept = fields.Integer(required=True)
    overridden_pct = _maybe()


class WorkloadGroupOut(Schema):
    key = _KEY
    completed = fields.Integer(required=True, metadata={"description": "Completions"})
    engineers = fields.Integer(required=True)
    engineer_days = fields.Integer(required=True)
    jobs_per_engineer_day = _maybe()
    minutes = fields.Nested(MinutesOut, required=True)
    shift_min = _maybe("Rostered minutes; null when grouped or filtered by a ticket field")
    shares = fields.Nested(SharesOut, required=True)
    plans = fields.Nested(PlansOut, required=True)


class WorkloadReportOut(ReportPeriodOut):
    groups = fields.List(fields.Nested(WorkloadGroupOut), required=True)


class PartsGroupOut(Schema):
    key = _KEY
    part_id = fields.UUID(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    usages = fields.Integer(required=True)
    quantity = fields.Float(required=True)
    tickets = fields.Integer(required=True)
    stockouts = fields.Integer(
        required=True, metadata={"description": "Uses that took the location below zero"}
    )


class PartsReportOut(ReportPeriodOut):
    groups = fields.List(fields.Nested(PartsGroupOut), required=True)
