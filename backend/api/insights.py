"""The KPI reports beyond SLA, times and backlog, and every report's CSV/XLSX export
(docs/kpis.md): staff only; the SQL lives in backend.reports."""

from __future__ import annotations

from typing import Any

from flask import Response, stream_with_context
from flask.views import MethodView

from backend.accounts.permissions import require_staff
from backend.api.schemas_common import ApiBlueprint, operation
from backend.config import settings
from backend.db import utcnow
from backend.reports import export
from backend.reports.catalog import REPORTS, Answer, Report
from backend.reports.kpi_schemas import (
    CSV_TYPE,
    XLSX_TYPE,
    CustomersQuery,
    CustomersReportOut,
    FirstFixQuery,
    FirstFixReportOut,
    PartsQuery,
    PartsReportOut,
    WorkloadQuery,
    WorkloadReportOut,
)

blp = ApiBlueprint(
    "insights", __name__, url_prefix="/api/v1", description="Service KPI reports and exports"
)


def _compute(name: str, query: dict[str, Any]) -> Answer:
    return REPORTS[name].compute(query, utcnow(), settings())


@blp.route("/reports/first-fix")
class FirstFixReport(MethodView):
    @operation(blp, 200, FirstFixReportOut, query=FirstFixQuery)
    @require_staff
    def get(self, query: dict[str, Any]) -> Answer:
        """First-time fix rate and repeat faults (per asset and asset model with group_by)."""
        return _compute("first-fix", query)


@blp.route("/reports/workload")
class WorkloadReport(MethodView):
    @operation(blp, 200, WorkloadReportOut, query=WorkloadQuery)
    @require_staff
    def get(self, query: dict[str, Any]) -> Answer:
        """Jobs per engineer-day, travel/on-site/work minutes, shares of shift time, batch plans
        kept or overridden."""
        return _compute("workload", query)


@blp.route("/reports/customers")
class CustomersReport(MethodView):
    @operation(blp, 200, CustomersReportOut, query=CustomersQuery)
    @require_staff
    def get(self, query: dict[str, Any]) -> Answer:
        """CSAT average, distribution and response rate; QR reports vs staff-created tickets."""
        return _compute("customers", query)


@blp.route("/reports/parts")
class PartsReport(MethodView):
    @operation(blp, 200, PartsReportOut, query=PartsQuery)
    @require_staff
    def get(self, query: dict[str, Any]) -> Answer:
        """Parts used by part, engineer, asset model...; stock-outs."""
        return _compute("parts", query)


_FILE = {
    "description": "The report's groups, one row each, nested fields as dotted columns; "
    "Content-Disposition names the file",
    "content": {
        CSV_TYPE: {"schema": {"type": "string"}},
        XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
    },
    "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
}


def _export_view(report: Report) -> type[MethodView]:
    """The ``GET /reports/<name>/export`` view of one report (its own query schema, so the
    document lists its filters)."""

    class Export(MethodView):
        @blp.doc(responses={"200": _FILE})
        @operation(blp, 200, None, query=report.export_query)
        @require_staff
        def get(self, query: dict[str, Any]) -> Response:
            body = _compute(report.name, query)
            group_schema = report.out().fields["groups"].inner.schema  # type: ignore[attr-defined]
            header = export.columns(group_schema)
            lines = export.rows(group_schema, body["groups"])
            fmt = query["format"]
            stream = (
                export.csv_chunks(header, lines)
                if fmt == "csv"
                else export.xlsx_chunks(report.title, header, lines)
            )
            name = export.filename(report.name, body["period_from"], body["period_to"], fmt)
            return Response(
                stream_with_context(stream),
                mimetype=export.CONTENT_TYPES[fmt],
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )

    Export.get.__doc__ = f"{report.title} report as CSV or XLSX."
    Export.__name__ = f"{report.name.replace('-', '_').title().replace('_', '')}Export"
    return Export


for _report in REPORTS.values():
    blp.route(f"/reports/{_report.name}/export", endpoint=f"export_{_report.name}")(
        _export_view(_report)
    )
